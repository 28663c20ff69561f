"""The FastAPI apps of web_floor.py: the ceiling's endpoint with one piece of a login added
at a time. `FLOOR_STEP` chooses it:

- `none`: the ceiling of web_bench.py (no auth);
- `depends`: a FastAPI dependency that takes the request and does nothing;
- `middleware`: that dependency behind a pure ASGI middleware that does nothing;
- `cookie`: that dependency behind flet_auth.starlette's cookie middleware and routes
  (FletAuth set up, the login cookie sent, read and verified by the middleware);
- `login`: `Depends(auth.login_required)` and `await login.get_token()`, web_bench.py's ours.
"""

import os
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

STEP = os.environ.get("FLOOR_STEP", "none")
SECRET = "benchmark-secret-key-of-the-web-apps"

app = FastAPI()


@app.get("/")
async def root() -> dict[str, bool]:
    return {"ok": True}


class DoNothing:
    """A pure ASGI middleware that only passes the request on."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


async def nothing(request: Request) -> int:
    return 1


if STEP in ("cookie", "login"):
    from flet_auth.starlette import FletAuth, Login

    auth = FletAuth(app, secret_key=SECRET, store=os.environ["FLET_AUTH_STORE"])
    auth.register("mock")
if STEP == "middleware":
    app.add_middleware(DoNothing)

if STEP == "none":

    @app.get("/api/token")
    async def token_none() -> Response:
        return JSONResponse({"expires_at": 0})

elif STEP == "login":

    @app.get("/api/token")
    async def token_ours(login: Login = Depends(auth.login_required)) -> Response:
        token = await login.get_token()
        assert token is not None
        return JSONResponse({"expires_at": token.expires_at})

else:

    @app.get("/api/token")
    async def token_depends(_: int = Depends(nothing)) -> Response:
        return JSONResponse({"expires_at": 0})
