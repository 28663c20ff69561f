"""The web login of `login_flow` for async apps: the same checks, composed with the async
store and the engine's coroutines (`await service.request_token(code)`)."""

from collections.abc import Mapping
from typing import Any, Optional

import flet_auth.web.session as browser_session
from flet_auth._core import InvalidResponseError
from flet_auth.providers.openid_provider import ensure_discovered
from flet_auth.web.async_login_store import AsyncLoginStore
from flet_auth.web.clients import WebClient
from flet_auth.web.login_flow import (
    CompletedLogin,
    check_login_request,
    check_pending,
    found_pending,
    pending_login,
    redirect_state,
)
from flet_auth.web.logins import StoredLogin

__all__ = ["complete_login_async", "keep_login_async", "start_login_async"]


async def start_login_async(
    logins: AsyncLoginStore,
    client: WebClient,
    session: browser_session.Session,
    *,
    redirect_uri: str,
    next_url: Optional[str] = None,
    params: Optional[Mapping[str, Any]] = None,
) -> str:
    """`start_login`: keeps a new login for this browser; returns the authorization URL."""
    check_login_request(redirect_uri, next_url)
    await ensure_discovered(client.provider)  # so that no read below blocks the loop
    provider = client.with_authorization_params(params or {})
    service = client.new_service(provider, redirect_uri=redirect_uri)
    url, state = await service.start_authorization()  # pushed first when PAR is on
    pending = pending_login(service, client.name, redirect_uri, next_url)
    await logins.put_pending(browser_session.start_browser(session), state, pending)
    return url


async def keep_login_async(
    logins: AsyncLoginStore, session: browser_session.Session, login: StoredLogin
) -> None:
    """`keep_login`: the new login under a fresh id in a cleared session with a new CSRF
    token, the one it replaces forgotten."""
    old = browser_session.login_id(session)
    new = browser_session.new_login_id()
    await logins.write(new, login)
    if old is not None:
        await logins.delete(old)
    browser_session.start_session(session, new)


async def complete_login_async(
    logins: AsyncLoginStore,
    client: WebClient,
    session: browser_session.Session,
    query: Mapping[str, str],
) -> CompletedLogin:
    """`complete_login`: checks the redirect's `query` against this browser's login in
    progress, exchanges the code, loads the user and keeps the login."""
    browser, state = redirect_state(session, query)
    pending = found_pending(await logins.pop_pending(browser, state))
    saved_login = check_pending(pending, client.name)
    await ensure_discovered(client.provider)
    service = client.new_service(redirect_uri=pending.redirect_uri)
    service.restore_login(saved_login)  # an expired login is refused here
    await service.request_token(service.check_authorization_response(dict(query)))
    token = service.current_token  # as issued: a short-lived one is refreshed when used
    if token is None:
        raise InvalidResponseError("the provider issued no token")
    login = StoredLogin.of(client.name, token, service.user)
    await keep_login_async(logins, session, login)
    return CompletedLogin(login, pending.next_url)
