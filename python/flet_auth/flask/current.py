"""`current_auth` and `@login_required`: the login of the request, refreshed once for all
workers when it expires."""

import functools
import secrets
import time
from dataclasses import replace
from typing import Any, Optional, cast

from flask import (
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    session,
)

from flet_auth._core import (
    IDTokenError,
    OAuthError,
    OAuthToken,
)
from flet_auth._core import TimeoutError as AuthTimeoutError
from flet_auth.flask._common import (
    _LOCK_ROUNDS,
    _PROVIDER_UNREACHABLE,
    _SESSION_CSRF,
    _SESSION_LOGIN,
    REFRESH_LEEWAY,
    F,
    _app_state,
    _AppState,
    _provider_unavailable,
    _wants_json,
    logger,
)
from flet_auth.flask.client import FlaskOAuthClient
from flet_auth.flask.store import (
    LoginStore,
    StoredLogin,
)
from flet_auth.user import User


class _RequestAuth:
    """The login of one request (kept in `flask.g`); `current_auth` forwards to it."""

    def __init__(self, state: _AppState) -> None:
        self._state = state
        self._loaded = False
        self._login: Optional[StoredLogin] = None
        self._login_id: Optional[str] = None

    def _load(self) -> Optional[StoredLogin]:
        if not self._loaded:
            self._loaded = True
            login_id = session.get(_SESSION_LOGIN)
            if isinstance(login_id, str):
                self._login_id = login_id
                self._login = self._state.logins.read(login_id)
                if self._login is None:
                    session.pop(_SESSION_LOGIN, None)
        return self._login

    @property
    def is_authenticated(self) -> bool:
        return self._load() is not None

    @property
    def provider(self) -> Optional[str]:
        login = self._load()
        return login.client if login is not None else None

    @property
    def user(self) -> Optional[User]:
        login = self._load()
        return login.to_user() if login is not None else None

    @property
    def csrf_token(self) -> str:
        token = session.get(_SESSION_CSRF)
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            session[_SESSION_CSRF] = token
        return token

    def get_token(self) -> Optional[OAuthToken]:
        # The lock: whoever takes it re-reads the login (another worker may have refreshed it
        # meanwhile) and refreshes only if it still must; the others wait for the lock to go,
        # then re-read the login and use the token the holder stored.
        login = self._load()
        if login is None or self._login_id is None:
            return None
        if login.needs_refresh(REFRESH_LEEWAY):
            return self._refresh(login, self._login_id)
        if login.expired_for_good():
            self._forget(self._login_id)
            return None
        return login.token

    def _reload(self, login_id: str) -> Optional[StoredLogin]:
        self._login = self._state.logins.read(login_id)
        return self._login

    def _refresh(self, login: StoredLogin, login_id: str) -> Optional[OAuthToken]:
        client = self._state.ext._clients.get(login.client)
        if client is None:
            self._forget(login_id)
            return None
        logins = self._state.logins
        owner = secrets.token_hex(16)
        ttl = client.lock_ttl
        deadline = time.monotonic() + ttl + 5.0
        for _ in range(_LOCK_ROUNDS):
            if logins.acquire(login_id, owner, ttl):
                try:
                    fresh = self._reload(login_id)
                    if fresh is None:
                        return None
                    if not fresh.needs_refresh(REFRESH_LEEWAY):
                        return fresh.token
                    return self._refresh_locked(client, fresh, login_id)
                finally:
                    logins.release(login_id, owner)
            _wait_unlocked(logins, login_id, deadline)
            fresh = self._reload(login_id)
            if fresh is None:
                return None
            if not fresh.needs_refresh(REFRESH_LEEWAY):
                return fresh.token
            if time.monotonic() >= deadline:
                break
        raise AuthTimeoutError(
            "the token is being refreshed by another request that did not finish"
        )

    def _refresh_locked(
        self, client: FlaskOAuthClient, login: StoredLogin, login_id: str
    ) -> Optional[OAuthToken]:
        written: list[StoredLogin] = []

        def save(token: OAuthToken) -> None:
            new = replace(login, token_json=token.to_json())
            self._state.logins.write(login_id, new)
            written.append(new)

        service = client._service(on_token_update=save, load_user=False)
        try:
            service.dehydrate_token_sync(login.token_json)
        except (OAuthError, IDTokenError) as e:
            # The grant is gone (revoked, expired, reused) or the new ID token is not to be
            # trusted: the user must log in again.
            logger.info(
                "flask: the refresh was refused (%s); the login is forgotten", type(e).__name__
            )
            self._forget(login_id)
            return None
        if not written:
            return login.token
        self._login = written[-1]
        return self._login.token

    def _forget(self, login_id: str) -> None:
        self._state.logins.delete(login_id)
        session.pop(_SESSION_LOGIN, None)
        self._login = None

    def __repr__(self) -> str:
        return f"CurrentAuth(provider={self.provider!r})"


def _wait_unlocked(logins: LoginStore, login_id: str, deadline: float) -> None:
    delay = 0.01
    while time.monotonic() < deadline and logins.locked(login_id):
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _current_auth() -> _RequestAuth:
    if not has_request_context():
        raise RuntimeError("current_auth is only available while handling a request")
    auth = g.get("_flet_auth")
    if not isinstance(auth, _RequestAuth):
        auth = _RequestAuth(_app_state())
        g._flet_auth = auth
    return auth


class CurrentAuth:
    """The login of the request being handled: use the instance `current_auth` (in
    templates too). Outside a request its members raise RuntimeError."""

    @property
    def is_authenticated(self) -> bool:
        """Whether someone is logged in (their token may still need a refresh)."""
        return _current_auth().is_authenticated

    @property
    def provider(self) -> Optional[str]:
        """The registered name of the provider the user logged in with."""
        return _current_auth().provider

    @property
    def user(self) -> Optional[User]:
        """The logged-in user (`user.id`, the provider's fields, `user.groups`), or None."""
        return _current_auth().user

    @property
    def csrf_token(self) -> str:
        """The value a form must send as `csrf_token` (or header `X-CSRF-Token`) to log out."""
        return _current_auth().csrf_token

    def get_token(self) -> Optional[OAuthToken]:
        """The access token, refreshed first when it expires within 60 s; None when nobody is
        logged in or the provider refused the refresh (the login is then forgotten).

        Of all requests (in all workers) that find the token expired at once, one refreshes
        it under a lock in the store; the others wait for it and use the new token.
        """
        return _current_auth().get_token()

    def __repr__(self) -> str:
        return repr(_current_auth()) if has_request_context() else "CurrentAuth(unbound)"


current_auth = CurrentAuth()
"""The login of the request being handled."""


def login_required(view: F) -> F:
    """Decorator for views that need a logged-in user with a usable token (refreshed here
    when it expires soon). Others get a redirect to the login (pages) or a 401 JSON answer
    (requests that accept JSON rather than HTML)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state = _app_state()
        try:
            token = current_auth.get_token()
        except _PROVIDER_UNREACHABLE as e:
            logger.warning("flask: refreshing the token failed (%s)", type(e).__name__)
            return _provider_unavailable()
        if token is None:
            if _wants_json():
                response = jsonify(error="login_required", error_description="Log in first.")
                response.status_code = 401
                return response
            return redirect(state.ext._login_url(), code=302)
        return current_app.ensure_sync(view)(*args, **kwargs)

    return cast(F, wrapper)
