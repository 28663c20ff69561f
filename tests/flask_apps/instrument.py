"""Test-only additions to an example app: the worker's pid and the state of its login cache
on every response, and a route that tells which access token the request used (a digest,
never the token)."""

import hashlib
import os
from typing import Optional

from flask import Flask, Response

from flet_auth.flask import current_auth, login_required
from flet_auth.flask._app import EXTENSION
from flet_auth.web.login_cache import LoginCache


def cache_state(cache: Optional[LoginCache]) -> str:
    """`live copies`: whether the worker's change feed is subscribed, and how many logins it
    holds copies of (`off 0` for a store without a cache)."""
    if cache is None:
        return "off 0"
    return f"{'live' if cache.live else 'down'} {len(cache)}"


def instrument(app: Flask) -> Flask:
    """Adds the `X-Worker-Pid` and `X-Login-Cache` headers and `GET /_test/token` to `app`."""

    @app.after_request
    def worker_pid(response: Response) -> Response:
        response.headers["X-Worker-Pid"] = str(os.getpid())
        response.headers["X-Login-Cache"] = cache_state(app.extensions[EXTENSION].logins.cache)
        return response

    @app.get("/_test/token")
    @login_required
    def token_digest() -> dict[str, object]:
        token = current_auth.get_token()
        assert token is not None
        digest = hashlib.sha256(token.access_token.encode()).hexdigest()[:16]
        return {"digest": digest, "expires_at": token.expires_at}

    return app
