"""`service.fetch()` / `fetch_sync()`: API calls with the service's token, against the bundled
provider and a loopback resource server that records what it receives."""

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from conftest import login, login_sync
from flet_auth import (
    AuthorizationService,
    ClientCredentialsService,
    ConfigurationError,
    FetchResponse,
    HTTPStatusError,
    InsecureTransportError,
    InvalidResponseError,
    TimeoutError,
)
from flet_auth.testing import MockOAuthServer
from json_server import JSONServer


@dataclass
class Seen:
    """A request as the resource server received it (header names in lower case)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Reply = tuple[int, dict[str, str], bytes]


class ResourceServer(JSONServer):
    """A resource server on loopback: records every request and answers it with the route of
    its path (without the query), or 200 and `{"ok": true}`."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.routes: dict[str, Callable[[Seen], Reply]] = {}
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen = Seen(self.command, self.path, headers, body)
                outer.seen.append(seen)
                route = outer.routes.get(self.path.split("?")[0])
                status, extra, payload = route(seen) if route else (200, {}, b'{"ok": true}')
                self.send_response(status)
                extra.setdefault("Content-Type", "application/json")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        return Handler


@pytest.fixture
def resource() -> Iterator[ResourceServer]:
    r = ResourceServer()
    with r:
        yield r


@pytest.fixture
def other() -> Iterator[ResourceServer]:
    """A second resource server: another origin (port) than `resource`."""
    r = ResourceServer()
    with r:
        yield r


def bearer_of(service: Any) -> str:
    token = service.current_token
    assert token is not None
    return f"Bearer {token.access_token}"


async def test_fetch_gets_the_user_from_the_userinfo_endpoint(server: MockOAuthServer) -> None:
    service = await login(server)
    answer = await service.fetch("GET", server.userinfo_endpoint)
    assert isinstance(answer, FetchResponse)
    assert answer.status == 200
    assert answer.json()["email"] == "alice@example.com"
    assert server.count("userinfo") == 2  # the login's, then fetch's


def test_fetch_sync_gets_the_user_from_the_userinfo_endpoint(server: MockOAuthServer) -> None:
    service = login_sync(server)
    answer = service.fetch_sync("get", server.userinfo_endpoint)
    assert answer.status == 200
    assert answer.json()["sub"] == "1001"


async def test_a_relative_url_is_appended_to_the_providers_api_base_url(
    server: MockOAuthServer,
) -> None:
    service = await login(server, server.github_provider(), user="bob")
    answer = await service.fetch("GET", "/user")
    assert answer.json()["login"] == "bob"


def test_github_relative_urls_go_to_api_github_com_by_default() -> None:
    from flet_auth.providers import GitHubOAuthProvider

    provider = GitHubOAuthProvider("id", "secret", "http://localhost:8550/oauth_callback")
    assert provider.api_base_url == "https://api.github.com"


async def test_a_relative_url_without_an_api_base_url_is_a_configuration_error(
    server: MockOAuthServer,
) -> None:
    service = await login(server)
    with pytest.raises(ConfigurationError, match="api_base_url"):
        await service.fetch("GET", "/userinfo")


async def test_the_bearer_token_is_sent(server: MockOAuthServer, resource: ResourceServer) -> None:
    service = await login(server)
    await service.fetch("GET", f"{resource.url}/me")
    assert resource.seen[0].headers["authorization"] == bearer_of(service)


