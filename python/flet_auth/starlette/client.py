"""`auth.<name>`: one registered provider, with the coroutines of Authlib's Starlette client,
`authorize_redirect(request, redirect_uri)` and `authorize_access_token(request)`."""

import logging
from collections.abc import Mapping
from typing import Any, Optional

from starlette.requests import Request
from starlette.responses import RedirectResponse

from flet_auth._core import AuthError, OAuthToken
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.starlette._app import (
    AppState,
    StarletteContext,
    reload_request_login,
    session_of,
)
from flet_auth.starlette._forms import redirect_values
from flet_auth.web.async_login_flow import complete_login_async, start_login_async
from flet_auth.web.clients import WebClient
from flet_auth.web.errors import StoreUnavailableError
from flet_auth.web.events import AuthEvent, Handlers, failure_event
from flet_auth.web.login_flow import CompletedLogin

__all__ = ["StarletteOAuthClient"]

logger = logging.getLogger("flet_auth.starlette")


class StarletteOAuthClient(WebClient):
    """One registered provider, `auth.<name>`: starts and completes logins (Authlib's names)."""

    def __init__(
        self,
        name: str,
        provider: Optional[OAuthProvider],
        settings: Mapping[str, Any],
        *,
        overwrite: bool,
        state: AppState,
        handlers: Handlers,
    ) -> None:
        super().__init__(
            name, provider, settings, overwrite=overwrite, context=StarletteContext(state)
        )
        self.state = state
        self.handlers = handlers

    async def authorize_redirect(
        self,
        request: Request,
        redirect_uri: Optional[str] = None,
        *,
        next_url: Optional[str] = None,
        **authorization_params: str,
    ) -> RedirectResponse:
        """Starts a login: remembers it server side and redirects the browser to the provider.

        `redirect_uri` is where the provider sends the browser back (default: the built-in
        `/login/{name}/callback`); that route calls `authorize_access_token(request)`.
        `next_url`, a same-site path, is where the built-in callback sends the browser after
        the login. Extra keywords become authorization parameters (`prompt="login"`).
        """
        session = session_of(request)
        uri = self.default_redirect_uri() if redirect_uri is None else str(redirect_uri)
        url = await start_login_async(
            self.state.logins,
            self,
            session,
            redirect_uri=uri,
            next_url=next_url,
            params=authorization_params,
        )
        return RedirectResponse(url, status_code=302)

    async def authorize_access_token(self, request: Request) -> OAuthToken:
        """Completes the login from the provider's redirect and returns the token.

        Checks `state` (single use, this browser's, not expired), exchanges the code (with the
        PKCE verifier; for OpenID Connect the ID token is verified and its `nonce` checked),
        loads the user, stores the login and gives the browser a new login id. `on_login`
        handlers run. Raises `StateMismatchError`, `OAuthError` (the provider's `error`, such
        as `access_denied`), `IDTokenError`, or the transport errors of the exchange.
        """
        try:
            done = await self.complete_login(request)
        except AuthError as e:
            if not isinstance(e, StoreUnavailableError):
                await self.handlers.fire_async(failure_event(self.name, e))
            raise
        await self.handlers.fire_async(AuthEvent(self.name, done.login.to_user()))
        return done.login.token

    async def complete_login(self, request: Request) -> CompletedLogin:
        """`authorize_access_token(request)` without the handlers: the login and the `next`
        path it was started with (what the built-in callback route needs)."""
        query = await redirect_values(request)
        done = await complete_login_async(self.state.logins, self, session_of(request), query)
        reload_request_login(request)
        logger.info("starlette: login with %s completed", self.name)
        return done
