"""A Starlette app whose provider authenticates with `private_key_jwt`, the key in the config
as text (`MOCK_CLIENT_KEY`, a JWK as JSON, as in the environment), logs in at the bundled
provider registered for that key; a bad key is refused when it is registered."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import ECKey
from starlette.applications import Starlette

from flask_apps.config import mock_client
from flet_auth import ConfigurationError
from flet_auth.starlette import FletAuth
from flet_auth.testing import MockOAuthServer
from flet_auth.web.stores import AsyncMemoryStore

KEY = ECKey.generate_key("P-256", parameters={"kid": "starlette-1"})
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def jwt_server() -> Iterator[MockOAuthServer]:
    jwks = {"keys": [KEY.as_dict(private=False)]}
    with MockOAuthServer(token_endpoint_auth_method="private_key_jwt", client_jwks=jwks) as s:
        yield s


def config_for(server: MockOAuthServer, client_key: str) -> dict[str, Any]:
    config = mock_client(server)
    del config["MOCK_CLIENT_SECRET"]
    config["MOCK_CLIENT_KWARGS"] = json.dumps(config["MOCK_CLIENT_KWARGS"])
    config["MOCK_TOKEN_ENDPOINT_AUTH_METHOD"] = "private_key_jwt"
    config["MOCK_CLIENT_KEY"] = client_key
    return config


def test_a_starlette_app_with_private_key_jwt_from_the_config_logs_in(
    jwt_server: MockOAuthServer,
) -> None:
    app = Starlette()
    config = config_for(jwt_server, json.dumps(KEY.as_dict(private=True)))
    auth = FletAuth(app, secret_key="test-secret", store=AsyncMemoryStore(), config=config)
    auth.register("mock")
    with TestClient(app, follow_redirects=False) as client:
        start = client.get("/login/mock")
        assert start.status_code == 302, start.text
        redirect = jwt_server.authorize(start.headers["location"], user="alice")
        done = client.get("/login/mock/callback", params=redirect)
        assert done.status_code == 302, done.text
    sent = jwt_server.last_token_request()
    assert sent is not None and sent["client_assertion_type"] == ASSERTION_TYPE
    assert jwt_server.count("client_assertion.refused") == 0


def test_a_bad_client_key_in_the_config_is_refused_at_register_naming_the_setting(
    jwt_server: MockOAuthServer,
) -> None:
    bad = json.dumps({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "c2VjcmV0LWQ"})
    config = config_for(jwt_server, bad)
    auth = FletAuth(Starlette(), secret_key="test-secret", store=AsyncMemoryStore(), config=config)
    with pytest.raises(ConfigurationError, match="MOCK_CLIENT_KEY") as refused:
        auth.register("mock")
    assert "c2VjcmV0" not in str(refused.value)
