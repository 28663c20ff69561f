"""Where a web login sends the browser: the same-site `next` rule, the redirect URI's shape,
and the paths of the login and home pages."""

from typing import Optional
from urllib.parse import urlsplit

from flet_auth._core import ConfigurationError

__all__ = ["check_redirect_uri", "home_path", "request_path", "safe_next"]


def safe_next(value: Optional[str]) -> Optional[str]:
    """`value` when it is a same-site relative path (`/page?x=1`), else None.

    Absolute URLs, scheme-relative ones (`//evil.example`), backslashes and control characters
    are refused, so a `next` parameter can never send the browser to another site.
    """
    if not value or len(value) > 2048 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def check_redirect_uri(redirect_uri: str) -> str:
    """`redirect_uri` when it is an absolute http(s) URL; else a `ConfigurationError`."""
    parts = urlsplit(str(redirect_uri))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError("redirect_uri must be an absolute http(s) URL")
    return str(redirect_uri)


def home_path(root_path: str) -> str:
    """The app's home page under its mount point (`root_path`, "" when at the root)."""
    return (root_path or "") + "/"


def request_path(root_path: str, path: str, query: str) -> str:
    """The same-site path of a request, query included: where to come back after a login."""
    return (root_path or "") + (f"{path}?{query}" if query else path)
