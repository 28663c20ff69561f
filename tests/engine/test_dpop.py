"""DPoP (RFC 9449) against the bundled provider, which checks each proof as §4.3 says: the
proof's header and claims as the server received them, `dpop_jkt` (§10), the nonce (§8, §9),
the key kept across refreshes, saved logins and saved tokens, and DPoP at the userinfo
endpoint (§7)."""

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from conftest import login_sync
from flet_auth import (
    AuthorizationService,
    ClientCredentialsService,
    ConfigurationError,
    OAuthError,
)
from flet_auth.testing import MockOAuthServer

KEY = ECKey.generate_key("P-256")


@pytest.fixture
def nonce_server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer(require_dpop_nonce=True, device_interval=0.05) as s:
        yield s


def proof(server: MockOAuthServer) -> dict[str, Any]:
    seen = server.last_dpop_proof()
    assert seen is not None, "the server accepted no DPoP proof"
    return seen


def dpop_login(server: MockOAuthServer, **settings: Any) -> AuthorizationService:
    settings.setdefault("dpop", True)
    return login_sync(server, server.provider(**settings), fetch_user=False)


def b64_sha256(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


def expire(service: AuthorizationService) -> None:
    token = service.current_token
    assert token is not None
    token.expires_at = time.time() + 30  # inside the refresh leeway


def test_the_proof_header_is_typed_dpop_jwt_with_the_public_key_only(
    server: MockOAuthServer,
) -> None:
    dpop_login(server)
    header = proof(server)["header"]
    assert header["typ"] == "dpop+jwt"
    assert header["alg"] == "ES256"
    assert header["jwk"]["kty"] == "EC" and header["jwk"]["crv"] == "P-256"
    assert "d" not in header["jwk"]


def test_the_token_request_proof_names_the_method_the_url_and_the_time(
    server: MockOAuthServer,
) -> None:
    before = int(time.time())
    dpop_login(server)
    claims = proof(server)["claims"]
    assert claims["htm"] == "POST"
    assert claims["htu"] == server.token_endpoint
    assert before - 1 <= claims["iat"] <= time.time() + 1
    assert len(base64.urlsafe_b64decode(claims["jti"] + "==")) >= 16
    assert "ath" not in claims and "nonce" not in claims


def test_htu_leaves_out_the_query_and_fragment_of_the_token_endpoint(
    server: MockOAuthServer,
) -> None:
    provider = server.provider(dpop=True)
    provider.token_endpoint = f"{server.token_endpoint}?tenant=a#part"
    login_sync(server, provider, fetch_user=False)
    assert proof(server)["claims"]["htu"] == server.token_endpoint


def test_each_proof_has_a_fresh_jti(server: MockOAuthServer) -> None:
    service = dpop_login(server)
    first = proof(server)["claims"]["jti"]
    expire(service)
    service.get_token_sync()
    assert server.count("token.refresh_token") == 1
    assert proof(server)["claims"]["jti"] != first


def test_the_authorization_request_dpop_jkt_is_the_key_the_token_is_bound_to(
    server: MockOAuthServer,
) -> None:
    service = AuthorizationService(server.provider(dpop=True), fetch_user=False, fetch_groups=False)
    url, _ = service.get_authorization_data()
    dpop_jkt = parse_qs(urlsplit(url).query)["dpop_jkt"][0]
    redirect = server.authorize(url)
    service.request_token_sync(service.check_authorization_response(redirect))
    token = service.current_token
    assert token is not None
    assert server.access_token_jkt(token.access_token) == dpop_jkt


def test_without_dpop_the_authorization_request_has_no_dpop_jkt(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), fetch_user=False, fetch_groups=False)
    url, _ = service.get_authorization_data()
    assert "dpop_jkt" not in parse_qs(urlsplit(url).query)


def test_a_dpop_login_keeps_token_type_dpop(server: MockOAuthServer) -> None:
    token = dpop_login(server).current_token
    assert token is not None and token.token_type == "DPoP"


def test_a_refresh_proves_possession_of_the_same_key(server: MockOAuthServer) -> None:
    service = dpop_login(server)
    login_jwk = proof(server)["header"]["jwk"]
    expire(service)
    fresh = service.get_token_sync()
    assert server.count("token.refresh_token") == 1
    assert proof(server)["header"]["jwk"] == login_jwk
    assert fresh is not None and fresh.token_type == "DPoP"
    assert server.access_token_jkt(fresh.access_token) is not None


def test_use_dpop_nonce_is_answered_by_one_retry_with_the_nonce(
    nonce_server: MockOAuthServer,
) -> None:
    dpop_login(nonce_server)
    assert nonce_server.count("token.use_dpop_nonce") == 1
    assert nonce_server.count("token") == 2
    assert proof(nonce_server)["claims"]["nonce"] == nonce_server.dpop_nonce


