"""The client credentials grant (RFC 6749 §4.4) against django-oauth-toolkit, a provider
nobody here wrote: its token is one DOT's own introspection endpoint (RFC 7662) accepts."""

from collections.abc import Iterator

import httpx
import pytest

from flet_auth import ClientCredentialsService, OAuthError, OAuthProvider, OpenIDProvider
from third_party.server import DjangoOAuthServer


@pytest.fixture(scope="module")
def dot() -> Iterator[DjangoOAuthServer]:
    with DjangoOAuthServer() as server:
        yield server


def introspect(dot: DjangoOAuthServer, access_token: str) -> dict[str, object]:
    """DOT's answer about `access_token`, asked with the token itself (scope `introspection`)."""
    answer = httpx.post(
        dot.introspection_endpoint,
        data={"token": access_token},
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    )
    answer.raise_for_status()
    result: dict[str, object] = answer.json()
    return result


def test_a_fetched_token_is_active_at_dots_introspection_endpoint(
    dot: DjangoOAuthServer,
) -> None:
    provider = OpenIDProvider(
        dot.service_client_id,
        dot.service_client_secret,
        dot.redirect_uri,
        server_metadata_url=dot.discovery_url,
    )
    service = ClientCredentialsService(provider, scope=["read", "introspection"])
    token = service.get_token_sync()
    assert token.refresh_token is None
    info = introspect(dot, token.access_token)
    assert info["active"] is True
    assert info["client_id"] == dot.service_client_id
    assert str(info["scope"]).split() == ["read", "introspection"]


async def test_client_secret_post_is_accepted_by_dot_too(dot: DjangoOAuthServer) -> None:
    provider = OAuthProvider(
        dot.service_client_id,
        dot.service_client_secret,
        dot.authorization_endpoint,
        dot.token_endpoint,
        dot.redirect_uri,
        token_endpoint_auth_method="client_secret_post",
    )
    token = await ClientCredentialsService(provider, scope="read introspection").get_token()
    assert introspect(dot, token.access_token)["active"] is True


def test_a_client_without_the_grant_is_refused_by_dot(dot: DjangoOAuthServer) -> None:
    provider = OAuthProvider(
        dot.client_id,
        dot.client_secret,
        dot.authorization_endpoint,
        dot.token_endpoint,
        dot.redirect_uri,
    )
    with pytest.raises(OAuthError) as caught:
        ClientCredentialsService(provider).get_token_sync()
    assert caught.value.error == "unauthorized_client"


def test_a_provider_with_only_a_token_endpoint_gets_a_token_from_dot(
    dot: DjangoOAuthServer,
) -> None:
    provider = OAuthProvider(
        dot.service_client_id, dot.service_client_secret, token_endpoint=dot.token_endpoint
    )
    token = ClientCredentialsService(provider, scope="read introspection").get_token_sync()
    assert introspect(dot, token.access_token)["active"] is True


def test_an_openid_provider_without_redirect_url_gets_a_token_from_dot(
    dot: DjangoOAuthServer,
) -> None:
    provider = OpenIDProvider(
        dot.service_client_id, dot.service_client_secret, server_metadata_url=dot.discovery_url
    )
    token = ClientCredentialsService(provider, scope="read introspection").get_token_sync()
    assert introspect(dot, token.access_token)["active"] is True
