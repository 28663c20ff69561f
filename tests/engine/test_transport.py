"""The transport policy with real TLS and a real proxy on loopback.

The engine reads `SSL_CERT_FILE` and the proxy variables when it starts, so each case runs in
a child process with its own environment.
"""

import datetime
import http.client
import http.server
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TOKEN = {"access_token": "tls-token", "token_type": "Bearer", "expires_in": 60}


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 and localhost."""
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("flet-auth test CA"))
        .issuer_name(_name("flet-auth test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class _TokenHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps(TOKEN).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_token_endpoint(certificates: dict[str, Path]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TokenHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}/token"
    server.shutdown()
    server.server_close()


CHILD_EXCHANGE = """
import sys
from flet_auth import AuthorizationService, OAuthProvider, TransportError
endpoint = sys.argv[1]
provider = OAuthProvider("id", "secret", endpoint, endpoint, "http://127.0.0.1/cb", timeout=5)
try:
    AuthorizationService(provider, False, False).request_token_sync("code")
    print("ok")
except TransportError as e:
    print("TransportError", e)
"""


def _child_env(**extra: str) -> dict[str, str]:
    names = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env.update(extra)
    return env


def _run(code: str, *args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_certificates_from_ssl_cert_file_are_trusted(
    certificates: dict[str, Path], https_token_endpoint: str
) -> None:
    env = _child_env(SSL_CERT_FILE=str(certificates["ca"]))
    assert _run(CHILD_EXCHANGE, https_token_endpoint, env=env) == "ok"


def test_a_certificate_from_an_unknown_ca_is_refused(https_token_endpoint: str) -> None:
    out = _run(CHILD_EXCHANGE, https_token_endpoint, env=_child_env())
    assert out.startswith("TransportError")
    assert "certificate" in out.lower()


class _Proxy(http.server.BaseHTTPRequestHandler):
    """A forward proxy for plain HTTP that records what it forwards."""

    seen: ClassVar[list[str]] = []

    def _forward(self) -> None:
        target = http.client.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        path = target.path + (f"?{target.query}" if target.query else "")
        conn.request(self.command, path, body=body or None, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        type(self).seen.append(f"{self.command} {target.path}")
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = _forward

    def log_message(self, *args: object) -> None:
        pass


CHILD_LOGIN = """
from flet_auth import AuthorizationService
from flet_auth.testing import MockOAuthServer
with MockOAuthServer() as server:
    service = AuthorizationService(server.provider(), True, False)
    url, _ = service.get_authorization_data()
    redirect = server.authorize(url)
    service.request_token_sync(redirect["code"])
    print(service.user.id)
"""


def test_the_proxy_from_the_environment_is_used() -> None:
    _Proxy.seen = []
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        env = _child_env(HTTP_PROXY=f"http://127.0.0.1:{proxy.server_address[1]}")
        assert _run(CHILD_LOGIN, env=env) == "1001"
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert "POST /token" in _Proxy.seen
    assert "GET /userinfo" in _Proxy.seen


class _HttpAndHttps(http.server.ThreadingHTTPServer):
    """Plain HTTP and TLS on one port (a connection that opens with a TLS record gets TLS):
    a redirect from one to the other changes the origin and nothing else."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _UserinfoHandler)
        self.context = context
        self.seen: list[tuple[str, str, str | None]] = []

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        sock.settimeout(10)
        if sock.recv(1, socket.MSG_PEEK) == b"\x16":
            sock = self.context.wrap_socket(sock, server_side=True)
        return sock, address


class _UserinfoHandler(http.server.BaseHTTPRequestHandler):
    """The token endpoint and a userinfo endpoint that moves from plain HTTP to HTTPS."""

    def _answer(self) -> None:
        server = cast(_HttpAndHttps, self.server)
        self.rfile.read(int(self.headers.get("content-length", 0)))
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        server.seen.append((scheme, self.path, self.headers.get("authorization")))
        if self.path == "/userinfo" and scheme == "http":
            port = server.server_address[1]
            self.send_response(302)
            self.send_header("location", f"https://127.0.0.1:{port}/userinfo")
            self.send_header("content-length", "0")
            self.end_headers()
            return
        body = json.dumps(TOKEN if self.path == "/token" else {"sub": "1001"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


CHILD_USERINFO = """
import sys
from flet_auth import AuthorizationService, OAuthProvider
base = sys.argv[1]
provider = OAuthProvider(
    "id", "secret", base + "/authorize", base + "/token", "http://127.0.0.1/cb",
    user_endpoint=base + "/userinfo", user_id_fn=lambda u: u["sub"], timeout=10,
)
service = AuthorizationService(provider, True, False)
service.request_token_sync("code")
print(service.user.id)
"""


def test_a_redirect_to_another_scheme_of_the_same_host_and_port_drops_the_bearer_token(
    certificates: dict[str, Path],
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    server = _HttpAndHttps(context)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        env = _child_env(SSL_CERT_FILE=str(certificates["ca"]))
        assert _run(CHILD_USERINFO, base, env=env) == "1001"
    finally:
        server.shutdown()
        server.server_close()
    assert server.seen[1] == ("http", "/userinfo", "Bearer tls-token")
    assert server.seen[2] == ("https", "/userinfo", None)
