"""The Flask app of the web benchmark (web_bench.py), under gunicorn with 3 workers.

`BENCH_KIND` chooses it, as in web_fastapi.py: `ours` (flet_auth.flask, logins in Redis),
`authlib` (Authlib's Flask client, the token in Flask's session cookie) or `none`. Each has
`GET /api/token`, which gets a usable token on every request (refreshing it when due).
"""

import json
import os
from typing import Any

from flask import Flask, Response, jsonify, session, url_for

KIND = os.environ.get("BENCH_KIND", "none")
SECRET = "benchmark-secret-key-of-the-web-apps"

app = Flask(__name__)
app.secret_key = SECRET


@app.get("/")
def root() -> dict[str, bool]:
    return {"ok": True}


@app.after_request
def worker_pid(response: Response) -> Response:
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response


if KIND == "ours":
    from flet_auth.flask import FletAuth, current_auth, login_required

    app.config.update(
        {k: v for k, v in os.environ.items() if k.startswith("MOCK_")},
        MOCK_CLIENT_KWARGS=json.loads(os.environ["MOCK_CLIENT_KWARGS"]),
        FLET_AUTH_STORE=os.environ["FLET_AUTH_STORE"],
    )
    auth = FletAuth(app)
    auth.register("mock")

    @app.get("/api/token")
    @login_required
    def token_ours() -> dict[str, Any]:
        token = current_auth.get_token()
        assert token is not None
        return {"expires_at": token.expires_at}

elif KIND == "authlib":
    from authlib.integrations.flask_client import OAuth
    from authlib.oauth2.rfc6749 import OAuth2Token

    oauth = OAuth(app)
    oauth.register(
        "mock",
        client_id=os.environ["MOCK_CLIENT_ID"],
        client_secret=os.environ["MOCK_CLIENT_SECRET"],
        authorize_url=os.environ["MOCK_AUTHORIZE_URL"],
        access_token_url=os.environ["MOCK_ACCESS_TOKEN_URL"],
        client_kwargs={"scope": "profile email", "code_challenge_method": "S256"},
    )

    @app.get("/login")
    def login_authlib() -> Any:
        return oauth.mock.authorize_redirect(url_for("callback", _external=True))

    @app.get("/callback")
    def callback() -> dict[str, bool]:
        session["token"] = dict(oauth.mock.authorize_access_token())
        return {"ok": True}

    @app.get("/api/token")
    def token_authlib() -> Any:
        data = session.get("token")
        if not data:
            return jsonify(error="login_required"), 401
        token = OAuth2Token(data)
        if token.is_expired(leeway=60):
            with oauth.mock._get_oauth_client() as client:
                token = client.refresh_token(
                    oauth.mock.access_token_url, refresh_token=token["refresh_token"]
                )
            session["token"] = dict(token)
        return jsonify(expires_at=token["expires_at"])

else:

    @app.get("/api/token")
    def token_none() -> dict[str, Any]:
        return {"expires_at": 0}
