"""`FletAuth`: the Starlette and FastAPI integration, its routes, dependencies and registry of
providers."""

import logging
from typing import Any, Callable, Optional, Union, cast
from urllib.parse import urlencode

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from flet_auth._core import AuthError, ConfigurationError
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.starlette._answers import (
    AnswerRaised,
    answer_raised,
    error_response,
    home,
    store_unavailable,
    wants_json,
)
from flet_auth.starlette._app import (
    CALLBACK_ROUTE,
    LOGIN_ROUTE,
    LOGOUT_ROUTE,
    AppState,
    request_login,
    session_of,
)
from flet_auth.starlette._config import AppConfig, ConfigSource
from flet_auth.starlette._cookie import SessionCookie, SessionCookieMiddleware
from flet_auth.starlette._forms import form_fields
from flet_auth.starlette.client import StarletteOAuthClient
from flet_auth.starlette.login import Login
from flet_auth.web.async_logout import log_out_async
from flet_auth.web.clients import check_registration
from flet_auth.web.errors import (
    CSRF_REFUSED,
    LOGIN_REQUIRED,
    PROVIDER_UNAVAILABLE,
    PROVIDER_UNREACHABLE,
    StoreUnavailableError,
    login_failure,
)
from flet_auth.web.events import AuthEvent, Handlers, failure_event
from flet_auth.web.redirect_host import warn_unpinned_redirect_host
from flet_auth.web.redirects import request_path, safe_next
from flet_auth.web.session import csrf_valid
from flet_auth.web.settings import open_async_logins
from flet_auth.web.stores.protocol import AsyncTokenStore, TokenStore

__all__ = ["FletAuth"]

logger = logging.getLogger("flet_auth.starlette")

Handler = Callable[[AuthEvent], Any]
"""An `on_login` / `on_logout` handler, sync or async; it may return a response."""
DEFAULT_STORE_PATH = "flet_auth.sqlite3"
"""The SQLite file of the default store, in the working directory."""


