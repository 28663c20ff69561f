"""flet_auth.security: our format, Flet's two formats both ways, and damaged data."""

import base64
import threading
from collections.abc import Callable

import flet.security as flet_security
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flet_auth import AuthError
from flet_auth.security import (
    InvalidToken,
    SecretBox,
    decrypt,
    decrypt_aes_gcm_256,
    encrypt,
    encrypt_aes_gcm_256,
    encrypt_fernet,
)

KEY = "correct horse battery staple"
TEXTS = {
    "ascii": '{"access_token":"abc","expires_at":1763884800.5}',
    "unicode": "ünïcödé ✓ 日本語 😀",
    "empty": "",
    "1MB": "x" * (1 << 20),
}


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_we_read_what_flet_encrypt_wrote(text: str) -> None:
    assert decrypt(flet_security.encrypt(text, KEY), KEY) == text


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_we_read_what_flet_encrypt_aes_gcm_256_wrote(text: str) -> None:
    written = flet_security.encrypt_aes_gcm_256(text, KEY)
    assert decrypt(written, KEY) == text
    assert decrypt_aes_gcm_256(written, KEY) == text


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_flet_reads_what_our_flet_format_functions_wrote(text: str) -> None:
    assert flet_security.decrypt_aes_gcm_256(encrypt_aes_gcm_256(text, KEY), KEY) == text
    assert flet_security.decrypt(encrypt_fernet(text, KEY), KEY) == text


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_our_format_round_trips(text: str) -> None:
    assert decrypt(encrypt(text, KEY), KEY) == text


def test_our_format_is_versioned_url_safe_and_fresh_each_time() -> None:
    a, b = encrypt("same", KEY), encrypt("same", KEY)
    assert a != b
    assert a.startswith("fa.")
    raw = base64.urlsafe_b64decode(a[3:] + "=" * (-len(a[3:]) % 4))
    assert raw[0] == 1  # version
    assert set(a[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _flip(data: str, bit: int) -> str:
    prefix = "fa." if data.startswith("fa.") else ""
    body = data[len(prefix) :]
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[bit // 8] ^= 1 << (bit % 8)
    return prefix + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


GOOD = encrypt("a token", KEY)
# version, salt, nonce, ciphertext and tag: one bit in each part (the Rust unit tests flip
# every bit, with the key derived once).
TAMPERED = {
    "version": _flip(GOOD, 0),
    "salt": _flip(GOOD, 8 + 3),
    "nonce": _flip(GOOD, 8 * 17 + 1),
    "ciphertext": _flip(GOOD, 8 * 29 + 5),
    "tag": _flip(GOOD, 8 * 40 + 7),
    "truncated": GOOD[:-6],
    "extended": GOOD + "AAAA",
    "not_base64": "fa.!!!not base64!!!",
    "flet_format_truncated": flet_security.encrypt("x", KEY)[:40],
    "flet_format_flipped": _flip(flet_security.encrypt_aes_gcm_256("x", KEY), 8 * 50),
    "empty": "",
    "plain_text": "hello world",
}


@pytest.mark.parametrize("data", TAMPERED.values(), ids=TAMPERED.keys())
def test_damaged_data_is_an_invalid_token(data: str) -> None:
    with pytest.raises(InvalidToken) as raised:
        decrypt(data, KEY)
    assert KEY not in str(raised.value)


@pytest.mark.parametrize(
    "data",
    [
        encrypt("x", KEY),
        flet_security.encrypt("x", KEY),
        flet_security.encrypt_aes_gcm_256("x", KEY),
    ],
    ids=["ours", "flet_fernet", "flet_aes_gcm"],
)
def test_wrong_key_is_an_invalid_token(data: str) -> None:
    with pytest.raises(InvalidToken):
        decrypt(data, "wrong key")


def test_invalid_token_is_an_auth_error_and_a_value_error() -> None:
    assert issubclass(InvalidToken, AuthError) and issubclass(InvalidToken, ValueError)
    with pytest.raises(InvalidToken):
        decrypt_aes_gcm_256(encrypt("x", KEY), KEY)  # our format is not Flet's AES-GCM


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300), key=st.text(max_size=40))
def test_decrypt_inverts_encrypt_for_any_text_and_key(text: str, key: str) -> None:
    assert decrypt(encrypt(text, key), key) == text


def test_key_derivation_releases_the_gil() -> None:
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        for _ in range(3):
            encrypt("x", KEY)
    finally:
        done.set()
        counter.join()
    # With the GIL held for the whole derivation the counter would barely move.
    assert ticks > 10_000


def test_secret_box_derives_its_key_once_and_writes_encrypts_format() -> None:
    box = SecretBox(KEY)
    records = [box.encrypt(f"record {i}") for i in range(50)]
    assert len(set(records)) == 50  # a fresh nonce each time
    assert {r.split(".")[0] for r in records} == {"fa"}
    assert [box.decrypt(r) for r in records] == [f"record {i}" for i in range(50)]
    assert box.derived_keys == 1
    assert decrypt(records[0], KEY) == "record 0"  # the module reads it


def test_secret_box_reads_other_boxes_the_module_and_flet_once_per_salt() -> None:
    box, other = SecretBox(KEY), SecretBox(KEY)
    foreign = [
        other.encrypt("from another worker"),
        encrypt("from encrypt", KEY),
        flet_security.encrypt("from Flet", KEY),
        flet_security.encrypt_aes_gcm_256("from Flet, AES-GCM", KEY),
    ]
    for _ in range(3):
        assert [box.decrypt(r) for r in foreign] == [
            "from another worker",
            "from encrypt",
            "from Flet",
            "from Flet, AES-GCM",
        ]
    assert box.derived_keys == 4  # one per salt read, not one per call
    assert flet_security.decrypt(encrypt_fernet("back", KEY), KEY) == "back"


def test_secret_box_tells_which_calls_would_derive_a_key() -> None:
    box, other = SecretBox(KEY), SecretBox(KEY)
    assert box.would_derive()
    own = box.encrypt("own")
    assert not box.would_derive() and not box.would_derive(own)
    foreign = other.encrypt("from another worker")
    assert box.would_derive(foreign)
    box.decrypt(foreign)
    assert not box.would_derive(foreign)
    assert not box.would_derive("not an envelope")  # it fails without deriving
    assert box.derived_keys == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda r: r[:-2],
        lambda r: r[:10] + ("A" if r[10] != "A" else "B") + r[11:],
        lambda r: "fa." + base64.urlsafe_b64encode(b"\x02" + b"\x00" * 60).decode(),
        lambda r: "",
        lambda r: "not base64 at all!",
    ],
)
def test_secret_box_refuses_damaged_data(damage: Callable[[str], str]) -> None:
    box = SecretBox(KEY)
    with pytest.raises(InvalidToken):
        box.decrypt(damage(box.encrypt("secret text")))


def test_secret_box_with_another_key_refuses_and_shows_no_secret() -> None:
    record = SecretBox(KEY).encrypt("secret text")
    wrong = SecretBox("another passphrase")
    with pytest.raises(InvalidToken):
        wrong.decrypt(record)
    assert KEY not in repr(SecretBox(KEY)) and "passphrase" not in repr(wrong)


def test_secret_box_is_shared_by_threads() -> None:
    box = SecretBox(KEY)
    box.encrypt("warm up")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                text = f"{n}:{i}"
                assert box.decrypt(box.encrypt(text)) == text
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and box.derived_keys == 1
