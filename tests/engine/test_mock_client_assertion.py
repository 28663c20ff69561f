"""The bundled provider's JWT client authentication (RFC 7523 §3, OpenID Connect Core §9):
a confidential client registered for `private_key_jwt` (RSA or EC P-256 public keys) or
`client_secret_jwt` logs in with assertions, and each wrong assertion is `invalid_client`."""

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from flet_auth import AuthorizationService, ClientCredentialsService, ConfigurationError
from flet_auth.testing import MockOAuthServer

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
EC = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})


def public_jwks(key: Any) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False)]}


@pytest.fixture
def rsa_server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer(
        token_endpoint_auth_method="private_key_jwt",
        client_jwks=public_jwks(RSA),
        device_interval=0.05,
    ) as s:
        yield s


def log_in(server: MockOAuthServer, **settings: Any) -> AuthorizationService:
    service = AuthorizationService(server.provider(**settings), True, False)
    url, _ = service.get_authorization_data()
    service.request_token_sync(server.authorize(url, user="alice")["code"])
    return service


def claims_of(server: MockOAuthServer, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": server.client_id,
        "sub": server.client_id,
        "aud": server.token_endpoint,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 60,
    }
    claims.update(changes)
    return claims


def rsa_assertion(server: MockOAuthServer, **changes: Any) -> str:
    return jwt.encode({"alg": "RS256", "kid": "rsa-1"}, claims_of(server, **changes), RSA)


def client_credentials(server: MockOAuthServer, assertion: str) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    return httpx.post(server.token_endpoint, data=form, timeout=10)


def refused_because(answer: httpx.Response) -> str:
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    return str(answer.json()["error_description"])


def test_a_login_with_private_key_jwt_and_an_rsa_key_succeeds(
    rsa_server: MockOAuthServer,
) -> None:
    service = log_in(rsa_server, client_key=RSA.as_dict(private=True))
    assert service.user is not None and service.user.id
    sent = rsa_server.last_token_request()
    assert sent is not None and sent["client_assertion_type"] == ASSERTION_TYPE


def test_a_login_with_private_key_jwt_and_an_ec_key_succeeds() -> None:
    with MockOAuthServer(
        token_endpoint_auth_method="private_key_jwt", client_jwks=public_jwks(EC)
    ) as server:
        service = log_in(server, client_key=EC.as_dict(private=True))
        assert service.token is not None and service.token.access_token
        sent = server.last_token_request()
        assert sent is not None
        assert jwt.decode(sent["client_assertion"], EC).header["alg"] == "ES256"


def test_a_login_with_client_secret_jwt_succeeds() -> None:
    with MockOAuthServer(token_endpoint_auth_method="client_secret_jwt") as server:
        service = log_in(server)
        assert service.token is not None and service.token.access_token
        sent = server.last_token_request()
        assert sent is not None
        secret = OctKey.import_key(server.client_secret)
        assert jwt.decode(sent["client_assertion"], secret).header["alg"] == "HS256"


def test_last_token_request_shows_the_assertion_and_its_claims(
    rsa_server: MockOAuthServer,
) -> None:
    log_in(rsa_server, client_key=RSA.as_dict(private=True))
    sent = rsa_server.last_token_request()
    assert sent is not None and "client_secret" not in sent
    token = jwt.decode(sent["client_assertion"], RSA)
    claims = token.claims
    assert token.header["kid"] == "rsa-1"
    assert claims["iss"] == claims["sub"] == rsa_server.client_id
    assert claims["aud"] == rsa_server.token_endpoint
    assert claims["exp"] - claims["iat"] == 60 and claims["jti"]


def test_an_assertion_is_accepted_once_and_its_replay_refused(
    rsa_server: MockOAuthServer,
) -> None:
    assertion = rsa_assertion(rsa_server)
    assert client_credentials(rsa_server, assertion).status_code == 200
    assert "jti" in refused_because(client_credentials(rsa_server, assertion))
    assert rsa_server.count("client_assertion.replayed") == 1


