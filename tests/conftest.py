"""Shared fixtures: a fresh local provider per test and a helper that runs a whole login."""

from collections.abc import Iterator
from typing import Any

import pytest

from flet_auth import AuthorizationService
from flet_auth.testing import MockOAuthServer


@pytest.fixture
def server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as s:
        yield s


def login_sync(
    server: MockOAuthServer, provider: Any = None, *, user: str = "alice", **kwargs: Any
) -> AuthorizationService:
    """A service that went through a whole login with the sync API."""
    kwargs.setdefault("fetch_user", True)
    kwargs.setdefault("fetch_groups", False)
    service = AuthorizationService(provider or server.provider(), **kwargs)
    url, state = service.get_authorization_data()
    redirect = server.authorize(url, user=user)
    assert redirect["state"] == state
    service.check_state(redirect["state"])
    service.request_token_sync(redirect["code"])
    return service


async def login(
    server: MockOAuthServer, provider: Any = None, *, user: str = "alice", **kwargs: Any
) -> AuthorizationService:
    """A service that went through a whole login with the async API."""
    kwargs.setdefault("fetch_user", True)
    kwargs.setdefault("fetch_groups", False)
    service = AuthorizationService(provider or server.provider(), **kwargs)
    url, state = service.get_authorization_data()
    redirect = server.authorize(url, user=user)
    assert redirect["state"] == state
    service.check_state(redirect["state"])
    await service.request_token(redirect["code"])
    return service
