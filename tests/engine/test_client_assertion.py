"""JWT client authentication (RFC 7523 §2.2, OpenID Connect Core §9), `private_key_jwt` and
`client_secret_jwt`, against Authlib's `JWTBearerClientAssertion` behind its authorization
server (tests/third_party/authlib_code_server.py)."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from joserfc.jwk import ECKey, RSAKey

from flet_auth import AuthorizationService, ConfigurationError, OAuthError, OAuthProvider
from third_party.authlib_code_server import AuthlibCodeServer

REDIRECT_URL = "http://127.0.0.1:8550/callback"

RSA = RSAKey.generate_key(2048)
EC = ECKey.generate_key("P-256")


def private_jwk(key: Any, kid: str) -> dict[str, Any]:
    return {**key.as_dict(private=True), "kid": kid}


def private_pem(key: Any) -> str:
    return str(key.as_pem(private=True).decode())


@pytest.fixture
def make_server() -> Iterator[Any]:
    servers: list[AuthlibCodeServer] = []

    def make(method: str, public_jwk: Any = None) -> AuthlibCodeServer:
        server = AuthlibCodeServer(method, public_jwk)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def provider_of(server: AuthlibCodeServer, **settings: Any) -> OAuthProvider:
    return OAuthProvider(
        server.client_id,
        settings.pop("client_secret", server.client_secret),
        server.authorization_endpoint,
        server.token_endpoint,
        REDIRECT_URL,
        scopes=["profile"],
        token_endpoint_auth_method=server.auth_method,
        **settings,
    )


def log_in(provider: OAuthProvider) -> AuthorizationService:
    service = AuthorizationService(provider, fetch_user=False, fetch_groups=False)
    url, _ = service.get_authorization_data()
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 302, answer.text
    redirect = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
    service.request_token_sync(service.check_authorization_response(redirect))
    return service


@pytest.mark.parametrize(
    ("key", "alg"),
    [
        (private_jwk(RSA, "rsa-1"), "RS256"),
        (private_jwk(EC, "ec-1"), "ES256"),
        (private_pem(RSA), "RS256"),
        (private_pem(EC), "ES256"),
    ],
    ids=["rsa-jwk", "ec-jwk", "rsa-pem", "ec-pem"],
)
def test_a_login_with_private_key_jwt_is_accepted_by_authlib(
    make_server: Any, key: Any, alg: str
) -> None:
    public = (RSA if alg == "RS256" else EC).as_dict(private=False)
    server = make_server("private_key_jwt", public)
    service = log_in(provider_of(server, client_secret=None, client_key=key))
    assert service.current_token is not None and service.current_token.access_token
    ((header, _),) = server.assertions
    assert header["alg"] == alg
    assert header.get("kid") == (key["kid"] if isinstance(key, dict) else None)


def test_a_login_with_client_secret_jwt_is_accepted_by_authlib(make_server: Any) -> None:
    server = make_server("client_secret_jwt")
    service = log_in(provider_of(server))
    assert service.current_token is not None and service.current_token.access_token
    ((header, _),) = server.assertions
    assert header["alg"] == "HS256"


def test_the_assertion_names_the_client_and_the_token_endpoint_for_a_minute(
    make_server: Any,
) -> None:
    server = make_server("private_key_jwt", EC.as_dict(private=False))
    provider = provider_of(server, client_secret=None, client_key=private_jwk(EC, "ec-1"))
    log_in(provider)
    log_in(provider)
    (_, first), (_, second) = server.assertions
    for claims in (first, second):
        assert claims["iss"] == claims["sub"] == server.client_id
        assert claims["aud"] == server.token_endpoint
        assert claims["exp"] - claims["iat"] == 60
    assert first["jti"] != second["jti"]


def test_an_assertion_signed_with_another_key_is_refused_by_authlib(make_server: Any) -> None:
    server = make_server("private_key_jwt", RSA.as_dict(private=False))
    other = private_jwk(RSAKey.generate_key(2048), "rsa-1")
    with pytest.raises(OAuthError) as refused:
        log_in(provider_of(server, client_secret=None, client_key=other))
    assert refused.value.error == "invalid_client"


def test_a_client_secret_jwt_with_another_secret_is_refused_by_authlib(make_server: Any) -> None:
    server = make_server("client_secret_jwt")
    with pytest.raises(OAuthError) as refused:
        log_in(provider_of(server, client_secret="not-the-secret"))
    assert refused.value.error == "invalid_client"


def provider_with(**settings: Any) -> OAuthProvider:
    settings.setdefault("token_endpoint_auth_method", "private_key_jwt")
    return OAuthProvider(
        "client",
        None,
        "https://idp.example/authorize",
        "https://idp.example/token",
        REDIRECT_URL,
        **settings,
    )


SECRET_PART = private_jwk(RSA, "rsa-1")["d"]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"client_key": {"kty": "RSA", "n": "AQAB", "d": SECRET_PART}},
        {"client_key": {"kty": "oct", "k": SECRET_PART}},
        {
            "client_key": "-----BEGIN PRIVATE KEY-----\n"
            + SECRET_PART
            + "\n-----END PRIVATE KEY-----"
        },
        {"client_key": private_jwk(RSA, "rsa-1"), "client_key_alg": "ES256"},
        {"client_key": private_jwk(EC, "ec-1"), "client_key_alg": "RS256"},
        {"client_key": private_jwk(RSA, "rsa-1"), "client_key_alg": "HS256"},
        {"client_key": 42},
    ],
    ids=[
        "no-key",
        "missing-members",
        "oct",
        "bad-pem",
        "rsa-es256",
        "ec-rs256",
        "rsa-hs256",
        "int",
    ],
)
def test_a_bad_client_key_is_a_configuration_error_naming_the_setting_not_the_key(
    settings: dict[str, Any],
) -> None:
    with pytest.raises(ConfigurationError) as bad:
        AuthorizationService(provider_with(**settings), fetch_user=False, fetch_groups=False)
    assert "client_key" in str(bad.value)
    assert SECRET_PART not in str(bad.value)


def test_client_secret_jwt_without_a_secret_is_a_configuration_error() -> None:
    provider = provider_with(token_endpoint_auth_method="client_secret_jwt")
    with pytest.raises(ConfigurationError, match="client_secret"):
        AuthorizationService(provider, fetch_user=False, fetch_groups=False)


def test_the_client_key_is_in_no_repr() -> None:
    provider = provider_with(client_key=private_jwk(RSA, "rsa-1"))
    service = AuthorizationService(provider, fetch_user=False, fetch_groups=False)
    for text in (repr(provider), repr(service)):
        assert SECRET_PART not in text
