"""The device authorization grant (RFC 8628) against an authorization server nobody here
wrote: django-oauth-toolkit (see third_party/server.py), which polls at an interval of 1 s."""

import asyncio
from collections.abc import Iterator

import pytest

from flet_auth import AuthorizationService, OAuthError, OAuthProvider
from third_party.server import DjangoOAuthServer


@pytest.fixture(scope="module")
def dot() -> Iterator[DjangoOAuthServer]:
    with DjangoOAuthServer() as server:
        yield server


def device_service(dot: DjangoOAuthServer) -> AuthorizationService:
    provider = OAuthProvider(
        client_id=dot.device_client_id,
        client_secret=None,
        authorization_endpoint=dot.authorization_endpoint,
        token_endpoint=dot.token_endpoint,
        redirect_url=dot.redirect_uri,
        scopes=["read"],
        user_endpoint=dot.user_endpoint,
        user_id_fn=lambda u: u["id"],
        token_endpoint_auth_method="none",
        device_authorization_endpoint=dot.device_authorization_endpoint,
    )
    return AuthorizationService(provider, fetch_user=True, fetch_groups=False)


async def test_a_device_login_approved_at_dot_gets_the_token_and_the_user(
    dot: DjangoOAuthServer,
) -> None:
    service = device_service(dot)
    flow = await service.start_device_login()
    assert flow.verification_uri == "/o/device/" and flow.interval == 1
    waiting = asyncio.ensure_future(flow.wait())
    await asyncio.to_thread(dot.decide_device, flow.user_code, "bob")
    await waiting
    token = service.current_token
    assert token is not None and token.token_type == "Bearer" and token.scope == ["read"]
    assert service.user is not None and service.user["username"] == "bob"


def test_a_device_login_denied_at_dot_raises_access_denied(dot: DjangoOAuthServer) -> None:
    service = device_service(dot)
    flow = service.start_device_login_sync()
    dot.decide_device(flow.user_code, accept=False)
    with pytest.raises(OAuthError) as raised:
        flow.wait_sync()
    assert raised.value.error == "access_denied"
    assert service.current_token is None
