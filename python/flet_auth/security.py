"""Encrypt and decrypt text with a passphrase, as `flet.security` does, in Rust.

Change `from flet.security import encrypt, decrypt` to `from flet_auth.security import ...`:
`decrypt` reads everything Flet's `encrypt` and `encrypt_aes_gcm_256` wrote. New data is
AES-256-GCM with a PBKDF2-HMAC-SHA256 key (600,000 rounds, fresh salt and nonce per call) in
a versioned format. A wrong key or damaged data raises `InvalidToken` (a `ValueError`).

Example::

    from flet_auth.security import decrypt, encrypt

    saved = encrypt(page.auth.token.to_json(), os.environ["MY_APP_SECRET_KEY"])
    token_json = decrypt(saved, os.environ["MY_APP_SECRET_KEY"])

`encrypt` and `decrypt` derive the key on every call (about 80 ms, by design). Code that
encrypts many records with one passphrase uses a `SecretBox`: same format, key derived once::

    box = SecretBox(os.environ["MY_APP_SECRET_KEY"])
    record = box.encrypt(token.to_json())      # microseconds after the first call
    token_json = box.decrypt(record)           # also reads `encrypt`'s and Flet's data
"""

from flet_auth._core import (
    InvalidToken,
    SecretBox,
    decrypt,
    decrypt_aes_gcm_256,
    encrypt,
    encrypt_aes_gcm_256,
    encrypt_fernet,
)

__all__ = [
    "InvalidToken",
    "SecretBox",
    "decrypt",
    "decrypt_aes_gcm_256",
    "encrypt",
    "encrypt_aes_gcm_256",
    "encrypt_fernet",
]
