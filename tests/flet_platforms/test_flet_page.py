"""Our service behind real flet 1.0.5 `Page.login`: Flet's own authorization callback, state
check and on_login dispatch, against the bundled provider."""

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import flet as ft
import pytest
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

import flet_auth.flet
from flet_auth import AuthorizationService
from flet_auth.testing import MockOAuthServer

REDIRECT = "http://localhost:8550/oauth_callback"


class Connection:
    """The part of Flet's connection that `Page.login` talks to, recording what it is told."""

    def __init__(self) -> None:
        self.pubsubhub = PubSubHub()
        self.page_name = ""
        self.page_url = "http://localhost:8550/"
        self.oauth_requests: list[dict[str, Any]] = []
        self.messages: list[Any] = []

    def oauth_authorize(self, attrs: dict[str, Any]) -> None:
        self.oauth_requests.append(attrs)

    def send_message(self, message: Any) -> None:
        self.messages.append(message)


@pytest.fixture
def page() -> Iterator[ft.Page]:
    connection = Connection()
    session = Session(connection)  # type: ignore[arg-type]
    page = session.page
    page.web = True  # no desktop window to bring to the front
    page._test_session = session  # the page holds its session weakly
    yield page


async def settle() -> None:
    """Lets the tasks Flet creates for events run."""
    for _ in range(5):
        await asyncio.sleep(0.01)


async def test_new_login_through_flets_callback(page: ft.Page, server: MockOAuthServer) -> None:
    events: list[Any] = []
    page.on_login = events.append
    opened: list[str] = []

    async def open_url(url: str) -> None:
        opened.append(url)

    service = await flet_auth.flet.login(
        page, server.provider(REDIRECT), fetch_groups=True, on_open_authorization_url=open_url
    )
    assert isinstance(service, AuthorizationService) and page.auth is service
    redirect = server.authorize(opened[0], user="bob")
    await page._authorize_callback(redirect)  # what Flet calls when the redirect arrives
    await settle()
    assert [(e.error, e.error_description) for e in events] == [(None, None)]
    token = await page.auth.get_token()
    assert token is not None and token.access_token
    assert page.auth.user.id == "1002" and page.auth.user["email"] == "bob@example.com"


async def test_login_with_a_saved_token(page: ft.Page, server: MockOAuthServer) -> None:
    first = AuthorizationService(server.provider(REDIRECT), True, False)
    url, _ = first.get_authorization_data()
    await first.request_token(server.authorize(url)["code"])
    saved = (await first.get_token()).to_json()

    events: list[Any] = []
    page.on_login = events.append
    await page.login(
        server.provider(REDIRECT), saved_token=saved, authorization=AuthorizationService
    )
    await settle()
    assert [e.error for e in events] == [""]
    assert page.auth.user.id == "1001"
    assert server.count("authorize") == 1  # no second trip through the provider


async def test_forged_state_gives_no_login_event_with_a_token(
    page: ft.Page, server: MockOAuthServer
) -> None:
    events: list[Any] = []
    page.on_login = events.append
    opened: list[str] = []

    async def open_url(url: str) -> None:
        opened.append(url)

    await flet_auth.flet.login(page, server.provider(REDIRECT), on_open_authorization_url=open_url)
    redirect = server.authorize(opened[0])
    with pytest.raises(AssertionError):  # Flet's own state check
        await page._authorize_callback({**redirect, "state": "forged"})
    await settle()
    assert events == []
    assert await page.auth.get_token() is None
    assert server.count("token") == 0


async def test_logout_forgets_the_token_and_fires_on_logout(
    page: ft.Page, server: MockOAuthServer
) -> None:
    logouts: list[Any] = []
    page.on_logout = logouts.append
    opened: list[str] = []

    async def open_url(url: str) -> None:
        opened.append(url)

    service = await flet_auth.flet.login(
        page, server.provider(REDIRECT), on_open_authorization_url=open_url
    )
    await page._authorize_callback(server.authorize(opened[0]))
    await flet_auth.flet.logout(page)
    await settle()
    assert page.auth is None and len(logouts) == 1
    assert await service.get_token() is None


async def test_a_flet_web_login_pushes_its_authorization_request_first(
    page: ft.Page, server: MockOAuthServer
) -> None:
    events: list[Any] = []
    page.on_login = events.append
    opened: list[str] = []

    async def open_url(url: str) -> None:
        opened.append(url)

    provider = server.provider(REDIRECT, use_par=True)
    await flet_auth.flet.login(page, provider, on_open_authorization_url=open_url)
    assert server.count("par") == 1
    assert sorted(dict(parse_qsl(urlsplit(opened[0]).query))) == ["client_id", "request_uri"]
    await page._authorize_callback(server.authorize(opened[0], user="bob"))
    await settle()
    assert [e.error for e in events] == [None]
    assert page.auth is not None and page.auth.user.id == "1002"
