"""A JSON HTTP server on a loopback port, in a thread, for tests that play a provider (or a
proxy in front of the bundled one): subclasses answer `get(path)` and `post(path, headers,
body)` with `(status, body)`. Also what the enforcing proxies share: the client
authentication a token or revocation request used, and forwarding a request upstream."""

import base64
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

Answer = tuple[int, bytes]


class JSONServer:
    """Serves on `self.url` until `close()`; a context manager."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def get(self, path: str) -> Answer:
        return 404, b'{"detail": "not found"}'

    def post(self, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        return 404, b'{"detail": "not found"}'

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "JSONServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, answer: Answer) -> None:
                status, body = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._send(outer.get(self.path))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self._send(outer.post(self.path, dict(self.headers.items()), body))

        return Handler


def json_answer(document: object, status: int = 200) -> Answer:
    return status, json.dumps(document).encode()


INVALID_CLIENT: Answer = (401, b'{"error": "invalid_client"}')


def client_auth_method(headers: Mapping[str, str], body: bytes) -> str:
    """How a request authenticated its client: `client_secret_basic`, `client_secret_post`,
    `private_key_jwt` or `client_secret_jwt` (a JWT assertion, by its `alg`), or `mixed` (both
    or neither)."""
    assertion = parse_qs(body.decode()).get("client_assertion")
    if assertion:
        header = assertion[0].split(".")[0]
        alg = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["alg"]
        return "client_secret_jwt" if alg.startswith("HS") else "private_key_jwt"
    basic = any(k.lower() == "authorization" and v.startswith("Basic ") for k, v in headers.items())
    post = "client_secret" in parse_qs(body.decode())
    if basic != post:
        return "client_secret_basic" if basic else "client_secret_post"
    return "mixed"


def forward(url: str, headers: Mapping[str, str], body: bytes) -> Answer:
    """POSTs `body` to `url` with the request's authorization and content headers."""
    kept = {
        k: v for k, v in headers.items() if k.lower() in ("authorization", "content-type", "accept")
    }
    request = urllib.request.Request(url, data=body, headers=kept, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def document_of(url: str) -> dict[str, Any]:
    """The JSON document at `url`."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        document: dict[str, Any] = json.loads(answer.read())
    return document
