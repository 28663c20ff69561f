"""Login helpers for real Flet pages: our service behind Flet's own `page.login`.

Example::

    import flet_auth.flet

    async def login_click(e):
        await flet_auth.flet.login(page, provider, scope=["public_repo"])

    async def on_login(e):
        token = await page.auth.get_token()   # page.auth is a flet_auth.AuthorizationService

`login(page, provider, **kwargs)` is `page.login(provider, authorization=AuthorizationService,
**kwargs)`: same keywords (`fetch_user`, `fetch_groups`, `scope`, `saved_token`,
`on_open_authorization_url`, `complete_page_html`, `redirect_to_page`).
"""

from typing import Any

from flet_auth.authorization_service import AuthorizationService
from flet_auth.oauth_provider import OAuthProvider

__all__ = ["login", "logout"]


async def login(page: Any, provider: OAuthProvider, **kwargs: Any) -> AuthorizationService:
    """Starts a login on a Flet page with flet-auth's `AuthorizationService`."""
    kwargs.setdefault("authorization", AuthorizationService)
    service: AuthorizationService = await page.login(provider, **kwargs)
    return service


def logout(page: Any) -> None:
    """Forgets the page's token and user, then `page.logout()` (which fires `on_logout`)."""
    auth = getattr(page, "auth", None)
    if isinstance(auth, AuthorizationService):
        auth.clear()
    page.logout()