def test_the_nonce_is_remembered_for_the_next_request(nonce_server: MockOAuthServer) -> None:
    service = dpop_login(nonce_server)
    expire(service)
    service.get_token_sync()
    assert nonce_server.count("token.refresh_token") == 1
    assert nonce_server.count("token.use_dpop_nonce") == 1, "the refresh sent the nonce at once"


def test_a_rotated_nonce_costs_the_next_request_one_more_retry(
    nonce_server: MockOAuthServer,
) -> None:
    service = dpop_login(nonce_server)
    nonce_server.rotate_dpop_nonce()
    expire(service)
    assert service.get_token_sync() is not None
    assert nonce_server.count("token.use_dpop_nonce") == 2
    assert proof(nonce_server)["claims"]["nonce"] == nonce_server.dpop_nonce


def test_a_server_that_keeps_asking_for_a_nonce_gets_one_retry_then_an_oauth_error(
    nonce_server: MockOAuthServer,
) -> None:
    nonce_server.rotate_dpop_nonce(always=True)
    with pytest.raises(OAuthError) as raised:
        dpop_login(nonce_server)
    assert raised.value.error == "use_dpop_nonce"
    assert nonce_server.count("token") == 2


def test_userinfo_gets_the_dpop_scheme_and_a_proof_with_ath(server: MockOAuthServer) -> None:
    service = login_sync(server, server.provider(dpop=True), fetch_user=True)
    assert service.user is not None and service.user.id == "1001"
    token = service.current_token
    assert token is not None
    claims = proof(server)["claims"]
    assert claims["htm"] == "GET"
    assert claims["htu"] == server.userinfo_endpoint
    assert claims["ath"] == b64_sha256(token.access_token)


