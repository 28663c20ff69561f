"""`Login`: what `Depends(auth.login_required)` and `Depends(auth.current)` give, the login of
the request's browser."""

from typing import Optional

import flet_auth.web.session as browser_session
from flet_auth._core import OAuthToken
from flet_auth.user import User
from flet_auth.web.async_browser_login import AsyncBrowserLogin

__all__ = ["Login"]


class Login:
    """The login of the request's browser: `user`, `provider_name`, `csrf_token`, and
    `await get_token()`."""

    def __init__(self, browser: AsyncBrowserLogin) -> None:
        self._browser = browser

    @property
    def is_authenticated(self) -> bool:
        """Whether someone is logged in (their token may still need a refresh)."""
        return self._browser.is_authenticated

    @property
    def provider_name(self) -> Optional[str]:
        """The registered name of the provider the user logged in with."""
        return self._browser.provider

    @property
    def user(self) -> Optional[User]:
        """The logged-in user (`user.id`, the provider's fields, `user.groups`)."""
        return self._browser.user

    @property
    def csrf_token(self) -> str:
        """The value a form must send as `csrf_token` (or header `X-CSRF-Token`) to log out."""
        return browser_session.csrf_token(self._browser.session)

    async def get_token(self) -> Optional[OAuthToken]:
        """The access token, refreshed first when it expires within 60 s; None when the
        provider refused the refresh (the login is then forgotten).

        Of all requests (in all workers) that find the token expired at once, one refreshes
        it under a lock in the store; the others wait for it and use the new token.
        """
        return await self._browser.get_token()

    def __repr__(self) -> str:
        return f"Login(provider_name={self.provider_name!r})"
