"""`current_auth` and `@login_required`: the login of the request, refreshed once for all
workers when it expires."""

import functools
import logging
from typing import Any, Callable, Optional, TypeVar, cast

from flask import current_app, has_request_context, redirect, request, session, url_for

import flet_auth.web.session as browser_session
from flet_auth._core import ConfigurationError, OAuthToken
from flet_auth.flask._answers import error_response, wants_json
from flet_auth.flask._app import (
    EXTENSION,
    AppState,
    app_state,
    request_app_state,
    request_login,
)
from flet_auth.user import User
from flet_auth.web.errors import LOGIN_REQUIRED, PROVIDER_UNAVAILABLE, PROVIDER_UNREACHABLE
from flet_auth.web.redirects import request_path

__all__ = ["CurrentAuth", "current_auth", "login_required"]

logger = logging.getLogger("flet_auth.flask")

F = TypeVar("F", bound=Callable[..., Any])


class CurrentAuth:
    """The login of the request being handled: use the instance `current_auth` (in
    templates too). Outside a request its members raise RuntimeError."""

    @property
    def is_authenticated(self) -> bool:
        """Whether someone is logged in (their token may still need a refresh)."""
        return request_login().is_authenticated

    @property
    def provider(self) -> Optional[str]:
        """The registered name of the provider the user logged in with."""
        return request_login().provider

    @property
    def user(self) -> Optional[User]:
        """The logged-in user (`user.id`, the provider's fields, `user.groups`), or None."""
        return request_login().user

    @property
    def csrf_token(self) -> str:
        """The value a form must send as `csrf_token` (or header `X-CSRF-Token`) to log out."""
        request_app_state()
        return browser_session.csrf_token(session)  # from the session: the store is not needed

    def get_token(self) -> Optional[OAuthToken]:
        """The access token, refreshed first when it expires within 60 s; None when nobody is
        logged in or the provider refused the refresh (the login is then forgotten).

        Of all requests (in all workers) that find the token expired at once, one refreshes
        it under a lock in the store; the others wait for it and use the new token.
        """
        return request_login().get_token()

    def __repr__(self) -> str:
        if not has_request_context():
            return "CurrentAuth(unbound)"
        return f"CurrentAuth(provider={request_login().provider!r})"


current_auth = CurrentAuth()
"""The login of the request being handled."""


def login_url(state: AppState) -> str:
    """Where `login_required` sends browsers: `FLET_AUTH_LOGIN_VIEW`, else the first
    registered provider's login, with this request's path as `next`."""
    view = current_app.config.get("FLET_AUTH_LOGIN_VIEW")
    query = request.query_string.decode()
    next_url = request_path(request.script_root, request.path, query)
    if view:
        return url_for(view, next=next_url)
    if not state.clients:
        raise ConfigurationError("no provider is registered: call auth.register(...)")
    first = next(iter(state.clients))
    return url_for(f"{EXTENSION}.login", name=first, next=next_url)


def login_required(view: F) -> F:
    """Decorator for views that need a logged-in user with a usable token (refreshed here
    when it expires soon). Others get a redirect to the login (pages) or a 401 JSON answer
    (requests that accept JSON rather than HTML)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            token = request_login().get_token()
        except PROVIDER_UNREACHABLE as e:
            logger.warning("flask: refreshing the token failed (%s)", type(e).__name__)
            return error_response(PROVIDER_UNAVAILABLE)
        if token is None:
            if wants_json():
                return error_response(LOGIN_REQUIRED)
            return redirect(login_url(app_state()), code=302)
        return current_app.ensure_sync(view)(*args, **kwargs)

    return cast(F, wrapper)