class FletAuth:
    """Login for a Starlette or FastAPI app: `FletAuth(app, secret_key=...)`, or
    `auth = FletAuth(secret_key=...)` then `auth.init_app(app)`.

    `secret_key` encrypts the stored tokens and signs the cookie. `store` is an async or
    sync store object or a URL (`sqlite:////path`, `redis://...`), else `FLET_AUTH_STORE`
    from `config`, else a SQLite file in the working directory. `config` (a
    `starlette.config.Config`, a mapping, or None for the environment) holds the providers'
    `{NAME}_{SETTING}` keys and `FLET_AUTH_LOGIN_TTL`, `FLET_AUTH_KEY_PREFIX`. `url_prefix`
    prefixes the built-in routes; `login_url` is where `login_required` sends browsers
    (default: the first registered provider's login); `cookie_name`, `cookie_secure`
    (default: on https requests) set the login cookie.
    """

    def __init__(
        self,
        app: Any = None,
        *,
        secret_key: str,
        store: Union[AsyncTokenStore, TokenStore, str, None] = None,
        config: ConfigSource = None,
        url_prefix: str = "",
        login_url: Optional[str] = None,
        cookie_name: str = "flet_auth",
        cookie_secure: Optional[bool] = None,
    ) -> None:
        if not isinstance(secret_key, str) or not secret_key:
            raise ConfigurationError("FletAuth needs a secret_key: it encrypts the stored tokens")
        if not isinstance(url_prefix, str) or (url_prefix and not url_prefix.startswith("/")):
            raise ConfigurationError("the URL prefix must be empty or start with /")
        if login_url is not None and safe_next(login_url) is None:
            raise ConfigurationError("login_url must be a same-site path such as /login")
        settings = AppConfig(config)
        logins = open_async_logins(settings, store, DEFAULT_STORE_PATH, secret_key)
        self._clients: dict[str, StarletteOAuthClient] = {}
        self._state = AppState(settings, logins, self._clients)
        self._handlers = Handlers()
        self._prefix = url_prefix.rstrip("/")
        self._login_url = login_url
        self._cookie = SessionCookie(
            secret_key, name=cookie_name, max_age=logins.login_ttl, secure=cookie_secure
        )
        self._app: Any = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Any) -> None:
        """Sets the integration up on `app` (Starlette or FastAPI): the routes
        `GET /login/{name}`, `GET /login/{name}/callback` and `POST /logout`, the cookie
        middleware, and the answers to an unreachable store (503) and a refused request."""
        if not all(hasattr(app, a) for a in ("router", "add_middleware", "add_exception_handler")):
            raise ConfigurationError("init_app needs a Starlette or FastAPI app")
        if self._app is not None:
            raise ConfigurationError("this FletAuth is already set up on an app")
        try:
            app.add_middleware(SessionCookieMiddleware, cookie=self._cookie)
        except RuntimeError as e:  # the app has started serving
            raise ConfigurationError(f"call init_app before the app starts ({e})") from None
        p = self._prefix
        app.router.routes.extend(
            [
                Route(f"{p}/login/{{name}}", self._login_route, methods=["GET"], name=LOGIN_ROUTE),
                Route(
                    f"{p}/login/{{name}}/callback",
                    self._callback_route,
                    methods=["GET", "POST"],
                    name=CALLBACK_ROUTE,
                ),
                Route(f"{p}/logout", self._logout_route, methods=["POST"], name=LOGOUT_ROUTE),
            ]
        )
        app.add_exception_handler(StoreUnavailableError, store_unavailable)
        app.add_exception_handler(AnswerRaised, answer_raised)
        self._app = app

    def register(
        self,
        name: str,
        provider: Optional[OAuthProvider] = None,
        *,
        overwrite: bool = False,
        **settings: Any,
    ) -> StarletteOAuthClient:
        """Registers a provider as `auth.<name>`; returns its client.

        Give a provider object, or Authlib's settings as keywords or in the config as
        `{NAME}_{KEY}`: `CLIENT_ID`, `CLIENT_SECRET`, and `SERVER_METADATA_URL` (OpenID
        Connect), or `AUTHORIZE_URL`, `ACCESS_TOKEN_URL` and `USERINFO_ENDPOINT` (OAuth 2.0);
        the names github, google, azure and auth0 need only the client's credentials. Also
        `CLIENT_KWARGS`, `SCOPE`, `REVOCATION_ENDPOINT`, `END_SESSION_ENDPOINT`,
        `REDIRECT_URI`, `POST_LOGOUT_REDIRECT_URI`, `FETCH_USER`, `FETCH_GROUPS`, `TIMEOUT`...
        Keywords win over the config unless `overwrite=True`.
        """
        check_registration(type(self), self._clients, name, provider, settings)
        client = StarletteOAuthClient(
            name,
            provider,
            settings,
            overwrite=overwrite,
            state=self._state,
            handlers=self._handlers,
        )
        client.check_settings()
        self._clients[name] = client
        return client

    def __getattr__(self, name: str) -> StarletteOAuthClient:
        if not name.startswith("_"):
            client = self.__dict__.get("_clients", {}).get(name)
            if client is not None:
                return cast(StarletteOAuthClient, client)
        raise AttributeError(f"no provider named {name!r} is registered")

    def on_login(self, handler: Handler) -> Handler:
        """Decorator: `handler(event)` (sync or async) runs at the end of every login,
        successful (`event.error == ""`) or not. In the built-in routes a handler may return
        a response to send instead of the default one."""
        return self._handlers.add("login", handler)

    def on_logout(self, handler: Handler) -> Handler:
        """Decorator: `handler(event)` (sync or async) runs after a logout; `event.user` is
        who logged out, `event.revocation_error` why revoking the tokens failed (None when
        they were revoked or the provider has no revocation endpoint). In the built-in route a
        handler may return a response to send."""
        return self._handlers.add("logout", handler)

    # -- dependencies ------------------------------------------------------------------------

    async def current(self, request: HTTPConnection) -> Optional[Login]:
        """`Depends(auth.current)`: the login of the request's (or websocket's) browser, or
        None. Its token is not refreshed until `await login.get_token()`."""
        browser = request_login(self._state, request)
        return Login(browser) if await browser.load() is not None else None

    async def login_required(self, request: Request) -> Login:
        """`Depends(auth.login_required)`: the login of the request's browser with a usable
        token (refreshed here when it expires soon, once for all workers). Others get a 401
        JSON answer (API clients) or a redirect to the login (browsers)."""
        browser = request_login(self._state, request)
        try:
            token = await browser.get_token()
        except PROVIDER_UNREACHABLE as e:
            logger.warning("starlette: refreshing the token failed (%s)", type(e).__name__)
            raise AnswerRaised(error_response(request, PROVIDER_UNAVAILABLE)) from None
        if token is None:
            if wants_json(request):
                raise AnswerRaised(error_response(request, LOGIN_REQUIRED))
            raise AnswerRaised(RedirectResponse(self._login_redirect(request), status_code=302))
        return Login(browser)

    def _login_redirect(self, request: HTTPConnection) -> str:
        url = request.url  # its path has the root path in it already (ASGI, Starlette >= 0.35)
        next_url = request_path("", url.path, url.query)
        if self._login_url is not None:
            target = self._login_url
        elif self._clients:
            target = str(request.url_for(LOGIN_ROUTE, name=next(iter(self._clients))).path)
        else:
            raise ConfigurationError("no provider is registered: call auth.register(...)")
        separator = "&" if "?" in target else "?"
        return f"{target}{separator}{urlencode({'next': next_url})}"

    async def logout(
        self, request: Request, post_logout_redirect_uri: Optional[str] = None
    ) -> Optional[str]:
        """Logs the request's browser out: revokes the tokens at the provider (RFC 7009, when
        it has a revocation endpoint, its own or in RFC 8414 metadata), forgets the login and
        runs `on_logout` handlers (a failed revocation is their event's `revocation_error`).
        Returns the provider's end-session URL (OpenID Connect) to redirect to, or None."""
        return (await self._logout(request, post_logout_redirect_uri))[0]

    async def _logout(
        self, request: Request, post_logout_redirect_uri: Optional[str] = None
    ) -> tuple[Optional[str], Any]:
        root = str(request.base_url)
        done = await log_out_async(
            request_login(self._state, request), post_logout_redirect_uri, root
        )
        if done.login is None:
            return None, None
        logger.info("starlette: logout from %s", done.login.client)
        event = AuthEvent(
            done.login.client,
            done.login.to_user(),
            name="logout",
            revocation_error=done.revocation_error,
        )
        return done.end_session_url, await self._handlers.fire_async(event)

    # -- built-in routes ---------------------------------------------------------------------

    def _check_redirect_host(self) -> None:
        # Once: the first time a login starts whose redirect_uri follows the Host header.
        state = self._state
        if state.redirect_host_warned:
            return
        middleware = getattr(self._app, "user_middleware", [])
        if any(getattr(m, "cls", None) is TrustedHostMiddleware for m in middleware):
            return
        unpinned = [n for n, c in self._clients.items() if not c.setting("redirect_uri")]
        pins = ", ".join(f"{n.upper()}_REDIRECT_URI" for n in sorted(unpinned))
        how = f"{pins} or TrustedHostMiddleware (see the README's FastAPI section)"
        state.redirect_host_warned = warn_unpinned_redirect_host(unpinned, how)

    async def _login_route(self, request: Request) -> Response:
        client = self._clients.get(request.path_params["name"])
        if client is None:
            return PlainTextResponse("Not Found", 404)
        self._check_redirect_host()
        try:
            next_url = safe_next(request.query_params.get("next"))
            return await client.authorize_redirect(request, next_url=next_url)
        except PROVIDER_UNREACHABLE as e:  # the discovery document could not be fetched
            logger.warning(
                "starlette: login with %s cannot start (%s: %s)", client.name, type(e).__name__, e
            )
            return error_response(request, PROVIDER_UNAVAILABLE)

    async def _callback_route(self, request: Request) -> Response:
        name = request.path_params["name"]
        client = self._clients.get(name)
        if client is None:
            return PlainTextResponse("Not Found", 404)
        try:
            done = await client.complete_login(request)
        except (StoreUnavailableError, ConfigurationError):
            raise
        except AuthError as e:
            logger.info("starlette: login with %s failed (%s)", name, type(e).__name__)
            answer = await self._handlers.fire_async(failure_event(name, e))
            return answer if answer is not None else error_response(request, login_failure(e))
        answer = await self._handlers.fire_async(AuthEvent(name, done.login.to_user()))
        if answer is not None:
            return cast(Response, answer)
        return RedirectResponse(safe_next(done.next_url) or home(request), status_code=302)

    async def _logout_route(self, request: Request) -> Response:
        form = await form_fields(request)
        sent = form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        if not csrf_valid(session_of(request), sent):
            return error_response(request, CSRF_REFUSED)
        end_session, answer = await self._logout(request)
        if answer is not None:
            return cast(Response, answer)
        target = end_session or safe_next(form.get("next")) or home(request)
        return RedirectResponse(target, status_code=303)

    def __repr__(self) -> str:
        return f"FletAuth(providers={list(self._clients)!r})"
