"""Authgear's Flask guide (OpenID Connect, `openid offline_access`), in FastAPI with
`flet_auth.starlette`: async from end to end, tokens server side, one refresh for all workers.

The routes are the guide's: `/login` redirects to the provider, `/callback` completes the
login, `/` shows the user, `/profile` needs a login (401 JSON for API clients). Logout is
flet-auth's `POST /logout` (with a CSRF token): it revokes the tokens and ends the session at
the provider.

Try it at once against the bundled local provider::

    python examples/fastapi/app.py        # then open http://localhost:3000

With Authgear (redirect URI http://localhost:3000/callback)::

    export AUTHGEAR_CLIENT_ID=... AUTHGEAR_CLIENT_SECRET=... AUTHGEAR_DOMAIN=... \
           APP_SECRET_KEY=...
    uvicorn --workers 3 --port 3000 --app-dir examples/fastapi app:app

`AUTHGEAR_SERVER_METADATA_URL` replaces the domain with any discovery document (the bundled
provider's, Keycloak's...), `AUTHGEAR_SCOPE` the scope, and `FLET_AUTH_STORE=redis://...`
shares logins between machines. Several workers need one `APP_SECRET_KEY`.
"""

import json
import secrets
from html import escape
from os import environ as env
from typing import Any, Optional

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from flet_auth import AuthError
from flet_auth.starlette import FletAuth, Login

app = FastAPI()
auth = FletAuth(
    app,
    secret_key=env.get("APP_SECRET_KEY") or secrets.token_urlsafe(32),
    store=env.get("FLET_AUTH_STORE"),
    login_url="/login",
)
auth.register(  # AUTHGEAR_CLIENT_ID and AUTHGEAR_CLIENT_SECRET come from the environment
    "authgear",
    client_kwargs={"scope": env.get("AUTHGEAR_SCOPE", "openid offline_access")},
    server_metadata_url=env.get("AUTHGEAR_SERVER_METADATA_URL")
    or (
        env.get("AUTHGEAR_DOMAIN")
        and f"https://{env['AUTHGEAR_DOMAIN']}/.well-known/openid-configuration"
    ),
    revocation_endpoint=env.get("AUTHGEAR_REVOCATION_ENDPOINT"),
)


def page(login: Optional[Login], error: str = "") -> str:
    """The home page: the user's claims and a logout form, or a login link."""
    body = f'<p id="error">Sign-in failed: {escape(error)}</p>' if error else ""
    user = login.user if login is not None else None
    if login is not None and user is not None:
        name = user.get("name") or user.get("preferred_username") or user.id
        claims = json.dumps(user, indent=4, sort_keys=True)
        body += (
            f'<h1 id="welcome">Welcome {escape(str(name))}!</h1>'
            '<form method="post" action="/logout">'
            f'<input type="hidden" name="csrf_token" value="{escape(login.csrf_token)}">'
            '<button id="logout" type="submit">Logout</button></form>'
            f'<div><pre id="claims">{escape(claims)}</pre></div>'
        )
    else:
        body += '<h1 id="welcome">Welcome Guest</h1><p><a href="/login" id="login">Login</a></p>'
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>Authgear FastAPI Login Example</title></head><body>{body}</body></html>"
    )


@app.get("/login")
async def login(request: Request) -> Response:
    return await auth.authgear.authorize_redirect(request, str(request.url_for("callback")))


@app.api_route("/callback", methods=["GET", "POST"])
async def callback(request: Request) -> Response:
    try:
        await auth.authgear.authorize_access_token(request)
    except AuthError as e:
        return HTMLResponse(page(None, str(e)), 400)
    return RedirectResponse("/", 302)


@app.get("/", response_class=HTMLResponse)
async def home(login: Optional[Login] = Depends(auth.current)) -> str:
    return page(login)


@app.get("/profile")
async def profile(login: Login = Depends(auth.login_required)) -> dict[str, Any]:
    token = await login.get_token()
    user = login.user
    assert token is not None and user is not None
    return {"sub": user.id, "name": user.get("name"), "expires_at": token.expires_at}


def run_with_local_provider() -> None:
    """Serves the app on localhost:3000 with the bundled provider standing in for Authgear."""
    import uvicorn

    from flet_auth.testing import MockOAuthServer

    with MockOAuthServer(login_form=True) as server:
        # What register() was not given is read from the environment when first needed.
        env["AUTHGEAR_CLIENT_ID"] = server.client_id
        env["AUTHGEAR_CLIENT_SECRET"] = server.client_secret
        env["AUTHGEAR_SERVER_METADATA_URL"] = server.discovery_url
        print(f"Local provider at {server.url}; open http://localhost:3000")
        uvicorn.run(app, host="localhost", port=3000)


if __name__ == "__main__":
    if env.get("AUTHGEAR_CLIENT_ID"):
        import uvicorn

        uvicorn.run(app, host="localhost", port=3000)
    else:
        run_with_local_provider()
