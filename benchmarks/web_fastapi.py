"""The FastAPI app of the web benchmark (web_bench.py), under uvicorn --workers 3.

`BENCH_KIND` chooses it: `ours` (flet_auth.starlette, logins in Redis), `authlib` (Authlib's
Starlette client, the token in the session cookie: its normal use) or `none` (no auth: the
ceiling). Each has `GET /api/token`, a protected endpoint that gets a usable token on every
request (refreshing it when it is due) and answers a small JSON.
"""

import os
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

KIND = os.environ.get("BENCH_KIND", "none")
SECRET = "benchmark-secret-key-of-the-web-apps"

app = FastAPI()


@app.get("/")
async def root() -> dict[str, bool]:
    return {"ok": True}


if KIND == "ours":
    from flet_auth.starlette import FletAuth, Login

    auth = FletAuth(app, secret_key=SECRET, store=os.environ["FLET_AUTH_STORE"])
    auth.register("mock")  # MOCK_CLIENT_ID, MOCK_AUTHORIZE_URL... from the environment

    @app.get("/api/token")
    async def token_ours(login: Login = Depends(auth.login_required)) -> Response:
        token = await login.get_token()
        assert token is not None
        return JSONResponse({"expires_at": token.expires_at})

elif KIND == "authlib":
    from authlib.integrations.starlette_client import OAuth
    from authlib.oauth2.rfc6749 import OAuth2Token
    from starlette.middleware.sessions import SessionMiddleware

    app.add_middleware(SessionMiddleware, secret_key=SECRET)
    oauth = OAuth()
    oauth.register(
        "mock",
        client_id=os.environ["MOCK_CLIENT_ID"],
        client_secret=os.environ["MOCK_CLIENT_SECRET"],
        authorize_url=os.environ["MOCK_AUTHORIZE_URL"],
        access_token_url=os.environ["MOCK_ACCESS_TOKEN_URL"],
        client_kwargs={"scope": "profile email", "code_challenge_method": "S256"},
    )

    @app.get("/login")
    async def login_authlib(request: Request) -> Response:
        return await oauth.mock.authorize_redirect(request, str(request.url_for("callback")))

    @app.get("/callback")
    async def callback(request: Request) -> dict[str, bool]:
        token = await oauth.mock.authorize_access_token(request)
        request.session["token"] = dict(token)
        return {"ok": True}

    @app.get("/api/token")
    async def token_authlib(request: Request) -> Response:
        data = request.session.get("token")
        if not data:
            return JSONResponse({"error": "login_required"}, 401)
        token = OAuth2Token(data)
        if token.is_expired(leeway=60):  # what the engine's needs_refresh() does
            async with oauth.mock._get_oauth_client() as client:
                token = await client.refresh_token(
                    oauth.mock.access_token_url, refresh_token=token["refresh_token"]
                )
            request.session["token"] = dict(token)
        return JSONResponse({"expires_at": token["expires_at"]})

else:

    @app.get("/api/token")
    async def token_none() -> Response:
        return JSONResponse({"expires_at": 0})


_PID = str(os.getpid()).encode()
_app = app


async def app_with_pid(scope: Any, receive: Any, send: Any) -> None:
    """The app, its answers saying which worker served them (`X-Worker-Pid`)."""

    async def send_pid(message: Any) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"x-worker-pid", _PID)]
        await send(message)

    await _app(scope, receive, send_pid if scope["type"] == "http" else send)
