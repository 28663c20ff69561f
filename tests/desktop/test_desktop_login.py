"""AuthPage and the loopback listener: desktop and command-line logins, without a browser.

The browser's part is played by plain HTTP requests to the listener (the redirect) and by
the local provider's `authorize()` (the consent); tests/desktop/test_browser.py does it with
Chromium.
"""

import asyncio
import json
import os
import socket
import stat
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from desktop_browser import Browser, get, redirect_url_of
from flet_auth import (
    AuthPage,
    ConfigurationError,
    HTTPStatusError,
    IssuerMismatchError,
    LoginEvent,
    OAuthError,
    TimeoutError,
    TransportError,
)
from flet_auth.security import InvalidToken
from flet_auth.store import FileTokenStore
from flet_auth.testing import MockOAuthServer

LOOPBACK = "http://127.0.0.1:0/callback"


@pytest.fixture
def events() -> list[LoginEvent]:
    return []


def page_with(events: list[LoginEvent], store: Any = None) -> AuthPage:
    page = AuthPage(store=store)
    page.on_login = events.append
    return page


async def test_login_through_the_loopback_listener(
    server: MockOAuthServer, events: list[LoginEvent]
) -> None:
    page = page_with(events)
    browser = Browser(server)
    service = await page.login(server.provider(LOOPBACK), on_open_authorization_url=browser)
    assert page.auth is service and service.user is not None and service.user.id == "1001"
    assert [e.error for e in events] == [""]
    status, html = (await browser.finished())[0]
    assert status == 200 and "signed in" in html.lower()
    assert (
        service.redirect_url.startswith("http://127.0.0.1:") and ":0/" not in service.redirect_url
    )


async def test_custom_complete_page(server: MockOAuthServer, events: list[LoginEvent]) -> None:
    browser = Browser(server)
    await page_with(events).login(
        server.provider(LOOPBACK),
        on_open_authorization_url=browser,
        complete_page_html="<p id=done>All good</p>",
    )
    assert (await browser.finished()) == [(200, "<p id=done>All good</p>")]


async def test_denied_login_ends_with_an_event_carrying_the_error(
    server: MockOAuthServer, events: list[LoginEvent]
) -> None:
    page = page_with(events)
    await page.login(server.provider(LOOPBACK), on_open_authorization_url=Browser(server, False))
    assert page.auth is None
    assert [(e.error, e.error_description) for e in events] == [
        ("access_denied", "The user denied the request")
    ]


async def test_wrong_or_missing_state_gets_400_and_the_login_keeps_waiting(
    server: MockOAuthServer, events: list[LoginEvent]
) -> None:
    statuses: list[int] = []

    async def attacker_then_browser(url: str) -> None:
        callback = redirect_url_of(url)

        def visit() -> None:
            statuses.append(get(f"{callback}?code=stolen&state=forged")[0])
            statuses.append(get(f"{callback}?code=stolen")[0])
            statuses.append(get(callback.replace("/callback", "/favicon.ico"))[0])
            query = server.authorize(url)
            statuses.append(get(f"{callback}?{urlencode(query)}")[0])

        visits.append(asyncio.get_running_loop().run_in_executor(None, visit))

    visits: list[asyncio.Future[None]] = []
    page = page_with(events)
    await page.login(server.provider(LOOPBACK), on_open_authorization_url=attacker_then_browser)
    await asyncio.gather(*visits)
    assert statuses == [400, 400, 404, 200]
    assert page.auth is not None and [e.error for e in events] == [""]


async def test_a_redirect_with_a_wrong_iss_is_refused_before_the_code_is_exchanged(
    server: MockOAuthServer, events: list[LoginEvent]
) -> None:
    server.forge_iss("wrong")
    page = page_with(events)
    with pytest.raises(IssuerMismatchError):
        await page.login(server.provider(LOOPBACK), on_open_authorization_url=Browser(server))
    assert page.auth is None and len(events) == 1 and "iss" in events[0].error
    assert server.count("token") == 0


async def test_no_redirect_within_the_timeout_is_a_timeout_error(server: MockOAuthServer) -> None:
    async def nobody_comes(url: str) -> None:
        pass

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await AuthPage().login(
            server.provider(LOOPBACK), on_open_authorization_url=nobody_comes, timeout=0.5
        )
    assert time.monotonic() - started < 2


