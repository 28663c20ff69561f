"""`flet_auth.flet.login` on Flet's desktop and mobile runtimes: the loopback flow (RFC 8252).

Flet's own desktop transport runs each test's app (`FletSocketServer`, Flet's `Session` and
`Page`), with the Flutter client played at Flet's wire protocol (tests/flet_desktop_client.py)
and the system browser played by plain HTTP against the bundled provider.
"""

import asyncio
import importlib.util
import json
import os
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flet as ft
import pytest

import flet_auth.flet
from flet_auth import (
    AuthorizationService,
    ConfigurationError,
    IssuerMismatchError,
    OAuthError,
    TimeoutError,
)
from flet_auth.store import FileTokenStore
from flet_auth.testing import MockOAuthServer
from flet_desktop_client import DesktopClient, SystemBrowser, listening_sockets

LOOPBACK = "http://127.0.0.1:0/callback"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
async def client() -> AsyncIterator[DesktopClient]:
    client = DesktopClient()
    yield client
    await client.stop()


@pytest.fixture
async def page(client: DesktopClient) -> ft.Page:
    return await client.start()


@pytest.fixture
def events(page: ft.Page) -> list[Any]:
    received: list[Any] = []
    page.on_login = received.append
    return received


def with_browser(client: DesktopClient, browser: SystemBrowser) -> SystemBrowser:
    client.on_launch_url = browser
    return browser


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def button(page: ft.Page, text: str) -> ft.Button:
    return next(c for c in page.controls if isinstance(c, ft.Button) and c.content == text)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_flets_own_login_cannot_work_on_the_desktop_transport(
    page: ft.Page, server: MockOAuthServer
) -> None:
    # Why flet_auth.flet.login exists: Flet 1.0.5 raises before any request (issues 2936, 3168).
    with pytest.raises(NotImplementedError):
        await page.login(server.provider(LOOPBACK), authorization=AuthorizationService)
    assert server.count("authorize") == 0


