"""Login for Flask apps, with Authlib's names, that keeps working with several workers.

Example::

    from flask import Flask
    from flet_auth.flask import FletAuth, current_auth, login_required

    app = Flask(__name__)
    app.config.from_prefixed_env()   # FLASK_SECRET_KEY, FLASK_GITHUB_CLIENT_ID, ...
    auth = FletAuth(app)
    auth.register("github")          # GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET from the config

    @app.get("/")
    @login_required
    def home():
        return f"Hello {current_auth.user['login']}"

Routes come with it: `GET /login/<name>?next=/page`, the redirect endpoint
`/login/<name>/callback` and `POST /logout` (with `csrf_token`). Apps that write their own
routes call `auth.<name>.authorize_redirect(redirect_uri)` and
`auth.<name>.authorize_access_token()`, as with Authlib.

Tokens and users live server side, encrypted with `flet_auth.security` (key: `SECRET_KEY`, or
`FLET_AUTH_SECRET_KEY`), under an opaque id kept in Flask's signed session cookie: in a SQLite
file in the app's instance folder, or in Redis with `FLET_AUTH_STORE = "redis://..."`. A token
refreshed by one worker is seen by all, and when many requests find it expired at once a short
lock in the store lets exactly one of them refresh it while the others wait for the new one.

The logic is framework-neutral, in `flet_auth.web`; this package is its Flask face.
"""

from flet_auth.flask.client import FlaskOAuthClient
from flet_auth.flask.current import CurrentAuth, current_auth, login_required
from flet_auth.flask.extension import FletAuth
from flet_auth.web.errors import StoreUnavailableError
from flet_auth.web.events import AuthEvent
from flet_auth.web.redirects import safe_next

__all__ = [
    "AuthEvent",
    "CurrentAuth",
    "FlaskOAuthClient",
    "FletAuth",
    "StoreUnavailableError",
    "current_auth",
    "login_required",
    "safe_next",
]
