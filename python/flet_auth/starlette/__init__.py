"""Login for Starlette and FastAPI apps, async from end to end, that keeps working with
several workers.

Example::

    from fastapi import Depends, FastAPI
    from flet_auth.starlette import FletAuth, Login

    app = FastAPI()
    auth = FletAuth(app, secret_key=os.environ["APP_SECRET_KEY"])   # store: SQLite
    auth.register("github")    # GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET from the environment

    @app.get("/me")
    async def me(login: Login = Depends(auth.login_required)):
        token = await login.get_token()       # refreshed when due, once for all workers
        return {"user": login.user["login"]}

Routes come with it: `GET /login/{name}?next=/page`, the redirect endpoint
`/login/{name}/callback` and `POST /logout` (with `csrf_token`). Apps that write their own
routes await `auth.<name>.authorize_redirect(request, redirect_uri)` and
`auth.<name>.authorize_access_token(request)`, as with Authlib's Starlette client.

Tokens and users live server side, encrypted, in a SQLite file or Redis (`redis.asyncio`); the
browser holds a signed cookie with an opaque id only (no `SessionMiddleware` needed). No call
blocks the event loop: SQLite runs in worker threads, key derivation too. The logic is
framework-neutral, in `flet_auth.web`; this package is its Starlette face.
"""

from flet_auth.starlette.client import StarletteOAuthClient
from flet_auth.starlette.extension import FletAuth
from flet_auth.starlette.login import Login
from flet_auth.web.errors import StoreUnavailableError
from flet_auth.web.events import AuthEvent
from flet_auth.web.redirects import safe_next

__all__ = [
    "AuthEvent",
    "FletAuth",
    "Login",
    "StarletteOAuthClient",
    "StoreUnavailableError",
    "safe_next",
]
