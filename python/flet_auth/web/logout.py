"""Logging a browser out: the tokens revoked at the provider (RFC 7009), the provider's
end-session URL (OpenID Connect RP-initiated logout), the login forgotten."""

import logging
from dataclasses import dataclass
from typing import Any, Optional

import flet_auth.web.session as browser_session
from flet_auth._core import AuthError
from flet_auth.web.browser_login import BrowserLogin
from flet_auth.web.logins import StoredLogin

__all__ = ["LoggedOut", "log_out"]

logger = logging.getLogger("flet_auth.web")


@dataclass(frozen=True)
class LoggedOut:
    """What a logout did: the login it ended (None when nobody was logged in), the provider's
    end-session URL to send the browser to (None when it has none), and why revoking the
    tokens failed (None when they were revoked or the provider has no revocation endpoint)."""

    login: Optional[StoredLogin]
    end_session_url: Optional[str]
    revocation_error: Optional[AuthError] = None


def log_out(
    browser: BrowserLogin, post_logout_redirect_uri: Optional[str], root_url: str
) -> LoggedOut:
    """Revokes the login's tokens (when the provider has a revocation endpoint; a failure is
    logged, returned, and the login forgotten anyway), forgets the login and the CSRF token.

    The end-session URL sends the browser back to `post_logout_redirect_uri`, else the
    provider's `post_logout_redirect_uri` setting, else `root_url`."""
    login = browser.reload()  # the store's: another worker may have refreshed the token
    client = browser.clients.get(login.client) if login is not None else None
    end_session: Optional[str] = None
    revocation_error: Optional[AuthError] = None
    if login is not None and client is not None:
        service = client.new_service(load_user=False)
        service.load_token(login.token_json)
        provider: Any = client.provider
        if getattr(provider, "end_session_endpoint", None):
            back = (
                post_logout_redirect_uri or client.setting("post_logout_redirect_uri") or root_url
            )
            end_session = service.end_session_url(back)
        try:
            service._revoke_sync(missing_ok=True)
        except AuthError as e:
            revocation_error = e
            logger.warning(
                "revoking the tokens failed (%s: %s); the login is forgotten anyway",
                type(e).__name__,
                e,
            )
    if browser.login_id is not None:
        browser.forget()
    browser_session.end_session(browser.session)
    return LoggedOut(login, end_session, revocation_error)