def test_the_issuer_is_an_accepted_audience(rsa_server: MockOAuthServer) -> None:
    answer = client_credentials(rsa_server, rsa_assertion(rsa_server, aud=rsa_server.issuer))
    assert answer.status_code == 200


def test_an_assertion_for_another_audience_is_refused(rsa_server: MockOAuthServer) -> None:
    assertion = rsa_assertion(rsa_server, aud="https://other.example/token")
    assert "aud" in refused_because(client_credentials(rsa_server, assertion))


def test_an_expired_assertion_is_refused(rsa_server: MockOAuthServer) -> None:
    past = int(time.time()) - 600
    assertion = rsa_assertion(rsa_server, iat=past, exp=past + 60)
    assert "expired" in refused_because(client_credentials(rsa_server, assertion))


def test_an_assertion_valid_for_too_long_is_refused(rsa_server: MockOAuthServer) -> None:
    assertion = rsa_assertion(rsa_server, exp=int(time.time()) + 3600)
    assert "exp" in refused_because(client_credentials(rsa_server, assertion))


def test_an_assertion_of_another_issuer_is_refused(rsa_server: MockOAuthServer) -> None:
    assertion = rsa_assertion(rsa_server, iss="someone-else")
    assert "iss" in refused_because(client_credentials(rsa_server, assertion))


def test_an_assertion_signed_with_another_key_is_refused(rsa_server: MockOAuthServer) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    assertion = jwt.encode({"alg": "RS256", "kid": "rsa-1"}, claims_of(rsa_server), other)
    assert "signature" in refused_because(client_credentials(rsa_server, assertion))


def test_the_client_secret_is_refused_when_the_client_uses_private_key_jwt(
    rsa_server: MockOAuthServer,
) -> None:
    form = {"grant_type": "client_credentials"}
    auth = (rsa_server.client_id, rsa_server.client_secret)
    answer = httpx.post(rsa_server.token_endpoint, data=form, auth=auth, timeout=10)
    assert answer.status_code == 401


def test_revocation_and_device_authorization_take_the_assertion(
    rsa_server: MockOAuthServer,
) -> None:
    provider = rsa_server.provider(client_key=RSA.as_dict(private=True))
    provider.revocation_endpoint = f"{rsa_server.url}/revoke"
    service = AuthorizationService(provider, False, False)
    flow = service.start_device_login_sync()
    rsa_server.approve_device(flow.user_code)
    flow.wait_sync()
    service.revoke_sync()
    assert rsa_server.count("device_authorization") == 1
    assert rsa_server.count("revoke.access_token") + rsa_server.count("revoke.refresh_token") == 1
    assert rsa_server.count("client_assertion.refused") == 0


def test_client_credentials_work_with_private_key_jwt(rsa_server: MockOAuthServer) -> None:
    provider = rsa_server.provider(scopes=[], client_key=RSA.as_dict(private=True))
    token = ClientCredentialsService(provider).get_token_sync()
    assert token.access_token


def test_discovery_announces_the_jwt_methods_and_their_algorithms(
    rsa_server: MockOAuthServer,
) -> None:
    doc = httpx.get(rsa_server.discovery_url, timeout=10).json()
    for name in ("token_endpoint", "revocation_endpoint"):
        assert {"private_key_jwt", "client_secret_jwt"} <= set(
            doc[f"{name}_auth_methods_supported"]
        )
        assert {"RS256", "ES256", "HS256"} <= set(doc[f"{name}_auth_signing_alg_values_supported"])


def test_private_key_jwt_without_client_jwks_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="client_jwks"):
        MockOAuthServer(token_endpoint_auth_method="private_key_jwt")


def test_client_jwks_with_a_symmetric_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="client_jwks"):
        MockOAuthServer(client_jwks={"kty": "oct", "k": "c2VjcmV0"})
