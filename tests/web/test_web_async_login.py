"""The async face of the web core, through the bundled provider and real stores: the login
flow, the browser's login, the refresh once for many concurrent tasks, logout, the handlers,
and the same records as the sync face (a Flask worker and a Starlette one share a store)."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional

import pytest

from flask_apps.processes import RedisServer
from flet_auth import HTTPStatusError, StateMismatchError
from flet_auth.testing import MockOAuthServer
from flet_auth.web import session as browser_session
from flet_auth.web.async_browser_login import AsyncBrowserLogin
from flet_auth.web.async_login_flow import complete_login_async, start_login_async
from flet_auth.web.async_login_store import AsyncLoginStore
from flet_auth.web.async_logout import log_out_async
from flet_auth.web.clients import WebClient
from flet_auth.web.events import AuthEvent, Handlers
from flet_auth.web.login_flow import CompletedLogin
from flet_auth.web.logins import PendingLogin, StoredLogin
from flet_auth.web.stores import AsyncMemoryStore, AsyncRedisStore, AsyncSQLiteStore, SQLiteStore
from web.helpers import SECRET_KEY, login_store, mock_client

REDIRECT = "http://127.0.0.1:5000/login/mock/callback"


def async_logins(store: Any, **kwargs: Any) -> AsyncLoginStore:
    return AsyncLoginStore(store, SECRET_KEY, prefix="flet_auth:", login_ttl=3600.0, **kwargs)


@pytest.fixture
def logins(tmp_path: Path) -> AsyncLoginStore:
    return async_logins(AsyncSQLiteStore(tmp_path / "store.sqlite3"))


async def started(
    logins: AsyncLoginStore, client: WebClient, server: MockOAuthServer, session: dict[str, Any]
) -> dict[str, str]:
    url = await start_login_async(
        logins, client, session, redirect_uri=client.default_redirect_uri(), next_url="/page"
    )
    return await asyncio.to_thread(server.authorize, url)


async def log_in(
    logins: AsyncLoginStore, client: WebClient, server: MockOAuthServer, session: dict[str, Any]
) -> CompletedLogin:
    redirect = await started(logins, client, server, session)
    return await complete_login_async(logins, client, session, redirect)


async def test_a_login_completes_with_the_async_core(
    logins: AsyncLoginStore, server: MockOAuthServer
) -> None:
    session: dict[str, Any] = {}
    done = await log_in(logins, mock_client(server), server, session)
    assert done.next_url == "/page"
    user = done.login.to_user()
    assert user is not None and user.id
    login_id = browser_session.login_id(session)
    assert login_id is not None and await logins.read(login_id) == done.login


async def test_a_redirect_is_used_once_and_only_by_its_browser(
    logins: AsyncLoginStore, server: MockOAuthServer
) -> None:
    client = mock_client(server)
    victim: dict[str, Any] = {}
    attacker: dict[str, Any] = {browser_session.BROWSER_ID: "attacker"}
    redirect = await started(logins, client, server, victim)
    with pytest.raises(StateMismatchError):
        await complete_login_async(logins, client, attacker, redirect)
    await complete_login_async(logins, client, victim, redirect)
    with pytest.raises(StateMismatchError):
        await complete_login_async(logins, client, victim, redirect)
    assert server.count("token.authorization_code") == 1


async def test_the_first_seal_derives_its_key_off_the_event_loop() -> None:
    logins = async_logins(AsyncMemoryStore())
    ticks = 0
    writing = True

    async def ticker() -> None:
        nonlocal ticks
        while writing:
            ticks += 1
            await asyncio.sleep(0)

    running = asyncio.ensure_future(ticker())
    await asyncio.sleep(0)
    ticks = 0
    await logins.put_pending("browser", "state", PendingLogin("mock", REDIRECT, None, None, 0.0))
    writing = False
    await running
    # On the loop, the 80 ms derivation and the memory store would not let the ticker run.
    assert ticks > 0


async def test_the_async_and_sync_login_stores_read_each_others_records(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    path = tmp_path / "store.sqlite3"
    sync, logins = login_store(SQLiteStore(path)), async_logins(AsyncSQLiteStore(path))
    session: dict[str, Any] = {}
    done = await log_in(logins, mock_client(server), server, session)
    login_id = browser_session.login_id(session)
    assert login_id is not None
    assert await asyncio.to_thread(sync.read, login_id) == done.login
    await asyncio.to_thread(sync.delete, login_id)
    assert await logins.read(login_id) is None


async def logged_in(
    logins: AsyncLoginStore, server: MockOAuthServer, session: dict[str, Any], expires_in: int
) -> WebClient:
    client = mock_client(server)
    server.access_token_ttl = expires_in
    try:
        await log_in(logins, client, server, session)
    finally:
        server.access_token_ttl = 3600
    server.reset_counts()
    return client


async def test_concurrent_tasks_that_find_a_token_due_refresh_it_once(
    logins: AsyncLoginStore, server: MockOAuthServer
) -> None:
    session: dict[str, Any] = {}
    client = await logged_in(logins, server, session, expires_in=30)  # due now (60 s leeway)
    stored = await AsyncBrowserLogin(logins, session, {"mock": client}).load()
    assert stored is not None
    before = stored.token.access_token

    async def request() -> Optional[str]:
        token = await AsyncBrowserLogin(logins, dict(session), {"mock": client}).get_token()
        return token.access_token if token is not None else None

    tokens = await asyncio.gather(*(request() for _ in range(20)))
    assert server.count("token.refresh_token") == 1
    assert len(set(tokens)) == 1 and None not in tokens and before not in tokens


async def test_a_refused_refresh_forgets_the_login(
    logins: AsyncLoginStore, server: MockOAuthServer
) -> None:
    session: dict[str, Any] = {}
    client = await logged_in(logins, server, session, expires_in=30)
    login_id = browser_session.login_id(session)
    assert login_id is not None
    server.fail("token", 400, '{"error": "invalid_grant"}', content_type="application/json")
    try:
        assert await AsyncBrowserLogin(logins, session, {"mock": client}).get_token() is None
    finally:
        server.clear_faults()
    assert browser_session.login_id(session) is None
    assert await logins.read(login_id) is None


async def test_logout_revokes_and_forgets_the_login(
    logins: AsyncLoginStore, server: MockOAuthServer
) -> None:
    session: dict[str, Any] = {}
    client = await logged_in(logins, server, session, expires_in=3600)
    login_id = browser_session.login_id(session)
    assert login_id is not None
    browser = AsyncBrowserLogin(logins, session, {"mock": client})
    done = await log_out_async(browser, None, "http://127.0.0.1:5000/")
    assert done.login is not None and done.end_session_url is None
    assert server.count("revoke") == 2  # the refresh token, then the access token
    assert await logins.read(login_id) is None
    assert browser_session.login_id(session) is None
    assert browser_session.CSRF_TOKEN not in session


async def test_a_failed_async_revocation_is_given_back_to_the_app(
    logins: AsyncLoginStore, server: MockOAuthServer
) -> None:
    client = mock_client(server)
    session: dict[str, Any] = {}
    await log_in(logins, client, server, session)
    server.fail("revoke", 503, "busy", times=2)
    browser = AsyncBrowserLogin(logins, session, {"mock": client})
    done = await log_out_async(browser, None, "http://127.0.0.1:5000/")
    assert isinstance(done.revocation_error, HTTPStatusError)
    assert done.revocation_error.status == 503


async def test_async_handlers_are_awaited_and_sync_ones_run_beside_the_loop() -> None:
    handlers = Handlers()
    seen: list[tuple[str, bool]] = []
    loop_thread = threading.get_ident()

    def plain(event: AuthEvent) -> None:
        seen.append(("plain", threading.get_ident() == loop_thread))

    async def coroutine(event: AuthEvent) -> str:
        seen.append(("coroutine", threading.get_ident() == loop_thread))
        return "first answer"

    def later(event: AuthEvent) -> str:
        return "second answer"

    for handler in (plain, coroutine, later):
        handlers.add("login", handler)
    assert await handlers.fire_async(AuthEvent("mock")) == "first answer"
    assert seen == [("plain", False), ("coroutine", True)]


class CountingExecutor(ThreadPoolExecutor):
    """The stdlib's thread pool, counting the calls it is given."""

    submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


