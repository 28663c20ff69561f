"""Flask's signed-cookie sessions under FletAuth: each cookie value's signature is checked
once per worker (`VerifiedCookieSessionInterface`), with Flask's own answers for expired,
tampered and re-keyed cookies, on a real Flask app."""

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cachelib.file import FileSystemCache
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from flask_session import Session
from itsdangerous import URLSafeTimedSerializer

from flet_auth._core import ConfigurationError
from flet_auth.flask import FletAuth
from flet_auth.flask.cookie_sessions import VerifiedCookieSessionInterface


def new_app(tmp_path: Path, **config: Any) -> Flask:
    """A real Flask app with FletAuth, a route that writes the session and one that reads it."""
    app = Flask("cookie_sessions_test", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="the-first-secret-key", **config)
    FletAuth(app)

    @app.post("/set/<value>")
    def set_value(value: str) -> dict[str, bool]:
        session["value"] = value
        return {"ok": True}

    @app.post("/set-list")
    def set_list() -> dict[str, bool]:
        session["values"] = ["a", "b"]
        return {"ok": True}

    @app.post("/change-in-place")
    def change_in_place() -> dict[str, bool]:
        session["value"] = "changed"
        return {"ok": True}

    @app.get("/get")
    def get_value() -> dict[str, Any]:
        return {"value": session.get("value"), "values": session.get("values")}

    return app


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return new_app(tmp_path)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The cookie values itsdangerous verified (a spy around the real `loads`)."""
    seen: list[str] = []
    real = URLSafeTimedSerializer.loads

    def spy(self: URLSafeTimedSerializer, s: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(s if isinstance(s, str) else s.decode())
        return real(self, s, *args, **kwargs)

    monkeypatch.setattr(URLSafeTimedSerializer, "loads", spy)
    yield seen


def cookie(client: FlaskClient) -> str:
    found = client.get_cookie("session")
    assert found is not None
    return found.value


def test_fletauth_puts_the_verifying_interface_in_an_app_with_flasks_default(app: Flask) -> None:
    assert type(app.session_interface) is VerifiedCookieSessionInterface


def test_a_cookie_sent_again_is_verified_once(app: Flask, loads: list[str]) -> None:
    client = app.test_client()
    client.post("/set/one")
    answers = [client.get("/get").get_json()["value"] for _ in range(5)]
    assert answers == ["one"] * 5
    assert loads.count(cookie(client)) == 1


def test_a_cookie_verified_before_expires_at_flasks_session_lifetime(tmp_path: Path) -> None:
    app = new_app(tmp_path, PERMANENT_SESSION_LIFETIME=timedelta(seconds=1))
    client = app.test_client()
    client.post("/set/one")
    assert client.get("/get").get_json()["value"] == "one"
    time.sleep(2.2)  # itsdangerous counts whole seconds: age 2 > 1
    assert client.get("/get").get_json()["value"] is None


def test_a_tampered_cookie_reads_as_an_empty_session(app: Flask) -> None:
    client = app.test_client()
    client.post("/set/one")
    value = cookie(client)
    assert client.get("/get").get_json()["value"] == "one"
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    client.set_cookie("session", forged)
    assert client.get("/get").get_json()["value"] is None


def test_a_cookie_of_a_replaced_secret_key_reads_as_an_empty_session(app: Flask) -> None:
    client = app.test_client()
    client.post("/set/one")
    assert client.get("/get").get_json()["value"] == "one"
    app.secret_key = "the-second-secret-key"
    assert client.get("/get").get_json()["value"] is None


def test_a_cookie_of_a_fallback_secret_key_is_still_read(app: Flask) -> None:
    client = app.test_client()
    client.post("/set/one")
    assert client.get("/get").get_json()["value"] == "one"
    app.secret_key = "the-second-secret-key"
    app.config["SECRET_KEY_FALLBACKS"] = ["the-first-secret-key"]
    assert client.get("/get").get_json()["value"] == "one"


def test_a_requests_change_does_not_reach_another_request_with_the_same_cookie(
    app: Flask,
) -> None:
    client = app.test_client()
    client.post("/set/one")
    old = cookie(client)
    assert client.get("/get").get_json()["value"] == "one"  # now remembered
    client.post("/change-in-place")
    assert client.get("/get").get_json()["value"] == "changed"
    client.set_cookie("session", old)
    assert client.get("/get").get_json()["value"] == "one"


def test_a_session_holding_a_list_is_verified_on_every_request(
    app: Flask, loads: list[str]
) -> None:
    client = app.test_client()
    client.post("/set-list")
    for _ in range(3):
        assert client.get("/get").get_json()["values"] == ["a", "b"]
    assert loads.count(cookie(client)) == 3


def test_the_setting_false_keeps_flasks_interface(tmp_path: Path) -> None:
    app = new_app(tmp_path, FLET_AUTH_SESSION_CACHE=False)
    assert type(app.session_interface) is SecureCookieSessionInterface


def test_a_setting_that_is_not_a_bool_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="FLET_AUTH_SESSION_CACHE must be True or False"):
        new_app(tmp_path, FLET_AUTH_SESSION_CACHE="no")


def test_an_apps_own_session_interface_is_left_alone(tmp_path: Path) -> None:
    app = Flask("own_interface_test", instance_path=str(tmp_path / "instance"))
    cache = FileSystemCache(str(tmp_path / "sessions"), threshold=10)
    app.config.update(SECRET_KEY="k", SESSION_TYPE="cachelib", SESSION_CACHELIB=cache)
    Session(app)
    own = app.session_interface
    FletAuth(app)
    assert app.session_interface is own


def test_an_app_without_a_secret_key_gets_flasks_null_session(tmp_path: Path) -> None:
    app = Flask("no_key_test", instance_path=str(tmp_path / "instance"))
    FletAuth(app)

    @app.get("/peek")
    def peek() -> dict[str, Any]:
        return {"value": session.get("value")}

    client = app.test_client()
    client.set_cookie("session", "anything")
    assert client.get("/peek").get_json() == {"value": None}
