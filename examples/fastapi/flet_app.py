"""A Flet web app mounted in a FastAPI app, behind `flet_auth.starlette`'s login.

FastAPI serves the login (`/login/authgear`, its callback, `POST /logout`) and a home page;
the Flet app lives under `/app/`, and only a logged-in browser gets its page or its
websocket: others are sent to the login, which brings them back to `/app/`. The Flet
session's `main` reads who logged in from `current_user()`.

Try it at once against the bundled local provider::

    python examples/fastapi/flet_app.py        # then open http://localhost:3000/app/

With a real provider, the same settings as examples/fastapi/app.py (`AUTHGEAR_CLIENT_ID`,
`AUTHGEAR_CLIENT_SECRET`, `AUTHGEAR_SERVER_METADATA_URL`, `APP_SECRET_KEY`; register
`http://localhost:3000/login/authgear/callback` as the redirect URI).
"""

import contextvars
import secrets
from html import escape
from os import environ as env
from typing import Optional
from urllib.parse import urlencode

import flet as ft
import flet_web.fastapi as flet_fastapi
from fastapi import Depends
from fastapi.responses import HTMLResponse
from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from flet_auth.starlette import FletAuth, Login
from flet_auth.user import User

app = flet_fastapi.FastAPI()  # FastAPI with the lifespan that runs Flet's sessions
auth = FletAuth(
    app,
    secret_key=env.get("APP_SECRET_KEY") or secrets.token_urlsafe(32),
    store=env.get("FLET_AUTH_STORE"),
)
auth.register(  # AUTHGEAR_CLIENT_ID, _CLIENT_SECRET, _SERVER_METADATA_URL from the environment
    "authgear", client_kwargs={"scope": env.get("AUTHGEAR_SCOPE", "openid offline_access")}
)

_USER: contextvars.ContextVar[Optional[User]] = contextvars.ContextVar("user", default=None)


def current_user() -> Optional[User]:
    """Who logged in, in the Flet session being served."""
    return _USER.get()


def behind_login(inner: ASGIApp) -> ASGIApp:
    """`inner`, served only to logged-in browsers: a page request without a login goes to the
    login (and comes back), a websocket without one is closed (code 1008, policy)."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await inner(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        login = await auth.current(connection)
        if login is None or login.user is None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            target = f"/login/authgear?{urlencode({'next': connection.url.path})}"
            await RedirectResponse(target, status_code=302)(scope, receive, send)
            return
        # Flet creates the session's tasks from this one: they see the user.
        token = _USER.set(login.user)
        try:
            await inner(scope, receive, send)
        finally:
            _USER.reset(token)

    return guarded


async def main(page: ft.Page) -> None:
    user = current_user()
    name = (user.get("name") or user.id) if user is not None else "nobody"
    page.title = "Flet behind flet-auth"
    page.add(
        ft.Text(f"Hello {name}!", size=24),
        ft.Text("Sign out from the home page."),
        ft.Button("Home", on_click=lambda _: page.launch_url("/", web_popup_window=False)),
    )


app.mount("/app", behind_login(flet_fastapi.app(main, no_cdn=True)))


@app.get("/", response_class=HTMLResponse)
async def home(login: Optional[Login] = Depends(auth.current)) -> str:
    if login is None or login.user is None:
        body = '<p><a id="login" href="/login/authgear?next=/app/">Log in to the Flet app</a></p>'
    else:
        body = (
            f'<p id="welcome">Logged in as {escape(str(login.user.get("name") or login.user.id))}'
            '</p><p><a id="open" href="/app/">Open the Flet app</a></p>'
            '<form method="post" action="/logout">'
            f'<input type="hidden" name="csrf_token" value="{escape(login.csrf_token)}">'
            '<button id="logout" type="submit">Logout</button></form>'
        )
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'


if __name__ == "__main__":
    import uvicorn

    if env.get("AUTHGEAR_CLIENT_ID"):
        uvicorn.run(app, host="localhost", port=3000)
    else:
        from flet_auth.testing import MockOAuthServer

        with MockOAuthServer(login_form=True) as server:
            env["AUTHGEAR_CLIENT_ID"] = server.client_id
            env["AUTHGEAR_CLIENT_SECRET"] = server.client_secret
            env["AUTHGEAR_SERVER_METADATA_URL"] = server.discovery_url
            print(f"Local provider at {server.url}; open http://localhost:3000/app/")
            uvicorn.run(app, host="localhost", port=3000)
