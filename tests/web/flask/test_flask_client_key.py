"""A Flask app whose provider authenticates with `private_key_jwt`, the key in the config
(`MOCK_CLIENT_KEY`, a JWK as JSON text, as an environment variable holds it), logs in at the
bundled provider registered for that key; a bad key is refused when it is registered."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from joserfc.jwk import RSAKey

from flask_apps.config import mock_client
from flet_auth import ConfigurationError
from flet_auth.flask import FletAuth
from flet_auth.testing import MockOAuthServer

KEY = RSAKey.generate_key(2048, parameters={"kid": "flask-1"})
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def jwt_server() -> Iterator[MockOAuthServer]:
    jwks = {"keys": [KEY.as_dict(private=False)]}
    with MockOAuthServer(token_endpoint_auth_method="private_key_jwt", client_jwks=jwks) as s:
        yield s


def app_for(tmp_path: Path, server: MockOAuthServer, client_key: object) -> Flask:
    app = Flask("flask_client_key_test", instance_path=str(tmp_path / "instance"))
    app.testing = True
    config = mock_client(server)
    del config["MOCK_CLIENT_SECRET"]
    app.config.update(
        SECRET_KEY="test-secret-key",
        MOCK_TOKEN_ENDPOINT_AUTH_METHOD="private_key_jwt",
        MOCK_CLIENT_KEY=client_key,
        **config,
    )
    return app


def test_a_flask_app_with_private_key_jwt_from_the_config_logs_in(
    tmp_path: Path, jwt_server: MockOAuthServer
) -> None:
    app = app_for(tmp_path, jwt_server, json.dumps(KEY.as_dict(private=True)))
    FletAuth(app).register("mock")
    client = app.test_client()
    start = client.get("/login/mock")
    assert start.status_code == 302 and start.location is not None
    redirect = jwt_server.authorize(start.location, user="alice")
    done = client.get("/login/mock/callback", query_string=redirect)
    assert done.status_code == 302, done.get_data(as_text=True)
    sent = jwt_server.last_token_request()
    assert sent is not None and sent["client_assertion_type"] == ASSERTION_TYPE
    assert jwt_server.count("client_assertion.refused") == 0


def test_a_bad_client_key_in_the_config_is_refused_at_register_naming_the_setting(
    tmp_path: Path, jwt_server: MockOAuthServer
) -> None:
    bad = json.dumps({"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "c2VjcmV0LWQ"})
    auth = FletAuth(app_for(tmp_path, jwt_server, bad))
    with pytest.raises(ConfigurationError, match="MOCK_CLIENT_KEY") as refused:
        auth.register("mock")
    assert "c2VjcmV0" not in str(refused.value)
    with pytest.raises(AttributeError):
        auth.mock  # noqa: B018 - the refused provider is not registered


def test_a_bad_client_key_is_refused_at_init_app_when_registered_before(
    tmp_path: Path, jwt_server: MockOAuthServer
) -> None:
    auth = FletAuth()
    auth.register("mock")
    with pytest.raises(ConfigurationError, match="MOCK_CLIENT_KEY"):
        auth.init_app(app_for(tmp_path, jwt_server, "not a key"))
