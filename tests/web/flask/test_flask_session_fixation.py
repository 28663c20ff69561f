"""Session fixation with real server-side sessions (Flask-Session in a cachelib filesystem
cache and in a real redis-server): a session id planted in the victim's browser before login
never becomes logged in."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from cachelib.file import FileSystemCache
from flask import Flask, session
from flask.testing import FlaskClient
from flask_session import Session

from flask_apps.config import mock_client
from flask_apps.processes import RedisServer
from flet_auth.flask import FletAuth, current_auth, login_required
from flet_auth.testing import MockOAuthServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as s:
        yield s


@pytest.fixture(params=["cachelib", "redis"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Flask-Session's settings for sessions in files, or in a real redis-server."""
    if request.param == "cachelib":
        cache = FileSystemCache(str(tmp_path / "sessions"), threshold=500)
        return {"SESSION_TYPE": "cachelib", "SESSION_CACHELIB": cache}
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    redis_server.client().flushdb()
    return {"SESSION_TYPE": "redis", "SESSION_REDIS": redis.Redis.from_url(redis_server.url)}


def server_side_app(tmp_path: Path, server: MockOAuthServer, sessions: dict[str, Any]) -> Flask:
    """A real Flask app whose sessions live server side (the cookie holds only their id)."""
    app = Flask("session_fixation_test", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="test-secret-key", **sessions, **mock_client(server))
    Session(app)
    FletAuth(app).register("mock")

    @app.get("/me")
    @login_required
    def me() -> dict[str, str]:
        user = current_auth.user
        assert user is not None
        return {"id": user.id}

    return app


def session_id(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def log_in(client: FlaskClient, server: MockOAuthServer, user: str) -> None:
    start = client.get("/login/mock")
    assert start.status_code == 302 and start.location is not None
    done = client.get("/login/mock/callback", query_string=server.authorize(start.location, user))
    assert done.status_code == 302, done.get_data(as_text=True)


def test_a_session_id_planted_before_login_is_not_logged_in_after_it(
    tmp_path: Path, server: MockOAuthServer, sessions: dict[str, Any]
) -> None:
    app = server_side_app(tmp_path, server, sessions)
    attacker = app.test_client()
    attacker.get("/login/mock")  # the attacker gets a server-side session id
    planted = session_id(attacker)
    victim = app.test_client()
    victim.set_cookie("session", planted)
    log_in(victim, server, "bob")
    assert victim.get("/me").status_code == 200
    assert session_id(victim) != planted
    assert attacker.get("/me", headers={"Accept": "application/json"}).status_code == 401


def test_a_login_clears_what_the_session_held_before_it(
    tmp_path: Path, server: MockOAuthServer, sessions: dict[str, Any]
) -> None:
    app = server_side_app(tmp_path, server, sessions)

    @app.get("/plant")
    def plant() -> str:
        session["role"] = "admin"
        return "planted"

    client = app.test_client()
    client.get("/plant")
    log_in(client, server, "alice")
    with client.session_transaction() as kept:
        assert "role" not in kept
