"""The web login's own settings, read from an app's config (any mapping): `FLET_AUTH_STORE`,
`FLET_AUTH_SECRET_KEY` (else `SECRET_KEY`), `FLET_AUTH_LOGIN_TTL`, `FLET_AUTH_KEY_PREFIX`,
`FLET_AUTH_MAX_PENDING_LOGINS`, `FLET_AUTH_LOGIN_CACHE_TTL`, `FLET_AUTH_LOGIN_CACHE_SIZE`."""

from collections.abc import Mapping
from typing import Any, Optional

from flet_auth._core import ConfigurationError
from flet_auth.web.async_login_store import AsyncLoginStore
from flet_auth.web.login_cache import DEFAULT_CACHE_SIZE, DEFAULT_CACHE_TTL
from flet_auth.web.login_store import LoginStore
from flet_auth.web.pending_caps import DEFAULT_MAX_PENDING_LOGINS
from flet_auth.web.stores.url import async_store_from_setting, store_from_setting

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "DEFAULT_LOGIN_TTL",
    "cache_settings",
    "key_prefix",
    "login_ttl",
    "max_pending_logins",
    "open_async_logins",
    "open_logins",
    "secret_key",
]

DEFAULT_LOGIN_TTL = 30 * 24 * 3600.0
"""Seconds a login is kept in the store after its last write (`FLET_AUTH_LOGIN_TTL`)."""
DEFAULT_KEY_PREFIX = "flet_auth:"
"""What every store key starts with (`FLET_AUTH_KEY_PREFIX`)."""


def secret_key(config: Mapping[str, Any]) -> str:
    """`FLET_AUTH_SECRET_KEY`, else `SECRET_KEY`: the key that encrypts the stored tokens."""
    key = config.get("FLET_AUTH_SECRET_KEY") or config.get("SECRET_KEY")
    if isinstance(key, bytes):
        key = key.hex()
    if not isinstance(key, str) or not key:
        raise ConfigurationError(
            "set SECRET_KEY (or FLET_AUTH_SECRET_KEY): it encrypts the stored tokens"
        )
    return key


def login_ttl(config: Mapping[str, Any]) -> float:
    """`FLET_AUTH_LOGIN_TTL`: seconds a login is kept after its last write."""
    ttl = config.get("FLET_AUTH_LOGIN_TTL", DEFAULT_LOGIN_TTL)
    if not isinstance(ttl, (int, float)) or isinstance(ttl, bool) or ttl <= 0:
        raise ConfigurationError("FLET_AUTH_LOGIN_TTL must be a positive number of seconds")
    return float(ttl)


def max_pending_logins(config: Mapping[str, Any]) -> int:
    """`FLET_AUTH_MAX_PENDING_LOGINS`: the logins that may begin per `LOGIN_TTL` window."""
    cap = config.get("FLET_AUTH_MAX_PENDING_LOGINS", DEFAULT_MAX_PENDING_LOGINS)
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
        raise ConfigurationError("FLET_AUTH_MAX_PENDING_LOGINS must be a positive integer")
    return cap


def cache_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """`FLET_AUTH_LOGIN_CACHE_TTL` (seconds a worker uses its copy of a login; 0: off) and
    `FLET_AUTH_LOGIN_CACHE_SIZE` (how many it keeps), as a login store's keywords."""
    ttl = config.get("FLET_AUTH_LOGIN_CACHE_TTL", DEFAULT_CACHE_TTL)
    if isinstance(ttl, str):
        ttl = _number(ttl, "FLET_AUTH_LOGIN_CACHE_TTL")
    size = config.get("FLET_AUTH_LOGIN_CACHE_SIZE", DEFAULT_CACHE_SIZE)
    if isinstance(size, str):
        size = int(_number(size, "FLET_AUTH_LOGIN_CACHE_SIZE"))
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl >= 0:
        raise ConfigurationError("FLET_AUTH_LOGIN_CACHE_TTL must be 0 or more seconds")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigurationError("FLET_AUTH_LOGIN_CACHE_SIZE must be a positive integer")
    return {"cache_ttl": float(ttl), "cache_size": size}


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number") from None


def key_prefix(config: Mapping[str, Any]) -> str:
    """`FLET_AUTH_KEY_PREFIX`: what every store key starts with."""
    return str(config.get("FLET_AUTH_KEY_PREFIX", DEFAULT_KEY_PREFIX))


def open_logins(config: Mapping[str, Any], store: object, default_path: str) -> LoginStore:
    """The app's `LoginStore`: in `store` (a store object or URL; None: `FLET_AUTH_STORE`,
    else a SQLite file at `default_path`), with the key and lifetimes of `config`."""
    ttl = login_ttl(config)
    cap = max_pending_logins(config)
    setting = store if store is not None else config.get("FLET_AUTH_STORE")
    return LoginStore(
        store_from_setting(setting, default_path),
        secret_key(config),
        prefix=key_prefix(config),
        login_ttl=ttl,
        max_pending_logins=cap,
        **cache_settings(config),
    )


def open_async_logins(
    config: Mapping[str, Any], store: object, default_path: str, key: Optional[str] = None
) -> AsyncLoginStore:
    """`open_logins` for async apps: the `AsyncLoginStore` in `store` (an async or sync store
    object, a URL; None: `FLET_AUTH_STORE`, else SQLite at `default_path`), encrypted with
    `key` (default: the config's secret key)."""
    ttl = login_ttl(config)
    cap = max_pending_logins(config)
    setting = store if store is not None else config.get("FLET_AUTH_STORE")
    return AsyncLoginStore(
        async_store_from_setting(setting, default_path),
        key or secret_key(config),
        prefix=key_prefix(config),
        login_ttl=ttl,
        max_pending_logins=cap,
        **cache_settings(config),
    )