def test_the_provider_refuses_a_dpop_token_sent_as_a_bearer_token(
    server: MockOAuthServer,
) -> None:
    token = dpop_login(server).current_token
    assert token is not None
    answer = httpx.get(
        server.userinfo_endpoint,
        headers={"Authorization": f"Bearer {token.access_token}"},
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("DPoP ")


def test_a_saved_dpop_token_works_in_another_service_with_its_key(
    server: MockOAuthServer,
) -> None:
    token = dpop_login(server).current_token
    assert token is not None
    again = AuthorizationService(server.provider(dpop=True), fetch_user=True, fetch_groups=False)
    again.dehydrate_token_sync(token.to_json())
    assert again.user is not None and again.user.id == "1001"


def test_a_resource_nonce_is_taken_with_one_retry(nonce_server: MockOAuthServer) -> None:
    token = dpop_login(nonce_server).current_token
    assert token is not None
    nonce_server.rotate_dpop_nonce()
    again = AuthorizationService(
        nonce_server.provider(dpop=True), fetch_user=True, fetch_groups=False
    )
    again.dehydrate_token_sync(token.to_json())
    assert again.user is not None
    assert nonce_server.count("resource.use_dpop_nonce") == 1
    assert nonce_server.count("userinfo") == 2


def test_a_restored_login_exchanges_its_code_with_the_key_of_its_dpop_jkt(
    server: MockOAuthServer,
) -> None:
    first = AuthorizationService(server.provider(dpop=True), fetch_user=False, fetch_groups=False)
    url, _ = first.get_authorization_data()
    saved = first.save_login()
    assert saved is not None
    other = AuthorizationService(server.provider(dpop=True), fetch_user=False, fetch_groups=False)
    other.restore_login(saved)
    redirect = server.authorize(url)
    other.request_token_sync(other.check_authorization_response(redirect))
    token = other.current_token
    assert token is not None and token.token_type == "DPoP"


def test_a_bearer_token_json_has_no_dpop_member(server: MockOAuthServer) -> None:
    token = login_sync(server, fetch_user=False).current_token
    assert token is not None and token.token_type == "Bearer"
    assert "dpop_jwk" not in json.loads(token.to_json())


def test_a_dpop_token_json_carries_its_private_key(server: MockOAuthServer) -> None:
    token = dpop_login(server).current_token
    assert token is not None
    jwk = json.loads(token.to_json())["dpop_jwk"]
    assert jwk["kty"] == "EC" and jwk["d"]
    assert ECKey.import_key(jwk).thumbprint() == server.access_token_jkt(token.access_token)


def test_the_dpop_key_is_in_no_repr(server: MockOAuthServer) -> None:
    token = dpop_login(server).current_token
    assert token is not None
    d = json.loads(token.to_json())["dpop_jwk"]["d"]
    assert d not in repr(token) and d not in str(token)


def test_a_given_dpop_key_is_the_one_used(server: MockOAuthServer) -> None:
    token = dpop_login(server, dpop_key=KEY.as_dict(private=True)).current_token
    assert token is not None
    assert server.access_token_jkt(token.access_token) == KEY.thumbprint()


@pytest.mark.parametrize(
    "bad",
    [
        RSAKey.generate_key(2048).as_dict(private=True),
        KEY.as_dict(private=False),
        {**KEY.as_dict(private=True), "d": "AAAA"},
        "not a dict",
    ],
    ids=["rsa", "public-only", "wrong-d", "not-a-dict"],
)
def test_a_bad_dpop_key_is_a_configuration_error_that_names_the_setting(
    server: MockOAuthServer, bad: Any
) -> None:
    provider = server.provider(dpop=True, dpop_key=bad)
    with pytest.raises(ConfigurationError, match="dpop_key") as raised:
        AuthorizationService(provider, fetch_user=False, fetch_groups=False)
    if isinstance(bad, dict) and "d" in bad:
        assert bad["d"] not in str(raised.value)


def test_a_dpop_key_without_dpop_is_a_configuration_error(server: MockOAuthServer) -> None:
    provider = server.provider(dpop_key=KEY.as_dict(private=True))
    with pytest.raises(ConfigurationError, match="dpop"):
        AuthorizationService(provider, fetch_user=False, fetch_groups=False)


def test_client_credentials_with_dpop_get_a_bound_token(server: MockOAuthServer) -> None:
    service = ClientCredentialsService(server.provider(scopes=[], dpop=True))
    token = service.get_token_sync()
    assert token.token_type == "DPoP"
    assert proof(server)["claims"]["htm"] == "POST"
    assert server.access_token_jkt(token.access_token) is not None


async def test_device_polling_carries_proofs_and_gets_a_bound_token(
    nonce_server: MockOAuthServer,
) -> None:
    service = AuthorizationService(
        nonce_server.provider(dpop=True), fetch_user=False, fetch_groups=False
    )
    flow = await service.start_device_login()
    waiting = asyncio.ensure_future(flow.wait())
    for _ in range(1000):
        if nonce_server.count("token.authorization_pending") >= 1:
            break
        await asyncio.sleep(0.01)
    nonce_server.approve_device(flow.user_code)
    await waiting
    token = service.current_token
    assert token is not None and token.token_type == "DPoP"
    assert nonce_server.count("token.use_dpop_nonce") == 1


def test_the_provider_refuses_a_replayed_proof(server: MockOAuthServer) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": server.client_id,
        "client_secret": server.client_secret,
    }
    claims = {
        "jti": "replayed-jti-0123456789",
        "htm": "POST",
        "htu": server.token_endpoint,
        "iat": int(time.time()),
    }
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": KEY.as_dict(private=False)}
    made = jwt.encode(header, claims, KEY)
    first = httpx.post(server.token_endpoint, data=form, headers={"DPoP": made}, timeout=10)
    second = httpx.post(server.token_endpoint, data=form, headers={"DPoP": made}, timeout=10)
    assert first.status_code == 200 and first.json()["token_type"] == "DPoP"
    assert second.status_code == 400 and second.json()["error"] == "invalid_dpop_proof"


def test_fetch_with_a_dpop_token_sends_a_proof_for_the_url_without_its_query(
    server: MockOAuthServer,
) -> None:
    service = dpop_login(server)
    token = service.current_token
    assert token is not None
    answer = service.fetch_sync("GET", server.userinfo_endpoint, params={"q": "1"})
    assert answer.status == 200 and answer.json()["sub"] == "1001"
    claims = proof(server)["claims"]
    assert (claims["htm"], claims["htu"]) == ("GET", server.userinfo_endpoint)
    assert claims["ath"] == b64_sha256(token.access_token)


def test_fetch_takes_a_resource_nonce_with_one_retry(nonce_server: MockOAuthServer) -> None:
    service = dpop_login(nonce_server)
    nonce_server.rotate_dpop_nonce()
    answer = service.fetch_sync("GET", nonce_server.userinfo_endpoint)
    assert answer.status == 200
    assert nonce_server.count("resource.use_dpop_nonce") == 1
    assert nonce_server.count("userinfo") == 2


def test_a_pushed_request_carries_dpop_jkt_and_a_proof(server: MockOAuthServer) -> None:
    service = AuthorizationService(
        server.provider(dpop=True, use_par=True), fetch_user=False, fetch_groups=False
    )
    url, _ = service.start_authorization_sync()
    pushed = server.last_par_request()
    assert pushed is not None and "dpop_jkt" not in parse_qs(urlsplit(url).query)
    assert proof(server)["claims"]["htu"] == server.url + "/par"
    redirect = server.authorize(url)
    service.request_token_sync(service.check_authorization_response(redirect))
    token = service.current_token
    assert token is not None
    assert server.access_token_jkt(token.access_token) == pushed["dpop_jkt"]
