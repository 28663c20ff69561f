"""A Starlette login with DPoP (RFC 9449) switched on by the config's text, as an environment
variable gives it: the token is bound to the worker's key and the app's `get_token()` hands
out a DPoP token."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from flet_auth.starlette import FletAuth, Login
from flet_auth.testing import MockOAuthServer
from flet_auth.web.stores import AsyncMemoryStore


@pytest.fixture
def dpop_server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as s:
        yield s


def test_a_starlette_login_with_mock_dpop_true_gets_a_dpop_bound_token(
    dpop_server: MockOAuthServer,
) -> None:
    app = FastAPI()
    config = {
        "MOCK_CLIENT_ID": dpop_server.client_id,
        "MOCK_CLIENT_SECRET": dpop_server.client_secret,
        "MOCK_SERVER_METADATA_URL": dpop_server.discovery_url,
        "MOCK_DPOP": "true",
    }
    auth = FletAuth(app, secret_key="test-secret-key", store=AsyncMemoryStore(), config=config)
    auth.register("mock")

    @app.get("/api/token")
    async def token(login: Login = Depends(auth.login_required)) -> dict[str, Any]:
        current = await login.get_token()
        assert current is not None
        return {"token_type": current.token_type}

    client = TestClient(app, base_url="http://127.0.0.1")
    start = client.get("/login/mock", follow_redirects=False)
    assert "dpop_jkt" in start.headers["location"]
    done = client.get(
        "/login/mock/callback",
        params=dpop_server.authorize(start.headers["location"]),
        follow_redirects=False,
    )
    assert done.status_code == 302, done.text
    assert client.get("/api/token", headers={"Accept": "application/json"}).json() == {
        "token_type": "DPoP"
    }
