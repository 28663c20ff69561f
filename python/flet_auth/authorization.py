"""`Authorization`: the contract `page.login` relies on, as in `flet.auth.authorization`."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: `import flet_auth` stays fast
if TYPE_CHECKING:
    from collections.abc import Awaitable
    from typing import Any
__all__ = ["Authorization"]


class Authorization:
    """What a login implementation provides: URL and state, code exchange, saved tokens."""

    __slots__ = ()

    async def dehydrate_token(self, saved_token: str) -> None:
        """Restores the login from a token saved with `OAuthToken.to_json()`."""
        raise NotImplementedError()

    def get_token(self) -> Awaitable[Any]:
        """Returns the current token, refreshed when needed (an awaitable)."""
        raise NotImplementedError()

    def get_authorization_data(self) -> tuple[str, str]:
        """Returns `(authorization_url, state)` for a new login."""
        raise NotImplementedError()

    async def request_token(self, code: str) -> None:
        """Exchanges the authorization code of the redirect for a token."""
        raise NotImplementedError()