async def test_concurrent_reads_of_another_workers_record_derive_its_key_once() -> None:
    store = AsyncMemoryStore()
    other_worker = async_logins(store)
    login = StoredLogin("mock", '{"access_token":"a"}', None)
    await other_worker.write("login-id", login)
    executor = CountingExecutor(max_workers=8)
    asyncio.get_running_loop().set_default_executor(executor)
    logins = async_logins(store)  # another process: another salt
    read = await asyncio.gather(*(logins.read("login-id") for _ in range(20)))
    assert read == [login] * 20
    assert executor.submitted == 1  # one PBKDF2 derivation, not one per request


async def test_tasks_of_one_process_share_one_refresh_instead_of_polling_the_lock(
    server: MockOAuthServer, redis_server: RedisServer
) -> None:
    redis = redis_server.client()
    redis.flushdb()
    logins = async_logins(AsyncRedisStore(redis_server.url))
    session: dict[str, Any] = {}
    client = await logged_in(logins, server, session, expires_in=30)
    redis.config_resetstat()

    async def request() -> Optional[str]:
        token = await AsyncBrowserLogin(logins, dict(session), {"mock": client}).get_token()
        return token.access_token if token is not None else None

    tokens = await asyncio.gather(*(request() for _ in range(20)))
    assert len(set(tokens)) == 1 and None not in tokens
    assert server.count("token.refresh_token") == 1
    stats = redis.info("commandstats")
    assert "cmdstat_exists" not in stats  # nobody waited on the store's lock
