"""A real OAuth 2.0 / OpenID Connect provider for tests: django-oauth-toolkit on 127.0.0.1.

Example::

    with DjangoOAuthServer() as server:
        redirect = server.authorize(authorization_url)  # {"code": ..., "state": ...}

Each instance has its own temporary directory (sqlite database, RSA key, log), migrated and
filled in a subprocess, and is served by cheroot (a threaded WSGI server) in another one.
Needs django-oauth-toolkit, cheroot, cryptography and httpx. `python server.py` serves one
until Ctrl-C.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

HERE = Path(__file__).resolve().parent
LOGIN_PATH = "/accounts/login/"
DEFAULT_REDIRECT_URIS = (
    "http://127.0.0.1:8550/callback",
    "http://localhost:8550/api/oauth/redirect",
    "http://127.0.0.1:8550/oauth_callback",
)
USERS = {
    "alice": {"password": "alice-password", "email": "alice@example.com"},
    "bob": {"password": "bob-password", "email": "bob@example.com"},
}
HTTP_TIMEOUT = 10.0


class AuthorizeError(RuntimeError):
    """The login failed, or the authorization endpoint answered without a redirect."""

    def __init__(self, message: str, response: httpx.Response) -> None:
        super().__init__(f"{message}: HTTP {response.status_code}\n{response.text[:2000]}")
        self.status_code = response.status_code
        self.body = response.text


class DjangoOAuthServer:
    """django-oauth-toolkit with users `alice` and `bob`, a confidential and a public client.

    Both clients use the authorization-code grant, skip the consent page and sign ID tokens
    with RS256. PKCE is required of the public client and verified for the confidential one
    when sent. A third, confidential client (`service_client_id`) uses the client credentials
    grant. A fourth, public, client uses the device authorization grant (RFC 8628; DOT
    polls at an `interval` of 1 s), approved or denied with `decide_device`.
    """

    client_id = "dot-confidential-client"
    client_secret = "dot-confidential-secret"
    public_client_id = "dot-public-client"
    service_client_id = "dot-service-client"
    service_client_secret = "dot-service-secret"
    device_client_id = "dot-device-client"

    def __init__(
        self,
        redirect_uris: Optional[list[str]] = None,
        *,
        access_token_expire_seconds: int = 3600,
        startup_timeout: float = 30.0,
    ) -> None:
        self.redirect_uris = [*DEFAULT_REDIRECT_URIS, *(redirect_uris or [])]
        self.redirect_uri = self.redirect_uris[0]
        self.users = {name: dict(user) for name, user in USERS.items()}
        self.access_token_expire_seconds = access_token_expire_seconds
        self.startup_timeout = startup_timeout
        self.url = ""
        self._dir: Optional[Path] = None
        self._process: Optional[subprocess.Popen[bytes]] = None

    # Endpoints (valid once started).
    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.url}/o/authorize/"

    @property
    def token_endpoint(self) -> str:
        return f"{self.url}/o/token/"

    @property
    def revocation_endpoint(self) -> str:
        return f"{self.url}/o/revoke_token/"

    @property
    def introspection_endpoint(self) -> str:
        return f"{self.url}/o/introspect/"

    @property
    def device_authorization_endpoint(self) -> str:
        return f"{self.url}/o/device-authorization/"

    @property
    def userinfo_endpoint(self) -> str:
        return f"{self.url}/o/userinfo/"

    @property
    def jwks_uri(self) -> str:
        return f"{self.url}/o/.well-known/jwks.json"

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/o/.well-known/openid-configuration"

    @property
    def user_endpoint(self) -> str:
        return f"{self.url}/api/me"

    def __enter__(self) -> "DjangoOAuthServer":
        self._dir = Path(tempfile.mkdtemp(prefix="dot-server-"))
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def log(self) -> str:
        """What the server printed so far (tracebacks of its 500 answers, warnings)."""
        assert self._dir is not None, "the server is not running"
        return (self._dir / "server.log").read_text(errors="replace")

    def _start(self) -> None:
        assert self._dir is not None
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_path = self._dir / "oidc-key.pem"
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dot_project.settings",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
            "DOT_DB_PATH": str(self._dir / "db.sqlite3"),
            "DOT_OIDC_KEY_PATH": str(key_path),
            "DOT_ACCESS_TOKEN_EXPIRE_SECONDS": str(self.access_token_expire_seconds),
        }
        bootstrap = subprocess.run(
            [sys.executable, "-m", "dot_project.bootstrap"],
            input=json.dumps(self._config()).encode(),
            capture_output=True,
            env=env,
            cwd=self._dir,
            timeout=self.startup_timeout,
        )
        if bootstrap.returncode != 0:
            raise RuntimeError(f"preparing the database failed:\n{bootstrap.stderr.decode()}")

        log_path = self._dir / "server.log"
        port_file = self._dir / "port"
        with log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "dot_project.serve", str(port_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self._dir,
            )
        deadline = time.monotonic() + self.startup_timeout
        while not port_file.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{int(port_file.read_text())}"
        httpx.get(self.url + LOGIN_PATH, timeout=HTTP_TIMEOUT).raise_for_status()

    def _config(self) -> dict[str, Any]:
        common = {
            "authorization_grant_type": "authorization-code",
            "redirect_uris": " ".join(self.redirect_uris),
            "skip_authorization": True,
            "algorithm": "RS256",
        }
        return {
            "users": [{"username": name, **user} for name, user in self.users.items()],
            "applications": [
                {
                    "name": "confidential",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "client_type": "confidential",
                    **common,
                },
                {
                    "name": "public",
                    "client_id": self.public_client_id,
                    "client_secret": "",
                    "client_type": "public",
                    **common,
                },
                {
                    "name": "service",
                    "client_id": self.service_client_id,
                    "client_secret": self.service_client_secret,
                    "client_type": "confidential",
                    "authorization_grant_type": "client-credentials",
                },
                {
                    "name": "device",
                    "client_id": self.device_client_id,
                    "client_secret": "",
                    "client_type": "public",
                    "authorization_grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                    "algorithm": "RS256",
                },
            ],
        }

    def authorize(
        self, authorization_url: str, username: str = "alice", password: Optional[str] = None
    ) -> dict[str, str]:
        """Logs in as `username` through the login form, opens `authorization_url` and returns
        the query of its redirect: `code` and `state`, or `error` (and `error_description`)."""
        parts = urlsplit(authorization_url)
        with self._logged_in(f"{parts.scheme}://{parts.netloc}", username, password) as client:
            response = client.get(authorization_url)
        location = response.headers.get("location")
        if not response.is_redirect or not location:
            raise AuthorizeError("the authorization endpoint did not redirect", response)
        if urlsplit(location).path == LOGIN_PATH:
            raise AuthorizeError("the authorization endpoint asked to log in again", response)
        return dict(parse_qsl(urlsplit(location).query))

    def decide_device(self, user_code: str, username: str = "alice", accept: bool = True) -> None:
        """Logs in as `username`, enters `user_code` at DOT's verification page and accepts (or
        denies) the device, as the user would in a browser (RFC 8628 §3.3)."""
        with self._logged_in(self.url, username, None) as client:
            entered = _post_form(client, "/o/device/", {"user_code": user_code})
            confirm = entered.headers.get("location", "")
            if entered.status_code != 302 or "device-confirm" not in confirm:
                raise AuthorizeError(f"the user code {user_code!r} was refused", entered)
            action = "accept" if accept else "deny"
            decided = _post_form(client, confirm, {"action": action})
            if decided.status_code != 302:
                raise AuthorizeError("the device decision was refused", decided)

    @contextmanager
    def _logged_in(
        self, origin: str, username: str, password: Optional[str]
    ) -> Iterator[httpx.Client]:
        """An HTTP client logged in as `username` through the login form."""
        if password is None:
            password = self.users.get(username, {}).get("password", "")
        with httpx.Client(base_url=origin, timeout=HTTP_TIMEOUT) as client:
            login = _post_form(client, LOGIN_PATH, {"username": username, "password": password})
            if login.status_code != 302:
                raise AuthorizeError(f"logging in as {username!r} failed", login)
            yield client


def _post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """GETs the form at `path` and POSTs `data` to it with the form's CSRF token."""
    form = client.get(path)
    form.raise_for_status()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if csrf is None:
        raise AuthorizeError(f"no CSRF token in the form at {path}", form)
    return client.post(path, data={"csrfmiddlewaretoken": csrf.group(1), **data})


def main() -> None:
    """Serves a provider until Ctrl-C (or SIGTERM) and prints how to reach it."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with DjangoOAuthServer() as server:
        print(f"django-oauth-toolkit on {server.url} (Ctrl-C stops it)")
        for name in (
            "authorization_endpoint",
            "token_endpoint",
            "revocation_endpoint",
            "userinfo_endpoint",
            "user_endpoint",
            "discovery_url",
            "client_id",
            "client_secret",
            "public_client_id",
            "redirect_uri",
        ):
            print(f"  {name:23} {getattr(server, name)}")
        for name, user in server.users.items():
            print(f"  user {name!r} password {user['password']!r}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
