"""The `FLET_AUTH_*` settings, read from a plain config mapping."""

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from flet_auth import ConfigurationError, OAuthToken
from flet_auth.web.logins import StoredLogin
from flet_auth.web.settings import open_logins, secret_key


def test_the_secret_key_is_flet_auth_secret_key_else_secret_key() -> None:
    assert secret_key({"SECRET_KEY": "app", "FLET_AUTH_SECRET_KEY": "ours"}) == "ours"
    assert secret_key({"SECRET_KEY": "app"}) == "app"
    assert secret_key({"SECRET_KEY": b"\x01\xff"}) == "01ff"


@pytest.mark.parametrize(
    "config", [{}, {"SECRET_KEY": ""}, {"SECRET_KEY": None}, {"SECRET_KEY": 5}]
)
def test_a_missing_secret_key_is_named(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        secret_key(config)


@pytest.mark.parametrize("ttl", [0, -1, True, "60", None])
def test_a_login_ttl_that_is_not_a_positive_number_is_refused(ttl: Any, tmp_path: Path) -> None:
    config = {"SECRET_KEY": "k", "FLET_AUTH_LOGIN_TTL": ttl}
    with pytest.raises(ConfigurationError, match="FLET_AUTH_LOGIN_TTL"):
        open_logins(config, None, str(tmp_path / "s.sqlite3"))


@pytest.mark.parametrize("cap", [0, -1, True, "100", 1.5, None])
def test_a_max_pending_logins_that_is_not_a_positive_integer_is_refused(
    cap: Any, tmp_path: Path
) -> None:
    config = {"SECRET_KEY": "k", "FLET_AUTH_MAX_PENDING_LOGINS": cap}
    with pytest.raises(ConfigurationError, match="FLET_AUTH_MAX_PENDING_LOGINS"):
        open_logins(config, None, str(tmp_path / "s.sqlite3"))


def test_the_store_setting_of_the_config_is_used_when_none_is_given(tmp_path: Path) -> None:
    path = tmp_path / "configured.sqlite3"
    config = {"SECRET_KEY": "k", "FLET_AUTH_STORE": f"sqlite:///{path}"}
    logins = open_logins(config, None, str(tmp_path / "default.sqlite3"))
    logins.write("id", StoredLogin.of("mock", OAuthToken.from_json('{"access_token":"a"}'), None))
    assert path.exists() and not (tmp_path / "default.sqlite3").exists()


def test_every_store_key_starts_with_the_key_prefix(tmp_path: Path) -> None:
    config = {"SECRET_KEY": "k", "FLET_AUTH_KEY_PREFIX": "app1:", "FLET_AUTH_LOGIN_TTL": 60}
    logins = open_logins(config, None, str(tmp_path / "s.sqlite3"))
    logins.write("id", StoredLogin.of("mock", OAuthToken.from_json('{"access_token":"a"}'), None))
    db = sqlite3.connect(tmp_path / "s.sqlite3")
    try:
        keys = [k for (k,) in db.execute("SELECT key FROM flet_auth_entries")]
    finally:
        db.close()
    assert len(keys) == 1 and keys[0].startswith("app1:login:")
