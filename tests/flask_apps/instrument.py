"""Two test-only additions to an example app: the worker's pid on every response, and a route
that tells which access token the request used (a digest, never the token)."""

import hashlib
import os

from flask import Flask, Response

from flet_auth.flask import current_auth, login_required


def instrument(app: Flask) -> Flask:
    """Adds the `X-Worker-Pid` header and `GET /_test/token` to `app`."""

    @app.after_request
    def worker_pid(response: Response) -> Response:
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    @app.get("/_test/token")
    @login_required
    def token_digest() -> dict[str, object]:
        token = current_auth.get_token()
        assert token is not None
        digest = hashlib.sha256(token.access_token.encode()).hexdigest()[:16]
        return {"digest": digest, "expires_at": token.expires_at}

    return app
