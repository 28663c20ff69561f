"""The records kept server side (`StoredLogin`, `PendingLogin`), their encryption and store
keys (`LoginCodec`), and `LoginStore` on a real SQLite file and a real redis-server."""

import json
import logging
import time

import pytest

from flask_apps.processes import RedisServer
from flet_auth import Group, OAuthToken, User
from flet_auth._core import LOGIN_TTL
from flet_auth.web.login_codec import LoginCodec
from flet_auth.web.logins import PendingLogin, StoredLogin
from flet_auth.web.stores import RedisStore, TokenStore
from web.helpers import SECRET_KEY, login_store

TOKEN = OAuthToken.from_json(
    '{"access_token":"secret-access-token","refresh_token":"secret-refresh-token",'
    '"expires_at":4102444800.0,"scope":["openid"]}'
)


def alice() -> User:
    user = User({"sub": "1001", "email": "alice@example.com"}, "1001")
    user.groups = [Group({"id": "7"}, name="admins")]
    return user


def pending(**changes: object) -> PendingLogin:
    values: dict[str, object] = {
        "client": "mock",
        "redirect_uri": "http://127.0.0.1:5000/login/mock/callback",
        "saved_login": '{"state":"s"}',
        "next_url": "/page",
        "issued_at": time.time(),
    }
    values.update(changes)
    return PendingLogin(**values)  # type: ignore[arg-type]


def test_a_stored_login_reads_back_with_its_token_user_and_groups() -> None:
    login = StoredLogin.loads(StoredLogin.of("mock", TOKEN, alice()).dumps())
    user = login.to_user()
    assert login.client == "mock"
    assert login.token.refresh_token == "secret-refresh-token"
    assert user is not None and user.id == "1001" and user["email"] == "alice@example.com"
    assert [(g.name, dict(g)) for g in user.groups] == [("admins", {"id": "7"})]


def test_a_stored_login_without_a_user_reads_back_without_one() -> None:
    login = StoredLogin.loads(StoredLogin.of("mock", TOKEN, None).dumps())
    assert login.user is None and login.to_user() is None


def test_a_stored_login_with_a_new_token_keeps_its_user() -> None:
    new = OAuthToken.from_json('{"access_token":"new"}')
    login = StoredLogin.of("mock", TOKEN, alice()).with_token(new)
    assert login.token.access_token == "new" and login.user is not None


def test_a_change_to_a_stored_logins_token_does_not_reach_the_next_reader() -> None:
    login = StoredLogin.of("mock", TOKEN, None)
    login.token.access_token = "changed by one request"
    assert login.token.access_token == "secret-access-token"


def test_a_pending_login_reads_back() -> None:
    original = pending()
    assert PendingLogin.loads(original.dumps()) == original


def test_a_pending_login_written_by_an_older_version_has_no_saved_login() -> None:
    data = {"client": "mock", "redirect_uri": "http://x/cb", "issued_at": 1.0, "next": None}
    assert PendingLogin.loads(json.dumps(data)).saved_login is None


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"redirect_uri": "http://x/cb", "issued_at": 1}',
        '{"client": "mock", "issued_at": 1}',
        '{"client": "mock", "redirect_uri": "http://x/cb"}',
        '{"client": "mock", "redirect_uri": "http://x/cb", "issued_at": "soon"}',
        "not json",
    ],
)
def test_a_damaged_pending_login_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        PendingLogin.loads(text)


def test_no_token_appears_in_the_reprs_of_the_records() -> None:
    texts = [repr(StoredLogin.of("mock", TOKEN, alice())), repr(pending())]
    for text in texts:
        assert "secret" not in text and "alice" not in text and '"s"' not in text


def test_store_keys_are_digests_of_the_secrets_they_are_found_by() -> None:
    codec = LoginCodec(SECRET_KEY, prefix="app:")
    keys = [codec.login_key("the-login-id"), codec.pending_key("browser", "the-state")]
    assert keys[0].startswith("app:login:") and keys[1].startswith("app:pending:")
    assert not any(s in k for k in keys for s in ("the-login-id", "browser", "the-state"))
    assert codec.lock_key("the-login-id") != keys[0]


def test_a_login_is_sealed_encrypted_and_opens_with_the_same_key() -> None:
    codec = LoginCodec(SECRET_KEY, prefix="app:")
    sealed = codec.seal_login(StoredLogin.of("mock", TOKEN, alice()))
    assert "secret-access-token" not in sealed and "alice" not in sealed
    opened = codec.open_login(sealed)
    assert opened is not None and opened.token.access_token == "secret-access-token"


def test_a_login_sealed_with_another_key_reads_as_nothing_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sealed = LoginCodec("another-key", prefix="app:").seal_login(
        StoredLogin.of("mock", TOKEN, None)
    )
    with caplog.at_level(logging.WARNING, logger="flet_auth"):
        assert LoginCodec(SECRET_KEY, prefix="app:").open_login(sealed) is None
    assert "secret key changed" in caplog.text


def test_a_pending_login_is_sealed_encrypted_and_opens_with_the_same_key() -> None:
    codec = LoginCodec(SECRET_KEY, prefix="app:")
    original = pending()
    sealed = codec.seal_pending(original)
    assert "callback" not in sealed and "/page" not in sealed
    assert codec.open_pending(sealed) == original


def test_a_damaged_pending_login_reads_as_nothing() -> None:
    assert LoginCodec(SECRET_KEY, prefix="app:").open_pending("garbage") is None


def test_a_login_is_kept_for_the_login_ttl(store: TokenStore) -> None:
    logins = login_store(store, login_ttl=0.3)
    logins.write("id", StoredLogin.of("mock", TOKEN, None))
    assert logins.read("id") is not None
    time.sleep(0.5)
    assert logins.read("id") is None


def test_a_pending_login_is_taken_once(store: TokenStore) -> None:
    logins = login_store(store)
    logins.put_pending("browser", "state", pending())
    assert logins.pop_pending("browser", "state") is not None
    assert logins.pop_pending("browser", "state") is None


def test_a_pending_login_is_found_only_by_the_browser_that_started_it(store: TokenStore) -> None:
    logins = login_store(store)
    logins.put_pending("browser", "state", pending())
    assert logins.pop_pending("another-browser", "state") is None
    assert logins.pop_pending("browser", "state") is not None


def test_a_pending_login_lives_as_long_as_the_engine_lets_a_login_take(
    redis_server: RedisServer,
) -> None:
    redis_server.client().flushdb()
    logins = login_store(RedisStore(redis_server.url))
    logins.put_pending("browser", "state", pending())
    key = logins.codec.pending_key("browser", "state")
    lifetime = LOGIN_TTL * 1000
    assert lifetime - 5_000 < redis_server.client().pttl(key) <= lifetime
