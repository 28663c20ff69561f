"""A third-party authorization server for tests: Authlib's server components (the authorization
code grant with PKCE, RFC 7636, and the `iss` response parameter of RFC 9207) in a small Flask
app, served on 127.0.0.1 by werkzeug in a thread.

Example::

    with AuthlibCodeServer() as server:
        provider = OAuthProvider(server.client_id, server.client_secret,
                                 server.authorization_endpoint, server.token_endpoint,
                                 redirect_url, issuer=server.issuer)

`AuthlibCodeServer(token_endpoint_auth_method="private_key_jwt", public_jwk=...)` or
`"client_secret_jwt"` authenticates the client by a JWT assertion (RFC 7523 §2.2) with Authlib's
`JWTBearerClientAssertion`; `assertions` keeps each accepted assertion's `(header, claims)`.

The authorization endpoint consents at once as the one user and redirects with `code`,
`state` and `iss`; `token_requests` counts the requests that reached the token endpoint.
"""

import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, jsonify
from joserfc.jwk import OctKey
from werkzeug.serving import make_server

# Authlib refuses plain HTTP unless told; the server only ever listens on loopback.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

CLIENT_ID = "authlib-client"
SCOPE = "profile"


@dataclass
class Client:
    client_id: str
    client_secret: str
    auth_method: str = "client_secret_post"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> Optional[str]:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s == SCOPE)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri.startswith("http://127.0.0.1:")

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class User:
    user_id: int

    def get_user_id(self) -> int:
        return self.user_id


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user_id: int
    code_challenge: Optional[str]
    code_challenge_method: Optional[str]
    issued_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class AuthlibCodeServer:
    """Authlib's authorization server: one confidential client (`client_secret_post`), one
    user, codes kept in memory, `iss` in every authorization response (RFC 9207)."""

    client_id = CLIENT_ID

    def __init__(
        self,
        token_endpoint_auth_method: str = "client_secret_post",
        public_jwk: Optional[dict[str, Any]] = None,
    ) -> None:
        self.client_secret = secrets.token_urlsafe(24)
        self.auth_method = token_endpoint_auth_method
        self.public_jwk = public_jwk
        self.assertions: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.token_requests = 0
        self._codes: dict[str, AuthorizationCode] = {}
        self._server: Any = None
        self._thread: Optional[threading.Thread] = None
        self.url = ""

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.url}/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.url}/token"

    def _app(self) -> Flask:
        app = Flask("authlib_code_server")
        client = Client(self.client_id, self.client_secret, self.auth_method)
        codes = self._codes
        issuer = self
        seen_jti: set[str] = set()

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = (self.auth_method,)

            def save_authorization_code(self, code: str, request: Any) -> None:
                data = request.payload.data
                codes[code] = AuthorizationCode(
                    code,
                    request.client.get_client_id(),
                    request.payload.redirect_uri,
                    request.scope or "",
                    request.user.get_user_id(),
                    data.get("code_challenge"),
                    data.get("code_challenge_method"),
                    time.time(),
                )

            def query_authorization_code(self, code: str, client: Client) -> Any:
                found = codes.get(code)
                if found is not None and found.client_id == client.get_client_id():
                    return found
                return None

            def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
                codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: AuthorizationCode) -> User:
                return User(authorization_code.user_id)

        class Issuer(IssuerParameter):
            def get_issuer(self) -> str:
                return issuer.issuer

        def query_client(client_id: str) -> Optional[Client]:
            return client if client_id == client.client_id else None

        server = AuthorizationServer(app, query_client=query_client, save_token=lambda t, r: None)
        server.register_grant(CodeGrant, [CodeChallenge(required=True)])
        server.register_extension(Issuer())
        if self.auth_method in ("private_key_jwt", "client_secret_jwt"):

            class Assertion(JWTBearerClientAssertion):
                CLIENT_AUTH_METHOD = self.auth_method

                def get_audiences(self) -> list[str]:
                    return [issuer.token_endpoint]

                def validate_jti(self, claims: Any, jti: str) -> bool:
                    if jti in seen_jti:
                        return False
                    seen_jti.add(jti)
                    return True

                def resolve_client_public_key(self, client: Client) -> Any:
                    if self.CLIENT_AUTH_METHOD == "client_secret_jwt":
                        return OctKey.import_key(client.client_secret)
                    return issuer.public_jwk

                def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
                    claims = super().process_assertion_claims(assertion, resolve_key)
                    header, _ = self.extract_assertion(assertion)
                    issuer.assertions.append((dict(header), dict(claims)))
                    return claims

            server.register_client_auth_method(self.auth_method, Assertion())

        @app.get("/authorize")
        def authorize() -> Any:
            user = User(1)
            grant = server.get_consent_grant(end_user=user)
            return server.create_authorization_response(grant=grant, grant_user=user)

        @app.post("/token")
        def token() -> Any:
            self.token_requests += 1
            return server.create_token_response()

        @app.get("/.well-known/oauth-authorization-server")
        def metadata() -> Any:
            return jsonify(
                issuer=self.issuer,
                authorization_endpoint=self.authorization_endpoint,
                token_endpoint=self.token_endpoint,
                response_types_supported=["code"],
                authorization_response_iss_parameter_supported=True,
            )

        return app

    def start(self) -> None:
        self._server = make_server("127.0.0.1", 0, self._app(), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> "AuthlibCodeServer":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
