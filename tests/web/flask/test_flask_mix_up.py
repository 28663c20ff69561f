"""The Flask callback refuses a redirect whose `iss` is not the provider's (RFC 9207): the
built-in route goes through the web core's `complete_login`, which checks the whole query."""

from pathlib import Path
from typing import Any

from flask import Flask

from flask_apps.config import mock_client
from flet_auth.flask import FletAuth
from flet_auth.testing import MockOAuthServer


def app_for(tmp_path: Path, server: MockOAuthServer) -> Flask:
    app = Flask("flask_mix_up_test", instance_path=str(tmp_path / "instance"))
    app.testing = True
    app.config.update(
        SECRET_KEY="test-secret-key",
        MOCK_ISSUER=server.issuer,
        MOCK_AUTHORIZATION_RESPONSE_ISS_PARAMETER_SUPPORTED=True,
        **mock_client(server),
    )
    FletAuth(app).register("mock")
    return app


def callback(app: Flask, server: MockOAuthServer) -> Any:
    client = app.test_client()
    start = client.get("/login/mock")
    assert start.status_code == 302 and start.location is not None
    return client.get("/login/mock/callback", query_string=server.authorize(start.location))


def test_the_callback_accepts_the_provider_s_iss(tmp_path: Path, server: MockOAuthServer) -> None:
    assert callback(app_for(tmp_path, server), server).status_code == 302


def test_the_callback_refuses_a_wrong_iss_before_any_token_request(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app = app_for(tmp_path, server)
    server.forge_iss("wrong")
    answer = callback(app, server)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert "iss" in answer.get_data(as_text=True)
    assert server.count("token") == 0
