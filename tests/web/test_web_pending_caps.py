"""The caps on logins in progress (issue: one anonymous client could keep 165,000 alive):
the newest few per browser, and a number per `LOGIN_TTL` window in all. Against a real
SQLite file and a real redis-server, and through a real Flask app."""

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from flask_apps.config import mock_client
from flet_auth.flask import FletAuth
from flet_auth.testing import MockOAuthServer
from flet_auth.web.async_login_store import AsyncLoginStore
from flet_auth.web.errors import TooManyLoginsError
from flet_auth.web.logins import PendingLogin
from flet_auth.web.pending_caps import PENDING_PER_BROWSER
from flet_auth.web.stores import AsyncTokenStore, SQLiteStore, TokenStore
from web.helpers import SECRET_KEY, login_store


def pending() -> PendingLogin:
    return PendingLogin("mock", "http://127.0.0.1:5000/cb", None, None, time.time())


def test_a_browser_keeps_only_its_newest_pending_logins(store: TokenStore) -> None:
    logins = login_store(store)
    states = [f"state-{i}" for i in range(PENDING_PER_BROWSER + 2)]
    for state in states:
        logins.put_pending("browser", state, pending())
    kept = [s for s in states if logins.pop_pending("browser", s) is not None]
    assert kept == states[2:]


def test_one_browser_starting_logins_drops_none_of_another_browsers(store: TokenStore) -> None:
    logins = login_store(store)
    logins.put_pending("victim", "state", pending())
    for i in range(PENDING_PER_BROWSER * 2):
        logins.put_pending("attacker", f"state-{i}", pending())
    assert logins.pop_pending("victim", "state") is not None


def test_logins_beyond_the_overall_cap_are_refused(store: TokenStore) -> None:
    logins = login_store(store, max_pending_logins=3)
    for i in range(3):
        logins.put_pending(f"browser-{i}", "state", pending())
    with pytest.raises(TooManyLoginsError):
        logins.put_pending("browser-3", "state", pending())
    assert logins.pop_pending("browser-3", "state") is None


def test_a_refused_login_leaves_no_row_in_the_store(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    logins = login_store(SQLiteStore(path), max_pending_logins=20)
    for i in range(100):
        with contextlib.suppress(TooManyLoginsError):
            logins.put_pending(f"browser-{i}", "state", pending())
    with sqlite3.connect(path) as db:
        (rows,) = db.execute(
            "SELECT count(*) FROM flet_auth_entries WHERE key LIKE 'flet_auth:pending:%'"
        ).fetchone()
    assert rows == 20


def test_a_store_without_incr_warns_that_only_the_browser_cap_applies(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class OldStore:
        def __init__(self, inner: SQLiteStore) -> None:
            self.get, self.set, self.pop = inner.get, inner.set, inner.pop
            self.delete, self.acquire = inner.delete, inner.acquire
            self.release, self.locked = inner.release, inner.locked

    with caplog.at_level(logging.WARNING, logger="flet_auth.web"):
        logins = login_store(OldStore(SQLiteStore(tmp_path / "s.sqlite3")), max_pending_logins=1)  # type: ignore[arg-type]
    assert "capped per browser only" in caplog.text
    for i in range(3):
        logins.put_pending(f"browser-{i}", "state", pending())
    assert logins.pop_pending("browser-2", "state") is not None


def async_logins(store: AsyncTokenStore, **kwargs: int) -> AsyncLoginStore:
    return AsyncLoginStore(store, SECRET_KEY, prefix="flet_auth:", login_ttl=3600.0, **kwargs)


async def test_an_async_store_keeps_only_a_browsers_newest_pending_logins(
    async_store: AsyncTokenStore,
) -> None:
    logins = async_logins(async_store)
    states = [f"state-{i}" for i in range(PENDING_PER_BROWSER + 2)]
    for state in states:
        await logins.put_pending("browser", state, pending())
    kept = [s for s in states if await logins.pop_pending("browser", s) is not None]
    assert kept == states[2:]


async def test_an_async_store_refuses_logins_beyond_the_overall_cap(
    async_store: AsyncTokenStore,
) -> None:
    logins = async_logins(async_store, max_pending_logins=3)
    for i in range(3):
        await logins.put_pending(f"browser-{i}", "state", pending())
    with pytest.raises(TooManyLoginsError):
        await logins.put_pending("browser-3", "state", pending())


@pytest.fixture(scope="module")
def server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as s:
        yield s


def test_a_flask_login_route_beyond_the_cap_answers_503_with_retry_after(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app = Flask("pending_caps", instance_path=str(tmp_path / "instance"))
    app.config.update(
        SECRET_KEY="test-secret-key", FLET_AUTH_MAX_PENDING_LOGINS=2, **mock_client(server)
    )
    FletAuth(app).register("mock")
    answers = [app.test_client().get("/login/mock") for _ in range(3)]  # three cookie-less clients
    assert [a.status_code for a in answers] == [302, 302, 503]
    assert answers[2].headers.get("Retry-After")
