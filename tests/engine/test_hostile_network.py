"""A hostile network between the app and its provider: redirects and oversized answers.

Every provider here is a real HTTP server on 127.0.0.1 written in this file; it records what it
receives, so a test can say that a redirect target got nothing, or no `Authorization`.
"""

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, cast

import pytest

from flet_auth import (
    AuthorizationService,
    InsecureTransportError,
    InvalidResponseError,
    OAuthProvider,
    OAuthToken,
)
from flet_auth.providers import OpenIDProvider

MiB = 1024 * 1024
TOKEN = {"access_token": "at-1", "token_type": "Bearer", "expires_in": 300}
REDIRECT_URL = "http://127.0.0.1:8550/cb"


@dataclass
class Seen:
    """One request a server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        server = cast(Server, self.server)
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        server.seen.append(Seen(self.command, self.path, headers, body))
        server.answer(self)

    do_GET = do_POST = _handle

    def end_headers(self) -> None:
        self.send_header("connection", "close")  # one request per connection: none is reused
        super().end_headers()

    def log_message(self, *args: object) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    """A provider on 127.0.0.1 whose every answer is `answer(handler)`."""

    def __init__(self, answer: Callable[[Handler], None]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.answer = answer
        self.seen: list[Seen] = []
        self.base = f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serve(answer: Callable[[Handler], None]) -> Iterator[Server]:
    server = Server(answer)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def send_json(h: Handler, value: Any, status: int = 200) -> None:
    body = json.dumps(value).encode()
    h.send_response(status)
    h.send_header("content-type", "application/json")
    h.send_header("content-length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def send_redirect(h: Handler, status: int, location: str) -> None:
    h.send_response(status)
    h.send_header("location", location)
    h.send_header("content-length", "0")
    h.end_headers()


def token_body(size: int) -> bytes:
    """A token answer of about `size` bytes (a long access token)."""
    return json.dumps({"access_token": "a" * size, "token_type": "Bearer"}).encode()


def send_chunked(h: Handler, chunks: Iterator[bytes]) -> None:
    h.send_response(200)
    h.send_header("content-type", "application/json")
    h.send_header("transfer-encoding", "chunked")
    h.end_headers()
    for chunk in chunks:
        h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    h.wfile.write(b"0\r\n\r\n")


def provider(token_endpoint: str, **settings: Any) -> OAuthProvider:
    settings.setdefault("timeout", 10)
    return OAuthProvider(
        "client",
        "s3cret",
        "https://idp.invalid/authorize",
        token_endpoint,
        REDIRECT_URL,
        **settings,
    )


def service(p: OAuthProvider) -> AuthorizationService:
    return AuthorizationService(p, fetch_user=False, fetch_groups=False)


def holding_a_token(p: OAuthProvider, **token: Any) -> AuthorizationService:
    """A service that holds a token (as restored from storage), without a login."""
    s = service(p)
    s.load_token(OAuthToken(**{"access_token": "old-at", **token}).to_json())
    return s


# --- Redirects on requests that carry credentials -------------------------------------------


@pytest.mark.parametrize("status", [307, 308])
async def test_a_redirect_from_the_token_endpoint_is_not_followed(status: int) -> None:
    with (
        serve(lambda h: send_json(h, TOKEN)) as elsewhere,
        serve(lambda h: send_redirect(h, status, f"{elsewhere.base}/steal")) as idp,
    ):
        svc = service(provider(f"{idp.base}/token"))
        with pytest.raises(InvalidResponseError) as raised:
            await svc.request_token("the-code")
    assert raised.value.status == status
    assert f"HTTP {status}" in str(raised.value)
    assert elsewhere.seen == []
    assert svc.current_token is None


@pytest.mark.parametrize("status", [307, 308])
async def test_a_redirect_of_a_refresh_is_not_followed(status: int) -> None:
    with (
        serve(lambda h: send_json(h, TOKEN)) as elsewhere,
        serve(lambda h: send_redirect(h, status, f"{elsewhere.base}/steal")) as idp,
    ):
        svc = holding_a_token(provider(f"{idp.base}/token"), expires_at=1.0, refresh_token="the-rt")
        with pytest.raises(InvalidResponseError) as raised:
            await svc.get_token()
    assert raised.value.status == status
    assert [s.path for s in idp.seen] == ["/token"]
    assert elsewhere.seen == []


@pytest.mark.parametrize("status", [307, 308])
async def test_a_redirect_of_a_revocation_is_not_followed(status: int) -> None:
    with (
        serve(lambda h: send_json(h, {})) as elsewhere,
        serve(lambda h: send_redirect(h, status, f"{elsewhere.base}/steal")) as idp,
    ):
        p = provider(f"{idp.base}/token")
        p.revocation_endpoint = f"{idp.base}/revoke"  # type: ignore[attr-defined]
        svc = holding_a_token(p, refresh_token="the-rt")
        with pytest.raises(InvalidResponseError) as raised:
            await svc.revoke()
    assert raised.value.status == status
    assert elsewhere.seen == []


# --- Redirects of GETs ----------------------------------------------------------------------


def openid_provider(server: Server, **settings: Any) -> OpenIDProvider:
    return OpenIDProvider(
        "client",
        "s3cret",
        REDIRECT_URL,
        server_metadata_url=f"{server.base}/.well-known/openid-configuration",
        timeout=10,
        **settings,
    )


def discovery_document(server: Server) -> dict[str, str]:
    return {
        "issuer": server.base,
        "authorization_endpoint": f"{server.base}/authorize",
        "token_endpoint": f"{server.base}/token",
        "jwks_uri": f"{server.base}/jwks",
    }


async def test_a_discovery_redirect_to_plain_http_off_loopback_is_refused() -> None:
    location = "http://idp.invalid/.well-known/openid-configuration"
    with (
        serve(lambda h: send_redirect(h, 302, location)) as idp,
        pytest.raises(InsecureTransportError) as raised,
    ):
        await openid_provider(idp).load_metadata()
    assert "idp.invalid" in str(raised.value)
    assert len(idp.seen) == 1


async def test_a_followed_redirect_sends_no_referer() -> None:
    def answer(h: Handler) -> None:
        if h.path.startswith("/.well-known/"):
            send_redirect(h, 302, "/moved?from=discovery")
        else:
            send_json(h, discovery_document(idp))

    with serve(answer) as idp:
        metadata = await openid_provider(idp).load_metadata()
    assert metadata["issuer"] == idp.base
    assert [s.path for s in idp.seen] == [
        "/.well-known/openid-configuration",
        "/moved?from=discovery",
    ]
    assert all("referer" not in s.headers for s in idp.seen)


async def test_a_discovery_redirected_more_than_five_times_is_refused() -> None:
    with (
        serve(lambda h: send_redirect(h, 302, h.path + "x")) as idp,
        pytest.raises(InvalidResponseError) as raised,
    ):
        await openid_provider(idp).load_metadata()
    assert "redirects" in str(raised.value)
    assert len(idp.seen) == 6


async def test_userinfo_redirected_to_another_origin_gets_no_authorization() -> None:
    with serve(lambda h: send_json(h, {"sub": "1001"})) as elsewhere:

        def answer(h: Handler) -> None:
            if h.path == "/token":
                send_json(h, TOKEN)
            else:
                send_redirect(h, 302, f"{elsewhere.base}/userinfo")

        with serve(answer) as idp:
            p = provider(f"{idp.base}/token")
            p.user_endpoint = f"{idp.base}/userinfo"
            p.user_id_fn = lambda u: u["sub"]
            svc = AuthorizationService(p, fetch_user=True, fetch_groups=False)
            await svc.request_token("the-code")
    assert svc.user is not None and svc.user.id == "1001"
    assert idp.seen[-1].headers.get("authorization") == "Bearer at-1"
    assert [s.path for s in elsewhere.seen] == ["/userinfo"]
    assert "authorization" not in elsewhere.seen[0].headers


async def test_userinfo_redirected_on_its_own_origin_keeps_authorization() -> None:
    def answer(h: Handler) -> None:
        if h.path == "/token":
            send_json(h, TOKEN)
        elif h.path == "/userinfo":
            send_redirect(h, 302, "/v2/userinfo")
        else:
            send_json(h, {"sub": "1001"})

    with serve(answer) as idp:
        p = provider(f"{idp.base}/token")
        p.user_endpoint = f"{idp.base}/userinfo"
        p.user_id_fn = lambda u: u["sub"]
        svc = AuthorizationService(p, fetch_user=True, fetch_groups=False)
        await svc.request_token("the-code")
    assert svc.user is not None and svc.user.id == "1001"
    assert idp.seen[-1].path == "/v2/userinfo"
    assert idp.seen[-1].headers.get("authorization") == "Bearer at-1"


# --- The size cap on answers ----------------------------------------------------------------


def wait_for_hang_up(h: Handler) -> None:
    """Holds the connection until the client closes it (or 30 s pass)."""
    h.connection.settimeout(30)
    with suppress(OSError):
        h.connection.recv(1)


async def test_a_2_mib_token_answer_is_an_invalid_response() -> None:
    body = token_body(2 * MiB)
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    with (
        serve(lambda h: send_chunked(h, chunks)) as idp,
        pytest.raises(InvalidResponseError) as raised,
    ):
        await service(provider(f"{idp.base}/token")).request_token("the-code")
    assert raised.value.status == 200


async def test_the_too_large_error_names_the_endpoint_and_the_cap_but_not_the_body() -> None:
    body = token_body(2 * MiB).replace(b"aaaa", b"SeCrEt", 1)
    with (
        serve(lambda h: send_chunked(h, iter([body]))) as idp,
        pytest.raises(InvalidResponseError) as raised,
    ):
        await service(provider(f"{idp.base}/token?tenant=x")).request_token("the-code")
    text = str(raised.value)
    assert "127.0.0.1/token" in text
    assert str(MiB) in text
    assert "SeCrEt" not in text and "tenant" not in text


async def test_an_endless_token_answer_ends_with_an_invalid_response() -> None:
    sent = {"bytes": 0, "hung_up": False}

    def endless(h: Handler) -> None:
        h.send_response(200)
        h.send_header("content-type", "application/json")
        h.send_header("transfer-encoding", "chunked")
        h.end_headers()
        chunk = b"a" * 65536
        try:
            h.wfile.write(b'%x\r\n{"access_token": "\r\n' % len(b'{"access_token": "'))
            while sent["bytes"] < 256 * MiB:  # a guard for a client that never stops reading
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent["bytes"] += len(chunk)
        except OSError:
            sent["hung_up"] = True
            return
        wait_for_hang_up(h)

    with serve(endless) as idp, pytest.raises(InvalidResponseError):
        await service(provider(f"{idp.base}/token", timeout=60)).request_token("the-code")
    assert sent["hung_up"]


async def test_a_content_length_above_the_cap_is_refused_before_the_body() -> None:
    def announce_only(h: Handler) -> None:
        h.send_response(200)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(2 * MiB))
        h.end_headers()
        h.wfile.flush()
        wait_for_hang_up(h)  # the body never comes: only the header can end this exchange

    with serve(announce_only) as idp, pytest.raises(InvalidResponseError) as raised:
        await service(provider(f"{idp.base}/token", timeout=60)).request_token("the-code")
    assert str(MiB) in str(raised.value)


async def test_a_larger_cap_set_on_the_provider_accepts_a_larger_answer() -> None:
    body = token_body(2 * MiB)

    def answer(h: Handler) -> None:
        h.send_response(200)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    with serve(answer) as idp:
        svc = service(provider(f"{idp.base}/token", max_response_size=4 * MiB))
        await svc.request_token("the-code")
    token = svc.current_token
    assert token is not None and len(token.access_token) == 2 * MiB


async def test_a_discovery_document_above_the_cap_is_an_invalid_response() -> None:
    def answer(h: Handler) -> None:
        send_json(h, {**discovery_document(idp), "padding": "p" * 2048})

    with serve(answer) as idp, pytest.raises(InvalidResponseError):
        await openid_provider(idp, max_response_size=1024).load_metadata()


def test_a_cap_that_is_not_a_positive_integer_is_a_configuration_error() -> None:
    from flet_auth import ConfigurationError

    for bad in (0, -1, "big"):
        with pytest.raises(ConfigurationError):
            service(provider("https://idp.invalid/token", max_response_size=bad))


def test_the_default_cap_is_one_mebibyte() -> None:
    assert provider("https://idp.invalid/token").max_response_size == MiB
