"""CSRF tokens: the value a logout form must send back, compared in constant time."""

import hmac
import secrets
from typing import Optional

__all__ = ["csrf_matches", "new_csrf_token"]


def new_csrf_token() -> str:
    """A fresh token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def csrf_matches(sent: Optional[str], expected: Optional[str]) -> bool:
    """Whether the `sent` token is the `expected` one; False when either is missing."""
    if not isinstance(expected, str) or not expected or not isinstance(sent, str):
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())
