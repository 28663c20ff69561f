"""`log_out` for async apps: the tokens revoked with the engine's coroutine (RFC 7009), the
provider's end-session URL (OpenID Connect RP-initiated logout), the login forgotten."""

import logging
from typing import Any, Optional

import flet_auth.web.session as browser_session
from flet_auth._core import AuthError
from flet_auth.providers.openid_provider import ensure_discovered
from flet_auth.web.async_browser_login import AsyncBrowserLogin
from flet_auth.web.logout import LoggedOut

__all__ = ["log_out_async"]

logger = logging.getLogger("flet_auth.web")


async def log_out_async(
    browser: AsyncBrowserLogin, post_logout_redirect_uri: Optional[str], root_url: str
) -> LoggedOut:
    """`log_out` with awaits: revokes the tokens (a failure is logged, returned, and the
    login forgotten anyway), forgets the login and the CSRF token, and gives the end-session
    URL."""
    login = await browser.load(fresh=True)  # another worker may have refreshed the token
    client = browser.clients.get(login.client) if login is not None else None
    end_session: Optional[str] = None
    revocation_error: Optional[AuthError] = None
    if login is not None and client is not None:
        await ensure_discovered(client.provider)
        service = client.new_service(load_user=False)
        service.load_token(login.token_json)
        provider: Any = client.provider
        if getattr(provider, "end_session_endpoint", None):
            back = (
                post_logout_redirect_uri or client.setting("post_logout_redirect_uri") or root_url
            )
            end_session = service.end_session_url(back)
        try:
            await service._revoke(missing_ok=True)
        except AuthError as e:
            revocation_error = e
            logger.warning(
                "revoking the tokens failed (%s: %s); the login is forgotten anyway",
                type(e).__name__,
                e,
            )
    if browser.login_id is not None:
        await browser.forget()
    browser_session.end_session(browser.session)
    return LoggedOut(login, end_session, revocation_error)
