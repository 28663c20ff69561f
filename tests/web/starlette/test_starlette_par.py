"""A Starlette login through a pushed authorization request (RFC 9126): the provider's
metadata requires it, the async login route pushes without blocking the loop, and the
callback finishes the login."""

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from flet_auth.starlette import FletAuth
from flet_auth.testing import MockOAuthServer
from flet_auth.web.stores import AsyncMemoryStore


@pytest.fixture
def par_server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer(require_par=True) as s:
        yield s


def test_a_starlette_login_pushes_when_the_metadata_requires_it(
    par_server: MockOAuthServer,
) -> None:
    app = FastAPI()
    config = {
        "MOCK_CLIENT_ID": par_server.client_id,
        "MOCK_CLIENT_SECRET": par_server.client_secret,
        "MOCK_SERVER_METADATA_URL": par_server.discovery_url,
    }
    auth = FletAuth(app, secret_key="test-secret-key", store=AsyncMemoryStore(), config=config)
    auth.register("mock")
    client = TestClient(app, base_url="http://127.0.0.1")
    start = client.get("/login/mock", follow_redirects=False)
    assert start.status_code == 302, start.text
    location = start.headers["location"]
    assert set(dict(parse_qsl(urlsplit(location).query))) == {"client_id", "request_uri"}
    done = client.get(
        "/login/mock/callback", params=par_server.authorize(location), follow_redirects=False
    )
    assert done.status_code == 302, done.text
    assert par_server.count("par") == 1 and par_server.count("token.authorization_code") == 1
