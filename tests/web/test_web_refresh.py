"""The cross-worker refresh: worker processes on a real SQLite file or a real redis-server
that find a token due at once make one refresh request; a lock left by a dead worker, a holder
that never finishes, a provider that is away; every new token stored before it is used."""

import multiprocessing
import time
from pathlib import Path
from typing import Any, Optional

import pytest

from flask_apps.processes import RedisServer
from flet_auth import HTTPStatusError
from flet_auth import TimeoutError as AuthTimeoutError
from flet_auth.testing import MockOAuthServer
from flet_auth.web import session as browser_session
from flet_auth.web.clients import WebClient
from flet_auth.web.login_store import LoginStore
from flet_auth.web.logins import StoredLogin
from flet_auth.web.refresh import refresh_once, refresh_with_engine
from flet_auth.web.stores import open_store
from web.helpers import log_in, login_store, mock_client, mock_settings
from web.refresh_worker import usable_token

WORKERS = 6


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    redis_server.client().flushdb()
    return redis_server.url


@pytest.fixture
def logins(tmp_path: Path) -> LoginStore:
    return login_store(open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}"))


def logged_in(
    logins: LoginStore, server: MockOAuthServer, *, expires_in: int = 30
) -> tuple[WebClient, str, StoredLogin]:
    """A login whose token expires in `expires_in` s (30: due now); later tokens last 1 h."""
    client = mock_client(server)
    session: dict[str, Any] = {}
    server.access_token_ttl = expires_in
    try:
        done = log_in(logins, client, server, session)
    finally:
        server.access_token_ttl = 3600
    login_id = browser_session.login_id(session)
    assert login_id is not None
    server.reset_counts()
    return client, login_id, done.login


def refresh_now(client: WebClient, logins: LoginStore, login_id: str) -> Optional[StoredLogin]:
    """What a request of this process does with a due login: `refresh_once` with the engine."""

    def refresh(fresh: StoredLogin) -> Optional[StoredLogin]:
        return refresh_with_engine(client, logins, login_id, fresh)

    return refresh_once(logins, login_id, lock_ttl=client.lock_ttl, refresh=refresh)


def test_workers_that_find_a_token_due_at_once_refresh_it_once(
    server: MockOAuthServer, store_url: str
) -> None:
    logins = login_store(open_store(store_url))
    _, login_id, before = logged_in(logins, server)
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(WORKERS)
    results: Any = spawn.Queue()
    settings = mock_settings(server)
    workers = [
        spawn.Process(target=usable_token, args=(store_url, settings, login_id, barrier, results))
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    tokens = [results.get(timeout=90) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert [w.exitcode for w in workers] == [0] * WORKERS
    assert server.count("token.refresh_token") == 1
    assert len(set(tokens)) == 1 and tokens[0] not in (None, before.token.access_token)
    stored = logins.read(login_id)
    assert stored is not None and stored.token.access_token == tokens[0]


def test_a_lock_left_by_a_dead_worker_expires_and_the_token_is_refreshed(
    server: MockOAuthServer, logins: LoginStore
) -> None:
    client, login_id, before = logged_in(logins, server)
    assert logins.acquire(login_id, "dead-worker", 0.5)
    login = refresh_now(client, logins, login_id)
    assert login is not None and login.token.access_token != before.token.access_token
    assert server.count("token.refresh_token") == 1


def test_a_waiter_gives_up_when_the_lock_holder_never_finishes(
    server: MockOAuthServer, logins: LoginStore
) -> None:
    client, login_id, _ = logged_in(logins, server)
    assert logins.acquire(login_id, "stuck-worker", 60)
    started = time.monotonic()
    with pytest.raises(AuthTimeoutError, match="another request"):
        refresh_once(
            logins,
            login_id,
            lock_ttl=0.1,
            refresh=lambda fresh: refresh_with_engine(client, logins, login_id, fresh),
        )
    assert time.monotonic() - started < 30
    assert server.count("token.refresh_token") == 0


def test_the_lock_is_released_when_the_provider_cannot_be_reached(
    server: MockOAuthServer, logins: LoginStore
) -> None:
    client, login_id, _ = logged_in(logins, server)
    server.fail("token", 503, "busy")
    with pytest.raises(HTTPStatusError):
        refresh_now(client, logins, login_id)
    assert not logins.locked(login_id)
    assert logins.read(login_id) is not None  # kept: the next request tries again


def test_a_token_that_is_no_longer_due_is_used_as_it_is(
    server: MockOAuthServer, logins: LoginStore
) -> None:
    client, login_id, before = logged_in(logins, server, expires_in=3600)
    login = refresh_now(client, logins, login_id)
    assert login is not None and login.token.access_token == before.token.access_token
    assert server.count("token.refresh_token") == 0


def test_a_login_gone_from_the_store_gives_none(
    server: MockOAuthServer, logins: LoginStore
) -> None:
    client, login_id, _ = logged_in(logins, server)
    logins.delete(login_id)
    assert refresh_now(client, logins, login_id) is None
    assert server.count("token.refresh_token") == 0


def test_the_new_token_is_stored_before_it_is_returned(
    server: MockOAuthServer, logins: LoginStore
) -> None:
    client, login_id, before = logged_in(logins, server)
    new = refresh_with_engine(client, logins, login_id, before)
    stored = logins.read(login_id)
    assert new is not None and stored is not None
    assert stored.token.access_token == new.token.access_token != before.token.access_token
    assert stored.user == before.user


def test_a_refused_refresh_gives_none_and_leaves_the_stored_login(
    server: MockOAuthServer, logins: LoginStore
) -> None:
    client, login_id, before = logged_in(logins, server)
    server.fail("token", 400, '{"error": "invalid_grant"}')
    assert refresh_with_engine(client, logins, login_id, before) is None
    stored = logins.read(login_id)
    assert stored is not None and stored.token.access_token == before.token.access_token
