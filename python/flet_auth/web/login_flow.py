"""A web login from start to end: the authorization request, then the redirect back with the
code, checked against the login in progress kept for this browser.

The checks are pure functions; the sync face composes them with the store and the engine
(`start_login`, `complete_login`), and an async twin composes the same checks with awaits.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

import flet_auth.web.session as browser_session
from flet_auth._core import ConfigurationError, InvalidResponseError, StateMismatchError
from flet_auth.authorization_service import AuthorizationService
from flet_auth.web.clients import WebClient
from flet_auth.web.login_store import LoginStore
from flet_auth.web.logins import PendingLogin, StoredLogin
from flet_auth.web.redirects import check_redirect_uri, safe_next

__all__ = [
    "CompletedLogin",
    "begin_login",
    "check_login_request",
    "check_pending",
    "complete_login",
    "found_pending",
    "keep_login",
    "pending_login",
    "redirect_state",
    "start_login",
    "take_pending",
]


@dataclass(frozen=True)
class CompletedLogin:
    """A login just completed: the stored login and the same-site path to go to next."""

    login: StoredLogin
    next_url: Optional[str]


def check_login_request(redirect_uri: str, next_url: Optional[str]) -> None:
    """Refuses a `redirect_uri` that is not an absolute http(s) URL and a `next_url` that is
    not a same-site path, with a `ConfigurationError`."""
    check_redirect_uri(redirect_uri)
    if next_url is not None and safe_next(next_url) is None:
        raise ConfigurationError("next_url must be a same-site path such as /page")


def begin_login(
    service: AuthorizationService, client: str, redirect_uri: str, next_url: Optional[str]
) -> tuple[str, str, PendingLogin]:
    """Starts the login of `service` (its authorization request pushed first when the
    provider takes pushed requests, RFC 9126): the authorization URL, the `state` and the
    login in progress to keep (with the engine's state, PKCE verifier and OpenID nonce)."""
    url, state = service.start_authorization_sync()
    return url, state, pending_login(service, client, redirect_uri, next_url)


def pending_login(
    service: AuthorizationService, client: str, redirect_uri: str, next_url: Optional[str]
) -> PendingLogin:
    """The login in progress of `service`, just started, as the store keeps it."""
    return PendingLogin(client, redirect_uri, service.save_login(), next_url, time.time())


def start_login(
    logins: LoginStore,
    client: WebClient,
    session: browser_session.Session,
    *,
    redirect_uri: str,
    next_url: Optional[str] = None,
    params: Optional[Mapping[str, Any]] = None,
) -> str:
    """Starts a login with `client` and keeps it for this browser; returns the URL to send
    the browser to. `params` are extra authorization parameters (`prompt="login"`)."""
    check_login_request(redirect_uri, next_url)
    provider = client.with_authorization_params(params or {})
    service = client.new_service(provider, redirect_uri=redirect_uri)
    url, state, pending = begin_login(service, client.name, redirect_uri, next_url)
    logins.put_pending(browser_session.start_browser(session), state, pending)
    return url


def redirect_state(session: browser_session.Session, query: Mapping[str, str]) -> tuple[str, str]:
    """The browser's id and the `state` of a redirect back; a `StateMismatchError` when the
    redirect has no state or this browser started no login."""
    state = query.get("state", "")
    if not state:
        raise StateMismatchError("the redirect carries no state")
    browser = browser_session.browser_id(session)
    if browser is None:
        raise StateMismatchError("no login was started in this browser session")
    return browser, state


def found_pending(pending: Optional[PendingLogin]) -> PendingLogin:
    """The login in progress a redirect's state named; a `StateMismatchError` when none."""
    if pending is None:
        raise StateMismatchError(
            "the state is unknown, already used, expired or from another browser session"
        )
    return pending


def take_pending(
    logins: LoginStore, session: browser_session.Session, query: Mapping[str, str]
) -> tuple[PendingLogin, str]:
    """Takes (once) the login in progress that the redirect's `state` names for this
    browser; returns it and the state. A `StateMismatchError` when there is none."""
    browser, state = redirect_state(session, query)
    return found_pending(logins.pop_pending(browser, state)), state


def check_pending(pending: PendingLogin, client: str) -> str:
    """The engine's saved login of a login in progress that a redirect brought back to
    `client`. Raises `StateMismatchError` for another provider's login or one started by
    another version; the engine checks the rest (expiry, `error`, `state`, code)."""
    if pending.client != client:
        raise StateMismatchError("this state belongs to a login with another provider")
    if pending.saved_login is None:
        raise StateMismatchError("the login was started by another version; start a new one")
    return pending.saved_login


def keep_login(
    logins: LoginStore,
    session: browser_session.Session,
    login: StoredLogin,
    regenerate: Optional[browser_session.Regenerate] = None,
) -> None:
    """Stores the new login under a fresh id, forgets the one it replaces, clears the session
    and puts the id in it with a new CSRF token, then gives the session a new id with
    `regenerate` (when the session interface has one: a server-side session's old id, which
    someone else may know, must not become logged in)."""
    old = browser_session.login_id(session)
    new = browser_session.new_login_id()
    logins.write(new, login)
    if old is not None:
        logins.delete(old)
    browser_session.start_session(session, new)
    if regenerate is not None:
        regenerate()


def complete_login(
    logins: LoginStore,
    client: WebClient,
    session: browser_session.Session,
    query: Mapping[str, str],
    regenerate: Optional[browser_session.Regenerate] = None,
) -> CompletedLogin:
    """Completes the login from the redirect's `query` (`state`, `code` or `error`, `iss`):
    checks it (the `iss` as RFC 9207 says), exchanges the code (PKCE verifier sent; for
    OpenID Connect the ID token and its nonce verified), loads the user and keeps the login
    in a cleared session that `regenerate` gives a new id."""
    pending, _ = take_pending(logins, session, query)
    saved_login = check_pending(pending, client.name)
    service = client.new_service(redirect_uri=pending.redirect_uri)
    service.restore_login(saved_login)  # an expired login is refused here
    service.request_token_sync(service.check_authorization_response(dict(query)))
    token = service.current_token  # as issued: a short-lived one is refreshed when used
    if token is None:
        raise InvalidResponseError("the provider issued no token")
    login = StoredLogin.of(client.name, token, service.user)
    keep_login(logins, session, login, regenerate)
    return CompletedLogin(login, pending.next_url)
