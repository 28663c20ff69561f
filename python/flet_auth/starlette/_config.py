"""The app's settings as one mapping: a `starlette.config.Config`, a mapping, or the
environment, with the text of environment variables read as the setting's type."""

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Optional, Union

from flet_auth._core import ConfigurationError

__all__ = ["AppConfig"]

_JSON_SUFFIXES = ("_CLIENT_KWARGS", "_AUTHORIZE_PARAMS")
_BOOL_SUFFIXES = (
    "_FETCH_USER",
    "_FETCH_GROUPS",
    "_ALLOW_INSECURE_HTTP",
    "_USE_PAR",
    "_DPOP",
    "_AUTHORIZATION_RESPONSE_ISS_PARAMETER_SUPPORTED",
)
_NUMBER_SUFFIXES = ("_TIMEOUT", "FLET_AUTH_LOGIN_TTL")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")

ConfigSource = Union[Mapping[str, Any], Callable[..., Any], None]
"""What `FletAuth(config=...)` takes: a mapping, a `starlette.config.Config` (any callable
`config(key, default=None)`), or None for `os.environ`."""


def _typed(key: str, value: str) -> Any:
    """A setting written as text (an environment variable, a `.env` line) as its type."""
    if key.endswith(_JSON_SUFFIXES):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise ConfigurationError(f"{key} must be a JSON object") from None
        if not isinstance(parsed, dict):
            raise ConfigurationError(f"{key} must be a JSON object")
        return parsed
    if key.endswith(_BOOL_SUFFIXES):
        word = value.strip().lower()
        if word not in _TRUE + _FALSE:
            raise ConfigurationError(f"{key} must be true or false")
        return word in _TRUE
    if key.endswith(_NUMBER_SUFFIXES):
        try:
            return float(value)
        except ValueError:
            raise ConfigurationError(f"{key} must be a number of seconds") from None
    return value


class AppConfig(Mapping[str, Any]):
    """The settings in `source` (see `ConfigSource`), Authlib's `{NAME}_{SETTING}` keys and
    `FLET_AUTH_*`; a text value of a dict, bool or number setting is read as one."""

    def __init__(self, source: ConfigSource = None) -> None:
        if source is not None and not isinstance(source, Mapping) and not callable(source):
            raise ConfigurationError(
                "config must be a starlette.config.Config, a mapping or None (the environment)"
            )
        self._source = source

    def _raw(self, key: str) -> Optional[Any]:
        source = self._source
        if source is None:
            return os.environ.get(key)
        if isinstance(source, Mapping):
            return source.get(key)
        return source(key, default=None)

    def __getitem__(self, key: str) -> Any:
        value = self._raw(key)
        if value is None:
            raise KeyError(key)
        return _typed(key, value) if isinstance(value, str) else value

    def __iter__(self) -> Iterator[str]:
        source = self._source
        if source is None:
            return iter(os.environ)
        if isinstance(source, Mapping):
            return iter(source)
        return iter(getattr(source, "file_values", {}))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"AppConfig({type(self._source).__name__})"
