"""`auth.<name>`: one registered provider, with Authlib's `authorize_redirect` and
`authorize_access_token`."""

import logging
from collections.abc import Mapping
from typing import Any, Optional

from flask import redirect, request, session
from werkzeug.wrappers import Response as BaseResponse

from flet_auth._core import AuthError, OAuthToken
from flet_auth.flask._app import (
    FlaskContext,
    app_state,
    reload_request_login,
    session_regenerator,
)
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.web.clients import WebClient
from flet_auth.web.errors import StoreUnavailableError
from flet_auth.web.events import AuthEvent, Handlers, failure_event
from flet_auth.web.login_flow import CompletedLogin, complete_login, start_login

__all__ = ["FlaskOAuthClient"]

logger = logging.getLogger("flet_auth.flask")


class FlaskOAuthClient(WebClient):
    """One registered provider, `auth.<name>`: starts and completes logins (Authlib's names)."""

    def __init__(
        self,
        name: str,
        provider: Optional[OAuthProvider],
        settings: Mapping[str, Any],
        *,
        overwrite: bool,
        handlers: Handlers,
    ) -> None:
        super().__init__(name, provider, settings, overwrite=overwrite, context=FlaskContext())
        self.handlers = handlers

    def authorize_redirect(
        self,
        redirect_uri: Optional[str] = None,
        *,
        next_url: Optional[str] = None,
        **authorization_params: str,
    ) -> BaseResponse:
        """Starts a login: remembers it server side and redirects the browser to the provider.

        `redirect_uri` is where the provider sends the browser back (default: the built-in
        `/login/<name>/callback`); that route calls `authorize_access_token()`. `next_url`, a
        same-site path, is where the built-in callback sends the browser after the login.
        Extra keywords become authorization parameters (`prompt="login"`, say).
        """
        uri = self.default_redirect_uri() if redirect_uri is None else str(redirect_uri)
        url = start_login(
            app_state().logins,  # first, so that a missing secret key is named as such
            self,
            session,
            redirect_uri=uri,
            next_url=next_url,
            params=authorization_params,
        )
        return redirect(url, code=302)

    def authorize_access_token(self) -> OAuthToken:
        """Completes the login from the provider's redirect and returns the token.

        Checks `state` (single use, this browser's, not expired) and `iss` (RFC 9207),
        exchanges the code (with the PKCE verifier; for OpenID Connect the ID token is verified
        and its `nonce` checked), loads the user, stores the login and rotates the session's
        login id. `on_login` handlers run. Raises `StateMismatchError`, `IssuerMismatchError`,
        `OAuthError` (the provider's `error`, such as `access_denied`), `IDTokenError`, or the
        transport errors of the exchange.
        """
        try:
            done = self.complete_login()
        except AuthError as e:
            if not isinstance(e, StoreUnavailableError):
                self.handlers.fire(failure_event(self.name, e))
            raise
        self.handlers.fire(AuthEvent(self.name, done.login.to_user()))
        return done.login.token

    def complete_login(self) -> CompletedLogin:
        """`authorize_access_token()` without the handlers: the login and the `next` path
        it was started with (what the built-in callback route needs)."""
        done = complete_login(
            app_state().logins, self, session, request.values, session_regenerator()
        )
        reload_request_login()
        logger.info("flask: login with %s completed", self.name)
        return done
