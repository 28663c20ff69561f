"""Test-only additions to a FastAPI example app: the worker's pid and the state of its login
cache on every response, and a route that tells which access token the request used (a
digest, never the token)."""

import hashlib
import os
from typing import Any

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flask_apps.instrument import cache_state
from flet_auth.starlette import FletAuth, Login


def instrument(app: FastAPI, auth: FletAuth) -> ASGIApp:
    """`app` with `GET /_test/token`, wrapped so that every answer says `X-Worker-Pid` and
    `X-Login-Cache` (see `cache_state`)."""

    @app.get("/_test/token")
    async def token_digest(login: Login = Depends(auth.login_required)) -> dict[str, Any]:
        token = await login.get_token()
        assert token is not None
        digest = hashlib.sha256(token.access_token.encode()).hexdigest()[:16]
        return {"digest": digest, "expires_at": token.expires_at}

    pid = str(os.getpid()).encode()

    async def with_pid(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_pid(message: Message) -> None:
            if message["type"] == "http.response.start":
                cache = cache_state(auth._state.logins.cache).encode()
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-worker-pid", pid),
                    (b"x-login-cache", cache),
                ]
            await send(message)

        await app(scope, receive, send_pid if scope["type"] == "http" else send)

    return with_pid