async def test_login_opens_the_browser_with_flets_url_launcher_and_logs_in(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    browser = with_browser(client, SystemBrowser(server, user="bob"))
    service = await flet_auth.flet.login(page, server.provider(LOOPBACK), fetch_groups=True)
    assert page.auth is service and isinstance(service, AuthorizationService)
    assert service.user is not None and service.user.id == "1002"
    token = await page.auth.get_token()
    assert token is not None and token.access_token
    assert [type(e) for e in events] == [ft.LoginEvent]
    assert [(e.error, e.error_description) for e in events] == [(None, None)]
    [launch] = client.named("launch_url")
    assert launch.args["url"] == browser.opened[0]
    assert client.kind_of(launch.control_id) == "UrlLauncher"
    redirect_uri = parse_qs(urlsplit(browser.opened[0]).query)["redirect_uri"][0]
    assert redirect_uri == service.redirect_url and ":0/" not in redirect_uri
    [(status, html)] = await browser.finished()
    assert status == 200 and "signed in" in html.lower()


async def test_login_button_of_a_desktop_app_shows_the_user(
    client: DesktopClient, server: MockOAuthServer
) -> None:
    provider = server.provider(LOOPBACK)

    def main(page: ft.Page) -> None:
        async def login_click(e: ft.Event[ft.Button]) -> None:
            await flet_auth.flet.login(page, provider)

        async def on_login(e: ft.LoginEvent) -> None:
            assert page.auth is not None and page.auth.user is not None
            page.add(ft.Text(f"Hello {page.auth.user['name']}"))

        page.on_login = on_login
        page.add(ft.Button("Login", on_click=login_click))

    page = await client.start(main)
    with_browser(client, SystemBrowser(server))
    client.click(button(page, "Login"))
    await client.wait_until(lambda: client.shown("Hello Alice Liddell"))
    assert client.crashes == []


async def test_desktop_example_logs_in_and_out(
    client: DesktopClient, server: MockOAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("flet_desktop_login")
    monkeypatch.setattr(
        example, "github_provider", lambda: server.github_provider(example.REDIRECT_URL)
    )
    page = await client.start(example.main)
    with_browser(client, SystemBrowser(server, user="bob"))
    client.click(button(page, "Login with GitHub"))
    await client.wait_until(lambda: client.shown("Hello Bob Builder (id 1002)"))
    client.click(button(page, "Logout"))
    await client.wait_until(lambda: client.shown("Signed out"))
    assert page.auth is None and client.crashes == []


async def test_on_open_authorization_url_replaces_flets_url_launcher(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    service = await flet_auth.flet.login(
        page, server.provider(LOOPBACK), on_open_authorization_url=server.browser(user="bob")
    )
    assert service.user is not None and service.user.id == "1002"
    assert [e.error for e in events] == [None]
    assert client.named("launch_url") == []


async def test_denied_login_fires_on_login_with_access_denied(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    browser = with_browser(client, SystemBrowser(server, approve=False))
    service = await flet_auth.flet.login(page, server.provider(LOOPBACK))
    assert [(e.error, e.error_description) for e in events] == [
        ("access_denied", "The user denied the request")
    ]
    assert service.current_token is None and service.user is None
    assert server.count("token") == 0
    [(status, html)] = await browser.finished()
    assert status == 200 and "access_denied" in html


async def test_no_redirect_within_the_timeout_raises_and_fires_on_login(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    port = free_port()
    with pytest.raises(TimeoutError):
        await flet_auth.flet.login(
            page, server.provider(f"http://127.0.0.1:{port}/callback"), timeout=0.5
        )
    [event] = events
    assert "no sign-in redirect arrived" in event.error
    with socket.socket() as s:  # the listener is gone
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


async def test_saved_token_logs_in_without_a_browser(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    with_browser(client, SystemBrowser(server))
    first = await flet_auth.flet.login(page, server.provider(LOOPBACK))
    saved = (await first.get_token()).to_json()  # type: ignore[union-attr]
    events.clear()

    again = await flet_auth.flet.login(page, server.provider(LOOPBACK), saved_token=saved)
    await client.wait_until(lambda: len(events) == 1)
    assert [e.error for e in events] == [""]
    assert page.auth is again and again.user is not None and again.user.id == "1001"
    assert len(client.named("launch_url")) == 1 and server.count("authorize") == 1


async def test_three_logins_in_a_row_leave_no_listener_or_thread_behind(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    threads, listeners = set(threading.enumerate()), listening_sockets()
    os_threads = len(os.listdir("/proc/self/task"))  # the engine's too
    for user in ("alice", "bob", "alice"):
        browser = with_browser(client, SystemBrowser(server, user=user))
        await flet_auth.flet.login(page, server.provider(LOOPBACK))
        await browser.finished()
        assert page.auth is not None and page.auth.user is not None
        assert page.auth.user["preferred_username"] == user
    assert [e.error for e in events] == [None, None, None]
    await client.wait_until(lambda: listening_sockets() == listeners)
    await client.wait_until(lambda: set(threading.enumerate()) <= threads)
    await client.wait_until(lambda: len(os.listdir("/proc/self/task")) <= os_threads)


async def test_openid_provider_logs_in_on_desktop(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    with_browser(client, SystemBrowser(server, user="bob"))
    provider = server.openid_provider(LOOPBACK)
    service = await flet_auth.flet.login(page, provider, fetch_groups=True)
    assert [e.error for e in events] == [None]
    assert service.user is not None and service.user.id == service.id_token_claims["sub"]  # type: ignore[index]
    assert service.user["email"] == "bob@example.com"
    assert server.count("discovery") == 1


async def test_openid_discovery_leaves_the_flet_session_running(
    client: DesktopClient, server: MockOAuthServer
) -> None:
    seen_during_discovery: list[bool] = []

    def main(page: ft.Page) -> None:
        def probe(e: ft.Event[ft.Button]) -> None:
            seen_during_discovery.append(page.auth is None)  # the login has not begun yet

        page.add(ft.Button("Probe", on_click=probe))

    page = await client.start(main)
    with_browser(client, SystemBrowser(server))
    server.fail("discovery", delay=5)  # a slow discovery document
    login = asyncio.create_task(flet_auth.flet.login(page, server.openid_provider(LOOPBACK)))
    await client.wait_until(lambda: server.count("discovery") == 1)
    client.click(button(page, "Probe"))  # the user clicks while discovery is under way
    await client.wait_until(lambda: len(seen_during_discovery) == 1)
    assert seen_during_discovery == [True]
    service = await asyncio.wait_for(login, 60)
    assert service.user is not None and page.auth is service


async def test_window_comes_to_the_front_when_the_redirect_arrives(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    with_browser(client, SystemBrowser(server))
    await flet_auth.flet.login(page, server.provider(LOOPBACK))
    await client.wait_until(lambda: len(client.named("to_front")) == 1)
    [to_front] = client.named("to_front")
    assert to_front.control_id == page.window._i
    assert [c.name for c in client.calls] == ["launch_url", "to_front"]
    assert client.named("close_in_app_web_view") == []


async def test_a_window_that_never_comes_forward_does_not_hold_up_the_login(
    server: MockOAuthServer,
) -> None:
    client = DesktopClient(hold=("to_front",))  # the client never answers to_front
    try:
        page = await client.start()
        events: list[Any] = []
        page.on_login = events.append
        with_browser(client, SystemBrowser(server))
        service = await flet_auth.flet.login(page, server.provider(LOOPBACK))
        assert service.user is not None and [e.error for e in events] == [None]
        await client.wait_until(lambda: len(client.named("to_front")) == 1)
        client.answer(client.named("to_front")[0])  # only now, after the login
    finally:
        await client.stop()


@pytest.mark.parametrize("platform", ["ios", "android"])
async def test_mobile_login_closes_the_in_app_web_view(
    server: MockOAuthServer, platform: str
) -> None:
    client = DesktopClient(platform=platform)
    try:
        page = await client.start()
        events: list[Any] = []
        page.on_login = events.append
        with_browser(client, SystemBrowser(server))
        service = await flet_auth.flet.login(page, server.provider(LOOPBACK))
        assert service.user is not None and [e.error for e in events] == [None]
        await client.wait_until(lambda: len(client.named("close_in_app_web_view")) == 1)
        [close] = client.named("close_in_app_web_view")
        assert client.kind_of(close.control_id) == "UrlLauncher"
        assert client.named("to_front") == []
    finally:
        await client.stop()


async def test_page_logout_after_a_desktop_login_fires_on_logout(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    logouts: list[Any] = []
    page.on_logout = logouts.append
    with_browser(client, SystemBrowser(server))
    await flet_auth.flet.login(page, server.provider(LOOPBACK))
    assert page.auth is not None
    page.logout()
    await client.wait_until(lambda: len(logouts) == 1)
    assert page.auth is None


async def test_flet_auth_logout_revokes_and_clears_the_store(
    client: DesktopClient, page: ft.Page, server: MockOAuthServer, tmp_path: Path
) -> None:
    logouts: list[Any] = []
    page.on_logout = logouts.append
    store = FileTokenStore(tmp_path / "token", "store key")
    with_browser(client, SystemBrowser(server))
    service = await flet_auth.flet.login(page, server.openid_provider(LOOPBACK))
    store.save((await service.get_token()).to_json())  # type: ignore[union-attr]
    await flet_auth.flet.logout(page, revoke=True, store=store)
    await client.wait_until(lambda: len(logouts) == 1)
    assert page.auth is None and service.current_token is None
    assert store.load() is None
    assert server.count("revoke") >= 1


async def test_github_provider_logs_in_on_desktop(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    with_browser(client, SystemBrowser(server, user="bob"))
    service = await flet_auth.flet.login(page, server.github_provider(LOOPBACK), fetch_groups=True)
    assert [e.error for e in events] == [None]
    assert service.user is not None and service.user["login"] == "bob"


async def test_complete_page_html_is_what_the_browser_shows(
    client: DesktopClient, page: ft.Page, server: MockOAuthServer
) -> None:
    browser = with_browser(client, SystemBrowser(server))
    await flet_auth.flet.login(
        page, server.provider(LOOPBACK), complete_page_html="<p id=done>Back to the app</p>"
    )
    assert await browser.finished() == [(200, "<p id=done>Back to the app</p>")]


async def test_exchange_failure_fires_on_login_and_raises(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    server.fail("token", 400, json.dumps({"error": "invalid_grant"}))
    with_browser(client, SystemBrowser(server))
    with pytest.raises(OAuthError):
        await flet_auth.flet.login(page, server.provider(LOOPBACK))
    assert [e.error for e in events] == ["invalid_grant"]


async def test_a_redirect_with_a_wrong_iss_fires_on_login_and_exchanges_no_code(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    server.forge_iss("wrong")
    with_browser(client, SystemBrowser(server))
    with pytest.raises(IssuerMismatchError):
        await flet_auth.flet.login(page, server.provider(LOOPBACK))
    assert len(events) == 1 and "iss" in events[0].error
    assert server.count("token") == 0


async def test_second_login_ends_the_first_one_still_waiting(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    provider = server.provider(f"http://127.0.0.1:{free_port()}/callback")  # one fixed port
    first = asyncio.create_task(flet_auth.flet.login(page, provider))
    await client.wait_until(lambda: len(client.named("launch_url")) == 1)  # nobody came

    browser = with_browser(client, SystemBrowser(server))
    second = await flet_auth.flet.login(page, provider)
    ended = await asyncio.wait_for(first, 30)
    assert ended is not second and ended.current_token is None
    assert page.auth is second and second.user is not None
    assert [e.error for e in events] == [None]  # once, for the second login
    assert len(browser.opened) == 1


async def test_logout_ends_a_login_still_waiting(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    waiting = asyncio.create_task(flet_auth.flet.login(page, server.provider(LOOPBACK)))
    await client.wait_until(lambda: len(client.named("launch_url")) == 1)
    await flet_auth.flet.logout(page)
    service = await asyncio.wait_for(waiting, 30)
    assert service.current_token is None and page.auth is None and events == []


@pytest.mark.parametrize(
    "redirect_url", ["https://127.0.0.1:8550/callback", "http://idp.invalid:8550/callback"]
)
async def test_redirect_url_that_is_not_loopback_http_is_a_configuration_error(
    client: DesktopClient, page: ft.Page, server: MockOAuthServer, redirect_url: str
) -> None:
    with pytest.raises(ConfigurationError, match=r"http://127\.0\.0\.1:0/"):
        await flet_auth.flet.login(page, server.provider(redirect_url))
    assert client.calls == [] and server.count("authorize") == 0


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "300"])
async def test_timeout_that_is_not_a_positive_number_is_a_configuration_error(
    page: ft.Page, server: MockOAuthServer, timeout: Any
) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        await flet_auth.flet.login(page, server.provider(LOOPBACK), timeout=timeout)


async def test_provider_without_a_redirect_url_is_a_configuration_error(page: ft.Page) -> None:
    with pytest.raises(ConfigurationError, match="OAuthProvider"):
        await flet_auth.flet.login(page, None)  # type: ignore[arg-type]


async def test_page_that_is_not_a_flet_page_is_a_configuration_error(
    server: MockOAuthServer,
) -> None:
    with pytest.raises(ConfigurationError, match=r"flet\.Page"):
        await flet_auth.flet.login(object(), server.provider(LOOPBACK))  # type: ignore[arg-type]


async def test_a_desktop_login_pushes_its_authorization_request_first(
    client: DesktopClient, page: ft.Page, events: list[Any], server: MockOAuthServer
) -> None:
    opened: list[str] = []
    browser = server.browser(user="bob")

    def open_url(url: str) -> None:
        opened.append(url)
        browser(url)

    provider = server.provider(LOOPBACK, use_par=True)
    service = await flet_auth.flet.login(page, provider, on_open_authorization_url=open_url)
    assert sorted(parse_qs(urlsplit(opened[0]).query)) == ["client_id", "request_uri"]
    assert server.count("par") == 1
    assert service.user is not None and service.user.id == "1002"
    assert [e.error for e in events] == [None]
