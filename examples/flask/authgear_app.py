"""Authgear's Flask guide (OpenID Connect, `openid offline_access`), ported to flet-auth.

The routes are the guide's: `/login` redirects to the provider, `/callback` completes the
login, `/` shows the user. Logout is flet-auth's `POST /logout` (with a CSRF token): it
revokes the tokens and ends the session at the provider's end_session endpoint. Tokens stay
on the server, encrypted; they are refreshed with the refresh token when they expire.

Try it at once against the bundled local provider::

    python examples/flask/authgear_app.py        # then open http://localhost:3000

With Authgear (redirect URI http://localhost:3000/callback)::

    export AUTHGEAR_CLIENT_ID=... AUTHGEAR_CLIENT_SECRET=... AUTHGEAR_DOMAIN=... \
           APP_SECRET_KEY=...
    gunicorn -w 3 -b localhost:3000 --chdir examples/flask authgear_app:app

`AUTHGEAR_SERVER_METADATA_URL` replaces the domain with any discovery document (the bundled
provider's, Keycloak's...), `AUTHGEAR_SCOPE` the scope, and `FLET_AUTH_STORE=redis://...`
shares logins between machines.
"""

import json
import secrets
from os import environ as env
from pathlib import Path

from flask import Flask, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from flet_auth import AuthError
from flet_auth.flask import FletAuth, current_auth, login_required

app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent / "instance"))
app.secret_key = env.get("APP_SECRET_KEY")
app.config["FLET_AUTH_STORE"] = env.get("FLET_AUTH_STORE")
app.config["FLET_AUTH_LOGIN_VIEW"] = "login"

auth = FletAuth(app)
auth.register(
    "authgear",
    client_id=env.get("AUTHGEAR_CLIENT_ID"),
    client_secret=env.get("AUTHGEAR_CLIENT_SECRET"),
    client_kwargs={"scope": env.get("AUTHGEAR_SCOPE", "openid offline_access")},
    server_metadata_url=env.get("AUTHGEAR_SERVER_METADATA_URL")
    or (
        env.get("AUTHGEAR_DOMAIN")
        and f"https://{env['AUTHGEAR_DOMAIN']}/.well-known/openid-configuration"
    ),
    revocation_endpoint=env.get("AUTHGEAR_REVOCATION_ENDPOINT"),
)


@app.route("/login")
def login() -> ResponseReturnValue:
    return auth.authgear.authorize_redirect(redirect_uri=url_for("callback", _external=True))


@app.route("/callback", methods=["GET", "POST"])
def callback() -> ResponseReturnValue:
    try:
        auth.authgear.authorize_access_token()
    except AuthError as e:
        return render_template("authgear_home.html", error=str(e)), 400
    return redirect("/")


@app.route("/")
def home() -> str:
    user = current_auth.user
    return render_template(
        "authgear_home.html",
        user=user,
        pretty=json.dumps(user, indent=4, sort_keys=True) if user is not None else "",
    )


@app.route("/profile")
@login_required
def profile() -> dict[str, object]:
    token = current_auth.get_token()
    user = current_auth.user
    assert token is not None and user is not None
    return {"sub": user.id, "name": user.get("name"), "expires_at": token.expires_at}


def run_with_local_provider() -> None:
    """Serves the app on localhost:3000 with the bundled provider standing in for Authgear."""
    from flet_auth.testing import MockOAuthServer

    with MockOAuthServer(login_form=True) as server:
        app.config.update(  # what register() was not given comes from the config
            AUTHGEAR_CLIENT_ID=server.client_id,
            AUTHGEAR_CLIENT_SECRET=server.client_secret,
            AUTHGEAR_SERVER_METADATA_URL=server.discovery_url,
            SECRET_KEY=app.secret_key or secrets.token_urlsafe(32),
        )
        print(f"Local provider at {server.url}; open http://localhost:3000")
        app.run(host="localhost", port=3000)


if __name__ == "__main__":
    if env.get("AUTHGEAR_CLIENT_ID"):
        app.run(host="localhost", port=3000)
    else:
        run_with_local_provider()