def test_timeout_too_large_for_a_duration_is_a_configuration_error(
    server: MockOAuthServer,
) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        AuthPage().login_sync(
            server.provider(LOOPBACK), on_open_authorization_url=lambda url: None, timeout=1e300
        )


def test_port_already_in_use_is_a_transport_error(server: MockOAuthServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(TransportError, match="in use"):
            AuthPage().login_sync(server.provider(f"http://127.0.0.1:{port}/callback"))


@pytest.mark.parametrize(
    "redirect_url",
    ["http://idp.invalid:8550/callback", "https://127.0.0.1:8550/callback", "not a url"],
)
def test_redirect_url_that_is_not_loopback_http_is_refused(
    server: MockOAuthServer, redirect_url: str
) -> None:
    with pytest.raises(ConfigurationError):
        AuthPage().login_sync(server.provider(redirect_url))


async def test_the_listener_never_leaks(server: MockOAuthServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fixed = f"http://127.0.0.1:{port}/callback"

    async def nobody_comes(url: str) -> None:
        pass

    for _ in range(3):  # timeouts, denials and successes all give the port back
        with pytest.raises(TimeoutError):
            await AuthPage().login(
                server.provider(fixed), on_open_authorization_url=nobody_comes, timeout=0.2
            )
        await AuthPage().login(
            server.provider(fixed), on_open_authorization_url=Browser(server, False)
        )
        await AuthPage().login(server.provider(fixed), on_open_authorization_url=Browser(server))
    task = asyncio.ensure_future(
        AuthPage().login(server.provider(fixed), on_open_authorization_url=nobody_comes)
    )
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.2)
    with socket.socket() as s:
        # SO_REUSEADDR ignores the finished connections in TIME_WAIT, not a listener.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()


def test_login_sync_for_scripts(server: MockOAuthServer, events: list[LoginEvent]) -> None:
    page = page_with(events)

    def open_url(url: str) -> None:
        import threading

        threading.Thread(target=Browser(server)._visit, args=(url,)).start()

    page.login_sync(server.provider(LOOPBACK), on_open_authorization_url=open_url)
    assert page.auth is not None and page.auth.user is not None
    page.logout()
    assert page.auth is None


# --- the remembered login


@pytest.fixture
def store(tmp_path: Path) -> FileTokenStore:
    return FileTokenStore(tmp_path / "app" / "token", "store secret")


async def test_second_login_comes_from_the_store_without_a_browser(
    server: MockOAuthServer, store: FileTokenStore, events: list[LoginEvent]
) -> None:
    browser = Browser(server)
    await page_with(events, store).login(
        server.provider(LOOPBACK), on_open_authorization_url=browser
    )
    assert store.load() is not None
    again = page_with(events, store)
    await again.login(server.provider(LOOPBACK), on_open_authorization_url=browser)
    assert browser.opened == 1 and server.count("authorize") == 1
    assert again.auth is not None and again.auth.user is not None
    assert [e.error for e in events] == ["", ""]


async def test_expired_stored_token_is_refreshed_and_saved(
    server: MockOAuthServer, store: FileTokenStore
) -> None:
    page = AuthPage(store=store)
    await page.login(server.provider(LOOPBACK), on_open_authorization_url=Browser(server))
    token = await page.auth.get_token() if page.auth else None
    assert token is not None
    saved = json.loads(store.load() or "{}")
    saved["expires_at"] = time.time() - 5
    store.save(json.dumps(saved))
    browser = Browser(server)
    again = AuthPage(store=store)
    await again.login(server.provider(LOOPBACK), on_open_authorization_url=browser)
    assert browser.opened == 0 and server.count("token.refresh_token") == 1
    fresh = json.loads(store.load() or "{}")
    assert fresh["refresh_token"] != saved["refresh_token"]  # the rotated one was saved
    assert fresh["expires_at"] > time.time()


async def test_revoked_stored_token_falls_back_to_the_browser(
    server: MockOAuthServer, store: FileTokenStore
) -> None:
    store.save(json.dumps({"access_token": "old", "refresh_token": "revoked", "expires_at": 1}))
    browser = Browser(server)
    page = AuthPage(store=store)
    await page.login(server.provider(LOOPBACK), on_open_authorization_url=browser)
    assert browser.opened == 1 and page.auth is not None


async def test_logout_clears_the_store(server: MockOAuthServer, store: FileTokenStore) -> None:
    logouts: list[Any] = []
    page = AuthPage(store=store)
    page.on_logout = logouts.append
    await page.login(server.provider(LOOPBACK), on_open_authorization_url=Browser(server))
    page.logout()
    assert store.load() is None and page.auth is None and len(logouts) == 1


def test_a_failed_revocation_at_logout_forgets_the_login_then_raises(
    server: MockOAuthServer, store: FileTokenStore
) -> None:
    logouts: list[Any] = []
    page = AuthPage(store=store)
    page.on_logout = logouts.append

    def open_url(url: str) -> None:
        import threading

        threading.Thread(target=Browser(server)._visit, args=(url,)).start()

    provider = server.provider(LOOPBACK)
    provider.revocation_endpoint = f"{server.url}/revoke"  # type: ignore[attr-defined]
    page.login_sync(provider, on_open_authorization_url=open_url)
    server.fail("revoke", 503, "busy", times=2)
    with pytest.raises(HTTPStatusError):
        page.logout(revoke=True)
    assert store.load() is None and page.auth is None and len(logouts) == 1


def test_store_file_is_private_and_encrypted(store: FileTokenStore) -> None:
    store.save('{"access_token":"secret-token"}')
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert "secret-token" not in store.path.read_text()
    assert store.load() == '{"access_token":"secret-token"}'
    assert list(store.path.parent.iterdir()) == [store.path]  # no temporary file left


def test_missing_store_file_loads_as_none(store: FileTokenStore) -> None:
    assert store.load() is None
    store.clear()  # nothing to clear is fine


@pytest.mark.parametrize("content", [b"garbage", b"\xff\xfe", b""])
def test_corrupt_store_file_is_a_typed_error_and_is_kept(
    store: FileTokenStore, content: bytes
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content)
    with pytest.raises(InvalidToken):
        store.load()
    assert store.path.read_bytes() == content


def test_wrong_key_is_a_typed_error_and_the_file_is_kept(store: FileTokenStore) -> None:
    store.save('{"access_token":"a"}')
    before = store.path.read_bytes()
    with pytest.raises(InvalidToken):
        FileTokenStore(store.path, "another key").load()
    assert store.path.read_bytes() == before


def test_failed_write_keeps_the_old_token(
    store: FileTokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save('{"access_token":"old"}')

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.save('{"access_token":"new"}')
    monkeypatch.undo()
    assert store.load() == '{"access_token":"old"}'
    assert list(store.path.parent.iterdir()) == [store.path]


async def test_exchange_failure_is_reported_to_on_login_and_raised(
    server: MockOAuthServer, events: list[LoginEvent]
) -> None:
    server.fail("token", 400, json.dumps({"error": "invalid_grant"}))
    with pytest.raises(OAuthError):
        await page_with(events).login(
            server.provider(LOOPBACK), on_open_authorization_url=Browser(server)
        )
    assert [e.error for e in events] == ["invalid_grant"]


async def test_the_event_loop_keeps_ticking_while_an_openid_login_discovers() -> None:
    with MockOAuthServer() as server:
        server.fail("discovery", delay=1.0)
        provider = server.openid_provider(LOOPBACK)
        gaps: list[float] = []

        async def tick() -> None:
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0.05)  # the ticker is running before the login starts
        started = time.monotonic()
        page = AuthPage()
        await page.login(provider, on_open_authorization_url=server.browser())
        elapsed = time.monotonic() - started
        ticker.cancel()
    assert page.auth is not None and page.auth.user is not None
    assert elapsed >= 1.0  # the slow discovery did run during the login
    assert max(gaps) < 0.1


async def test_reading_an_undiscovered_provider_on_the_event_loop_logs_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with MockOAuthServer() as server:
        provider = server.openid_provider(LOOPBACK)
        with caplog.at_level("WARNING", logger="flet_auth"):
            assert provider.token_endpoint == server.token_endpoint
    assert "blocks the running event loop" in caplog.text
