"""ID tokens refused for their JOSE header (`crit`, `typ` at+jwt), their `iat` and `sub`, and
for the key that would verify them (`use` enc, another `alg`): each served by the bundled
provider through a real login (issue 13, item 16)."""

import json
from collections.abc import Iterator
from urllib.request import urlopen

import pytest

from conftest import login_sync
from flet_auth import IDTokenError
from flet_auth.testing import MockOAuthServer


@pytest.fixture(params=["RS256", "ES256"])
def oidc_server(request: pytest.FixtureRequest) -> Iterator[MockOAuthServer]:
    with MockOAuthServer(id_token_alg=request.param) as server:
        yield server


def refusal(server: MockOAuthServer, kind: str) -> str:
    """The message of the IDTokenError that a login with an ID token forged as `kind` raises.
    No userinfo is fetched, so that only the ID token's checks can refuse it."""
    server.forge_id_token(kind)
    with pytest.raises(IDTokenError) as refused:
        login_sync(server, server.openid_provider(), fetch_user=False)
    return str(refused.value)


def published_keys(server: MockOAuthServer) -> list[dict[str, str]]:
    with urlopen(f"{server.url}/jwks", timeout=5) as answer:
        keys: list[dict[str, str]] = json.load(answer)["keys"]
        return keys


def test_an_id_token_with_a_critical_header_parameter_is_refused(
    oidc_server: MockOAuthServer,
) -> None:
    assert "(crit)" in refusal(oidc_server, "crit_header")


def test_an_access_token_presented_as_an_id_token_is_refused(
    oidc_server: MockOAuthServer,
) -> None:
    assert "(typ)" in refusal(oidc_server, "typ_at_jwt")


def test_an_id_token_without_iat_is_refused(oidc_server: MockOAuthServer) -> None:
    assert "iat" in refusal(oidc_server, "missing_iat")


def test_an_id_token_whose_future_iat_is_written_as_a_string_is_refused(
    oidc_server: MockOAuthServer,
) -> None:
    assert "iat" in refusal(oidc_server, "iat_not_a_number")


def test_an_id_token_with_an_empty_sub_is_refused(oidc_server: MockOAuthServer) -> None:
    assert "(sub)" in refusal(oidc_server, "empty_sub")


def test_an_id_token_signed_with_a_key_published_for_encryption_is_refused(
    oidc_server: MockOAuthServer,
) -> None:
    assert "(use)" in refusal(oidc_server, "key_use_enc")


def test_an_id_token_signed_with_a_key_published_for_another_alg_is_refused(
    oidc_server: MockOAuthServer,
) -> None:
    assert "(JWK alg)" in refusal(oidc_server, "key_alg_mismatch")


def test_the_provider_publishes_the_mislabelled_keys_until_the_faults_are_cleared(
    oidc_server: MockOAuthServer,
) -> None:
    alg = oidc_server.id_token_alg
    oidc_server.forge_id_token("key_use_enc")
    oidc_server.forge_id_token("key_alg_mismatch")
    labels = [(key["use"], key["alg"]) for key in published_keys(oidc_server)]
    other = {"RS256": "RS512", "ES256": "ES384"}[alg]
    assert labels == [("sig", alg), ("enc", alg), ("sig", other)]
    oidc_server.clear_faults()
    assert [(key["use"], key["alg"]) for key in published_keys(oidc_server)] == [("sig", alg)]


def test_a_genuine_login_verifies_while_the_mislabelled_key_is_published(
    oidc_server: MockOAuthServer,
) -> None:
    refusal(oidc_server, "key_use_enc")
    assert len(published_keys(oidc_server)) == 2
    service = login_sync(oidc_server, oidc_server.openid_provider())
    assert service.id_token_claims is not None and service.id_token_claims["sub"] == "1001"
