"""A Flask login through a pushed authorization request (RFC 9126): `MOCK_USE_PAR` reaches the
provider through the settings, the login route pushes (sync), the browser is sent to a URL with
only `client_id` and `request_uri`, and the callback finishes the login."""

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from flask import Flask

from flask_apps.config import mock_client
from flet_auth.flask import FletAuth
from flet_auth.testing import MockOAuthServer


def app_for(tmp_path: Path, server: MockOAuthServer) -> Flask:
    app = Flask("flask_par_test", instance_path=str(tmp_path / "instance"))
    app.testing = True
    app.config.update(
        SECRET_KEY="test-secret-key",
        MOCK_USE_PAR=True,
        MOCK_PUSHED_AUTHORIZATION_REQUEST_ENDPOINT=server.pushed_authorization_request_endpoint,
        **mock_client(server),
    )
    FletAuth(app).register("mock")
    return app


def test_a_flask_login_goes_through_a_pushed_authorization_request(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    client = app_for(tmp_path, server).test_client()
    start = client.get("/login/mock")
    assert start.status_code == 302 and start.location is not None
    assert set(dict(parse_qsl(urlsplit(start.location).query))) == {"client_id", "request_uri"}
    pushed = server.last_par_request()
    assert pushed is not None and pushed["redirect_uri"].endswith("/login/mock/callback")
    done = client.get("/login/mock/callback", query_string=server.authorize(start.location))
    assert done.status_code == 302, done.get_data(as_text=True)
    assert server.count("par") == 1 and server.count("token.authorization_code") == 1