async def test_params_json_and_headers_reach_the_server(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    service = await login(server)
    await service.fetch(
        "POST",
        f"{resource.url}/items?page=2",
        params={"q": "a b", "n": 3},
        json={"name": "x", "tags": [1, 2]},
        headers={"X-Trace": "t-1"},
    )
    seen = resource.seen[0]
    assert seen.method == "POST"
    assert seen.path == "/items?page=2&q=a+b&n=3"
    assert seen.headers["content-type"] == "application/json"
    assert json.loads(seen.body) == {"name": "x", "tags": [1, 2]}
    assert seen.headers["x-trace"] == "t-1"


async def test_data_as_a_mapping_is_sent_as_a_form(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    service = await login(server)
    await service.fetch("PUT", f"{resource.url}/form", data={"a": "1 2", "b": True})
    seen = resource.seen[0]
    assert seen.method == "PUT"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen.body == b"a=1+2&b=true"


async def test_data_as_bytes_is_sent_as_it_is_with_the_callers_content_type(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    service = await login(server)
    await service.fetch(
        "POST", f"{resource.url}/raw", data=b"<x/>", headers={"Content-Type": "application/xml"}
    )
    assert resource.seen[0].body == b"<x/>"
    assert resource.seen[0].headers["content-type"] == "application/xml"


async def test_status_headers_text_and_json_come_back(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    resource.routes["/made"] = lambda _: (201, {"X-Request-Id": "r-7"}, b'{"id": 7}')
    service = await login(server)
    answer = await service.fetch("POST", f"{resource.url}/made")
    assert answer.status == 201
    assert answer.headers["x-request-id"] == "r-7"
    assert answer.headers["content-type"] == "application/json"
    assert answer.text == '{"id": 7}'
    assert answer.content == b'{"id": 7}'
    assert answer.json() == {"id": 7}


async def test_text_is_decoded_by_the_charset_of_the_content_type(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    resource.routes["/latin"] = lambda _: (
        200,
        {"Content-Type": "text/plain; charset=iso-8859-1"},
        "café".encode("iso-8859-1"),
    )
    service = await login(server)
    assert (await service.fetch("GET", f"{resource.url}/latin")).text == "café"


async def test_a_4xx_is_an_answer_and_raise_for_status_raises_http_status_error(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    resource.routes["/missing"] = lambda _: (404, {}, b'{"message": "Not Found"}')
    service = await login(server)
    answer = await service.fetch("GET", f"{resource.url}/missing")
    assert answer.status == 404
    with pytest.raises(HTTPStatusError) as raised:
        answer.raise_for_status()
    assert raised.value.status == 404


async def test_raise_for_status_returns_a_success_answer(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    service = await login(server)
    answer = await service.fetch("GET", f"{resource.url}/ok")
    assert answer.raise_for_status() is answer


async def test_json_of_a_body_that_is_not_json_raises_invalid_response_error(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    resource.routes["/html"] = lambda _: (200, {"Content-Type": "text/html"}, b"<p>secret</p>")
    service = await login(server)
    answer = await service.fetch("GET", f"{resource.url}/html")
    with pytest.raises(InvalidResponseError) as raised:
        answer.json()
    assert "secret" not in str(raised.value)


async def test_the_repr_shows_status_and_endpoint_but_not_the_body_or_query(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    resource.routes["/me"] = lambda _: (200, {}, b'{"api_key": "k-secret"}')
    service = await login(server)
    answer = await service.fetch("GET", f"{resource.url}/me", params={"key": "q-secret"})
    text = repr(answer)
    assert "200" in text and "/me" in text
    assert "secret" not in text


async def test_a_token_due_for_refresh_is_refreshed_before_the_call(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    server.access_token_ttl = 30  # due (within REFRESH_LEEWAY) as soon as it is issued
    service = await login(server)
    old = bearer_of(service)
    await service.fetch("GET", f"{resource.url}/me")
    assert server.count("token.refresh_token") == 1
    sent = resource.seen[0].headers["authorization"]
    assert sent != old
    assert sent == bearer_of(service)


def test_fetch_sync_refreshes_a_token_due_for_refresh_first(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    server.access_token_ttl = 30
    service = login_sync(server)
    old = bearer_of(service)
    service.fetch_sync("GET", f"{resource.url}/me")
    assert resource.seen[0].headers["authorization"] not in (old, None)
    assert server.count("token.refresh_token") == 1


async def test_an_answer_over_max_response_size_is_refused(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    resource.routes["/big"] = lambda _: (200, {}, b"x" * 4096)
    service = await login(server, server.provider(max_response_size=1024))
    with pytest.raises(InvalidResponseError, match="max_response_size"):
        await service.fetch("GET", f"{resource.url}/big")


async def test_a_resource_slower_than_the_timeout_is_a_timeout_error(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    released = threading.Event()

    def stall(_: Seen) -> Reply:
        released.wait(5)
        return 200, {}, b"{}"

    resource.routes["/slow"] = stall
    service = await login(server, server.provider(timeout=0.3))
    try:
        with pytest.raises(TimeoutError):
            await service.fetch("GET", f"{resource.url}/slow")
    finally:
        released.set()


async def test_plain_http_to_a_non_loopback_host_is_refused(server: MockOAuthServer) -> None:
    service = await login(server)
    with pytest.raises(InsecureTransportError):
        await service.fetch("GET", "http://idp.invalid/me")


async def test_a_redirect_to_another_origin_drops_the_authorization_header(
    server: MockOAuthServer, resource: ResourceServer, other: ResourceServer
) -> None:
    resource.routes["/away"] = lambda _: (302, {"Location": f"{other.url}/landing"}, b"")
    service = await login(server)
    answer = await service.fetch("GET", f"{resource.url}/away")
    assert answer.status == 200
    assert resource.seen[0].headers["authorization"] == bearer_of(service)
    assert [s.path for s in other.seen] == ["/landing"]
    assert "authorization" not in other.seen[0].headers


async def test_a_redirect_on_the_same_origin_keeps_the_authorization_header(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    resource.routes["/old"] = lambda _: (301, {"Location": "/new"}, b"")
    service = await login(server)
    await service.fetch("GET", f"{resource.url}/old")
    assert [s.path for s in resource.seen] == ["/old", "/new"]
    assert resource.seen[1].headers["authorization"] == bearer_of(service)


async def test_a_post_is_not_redirected(
    server: MockOAuthServer, resource: ResourceServer, other: ResourceServer
) -> None:
    resource.routes["/away"] = lambda _: (307, {"Location": f"{other.url}/landing"}, b"")
    service = await login(server)
    answer = await service.fetch("POST", f"{resource.url}/away", json={"a": 1})
    assert answer.status == 307
    assert answer.headers["location"] == f"{other.url}/landing"
    assert len(resource.seen) == 1
    assert other.seen == []


async def test_fetch_before_login_raises_configuration_error(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), fetch_user=False, fetch_groups=False)
    with pytest.raises(ConfigurationError, match="no token"):
        await service.fetch("GET", server.userinfo_endpoint)


def test_fetch_sync_before_login_raises_configuration_error(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), fetch_user=False, fetch_groups=False)
    with pytest.raises(ConfigurationError, match="no token"):
        service.fetch_sync("GET", server.userinfo_endpoint)


async def test_an_unknown_method_is_a_configuration_error(server: MockOAuthServer) -> None:
    service = await login(server)
    with pytest.raises(ConfigurationError, match="BREW"):
        await service.fetch("BREW", server.userinfo_endpoint)


async def test_json_and_data_together_are_a_configuration_error(
    server: MockOAuthServer,
) -> None:
    service = await login(server)
    with pytest.raises(ConfigurationError, match="not both"):
        await service.fetch("POST", server.userinfo_endpoint, json={}, data={"a": "b"})


async def test_a_header_value_that_is_not_a_str_is_a_type_error(server: MockOAuthServer) -> None:
    service = await login(server)
    with pytest.raises(TypeError, match="X-Count"):
        await service.fetch("GET", server.userinfo_endpoint, headers={"X-Count": 1})  # type: ignore[dict-item]


async def test_an_authorization_header_of_the_caller_is_refused_without_echoing_it(
    server: MockOAuthServer,
) -> None:
    service = await login(server)
    with pytest.raises(ConfigurationError, match="Authorization") as raised:
        await service.fetch(
            "GET", server.userinfo_endpoint, headers={"authorization": "Basic c2VjcmV0"}
        )
    assert "c2VjcmV0" not in str(raised.value)


async def test_fetch_does_not_block_the_event_loop(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    released = threading.Event()

    def wait_for_the_loop(_: Seen) -> Reply:
        # Set by a coroutine on the loop: answered only if the loop runs while fetch waits.
        return (200, {}, b"{}") if released.wait(5) else (500, {}, b"{}")

    resource.routes["/wait"] = wait_for_the_loop
    service = await login(server)

    async def release() -> None:
        while not resource.seen:
            await asyncio.sleep(0.01)
        released.set()

    answer, _ = await asyncio.gather(service.fetch("GET", f"{resource.url}/wait"), release())
    assert answer.status == 200


async def test_client_credentials_fetch_sends_its_token(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    service = ClientCredentialsService(server.provider(scopes=[]))
    await service.fetch("GET", f"{resource.url}/jobs")
    assert server.count("token.client_credentials") == 1
    assert resource.seen[0].headers["authorization"] == bearer_of(service)


def test_client_credentials_fetch_sync_sends_its_token(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    service = ClientCredentialsService(server.provider(scopes=[]))
    answer = service.fetch_sync("DELETE", f"{resource.url}/jobs/1")
    assert answer.status == 200
    assert resource.seen[0].method == "DELETE"
    assert resource.seen[0].headers["authorization"] == bearer_of(service)


async def test_client_credentials_fetch_fetches_a_due_token_anew(
    server: MockOAuthServer, resource: ResourceServer
) -> None:
    server.access_token_ttl = 30
    service = ClientCredentialsService(server.provider(scopes=[]))
    first = (await service.get_token()).access_token
    await service.fetch("GET", f"{resource.url}/jobs")
    assert server.count("token.client_credentials") == 2
    assert resource.seen[0].headers["authorization"] != f"Bearer {first}"
