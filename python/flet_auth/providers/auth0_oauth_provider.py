"""`Auth0OAuthProvider`: an Auth0 tenant, user from `/userinfo`."""

from typing import Any, Optional

from flet_auth.oauth_provider import OAuthProvider

__all__ = ["Auth0OAuthProvider"]


class Auth0OAuthProvider(OAuthProvider):
    """Auth0 login for `domain` (e.g. `example.us.auth0.com`); `audience` selects an API."""

    def __init__(
        self,
        domain: str,
        client_id: str,
        client_secret: str,
        redirect_url: str,
        audience: Optional[str] = None,
        **settings: Any,
    ) -> None:
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            authorization_endpoint=f"https://{domain}/authorize",
            token_endpoint=f"https://{domain}/oauth/token",
            redirect_url=redirect_url,
            scopes=["offline_access"],
            user_scopes=["openid", "profile", "email"],
            user_endpoint=f"https://{domain}/userinfo",
            user_id_fn=lambda u: u["sub"],
            group_scopes=[],
            authorization_params={"audience": audience} if audience is not None else None,
            **settings,
        )
        self.domain = domain
        self.audience = audience

    def _name(self) -> str:
        return "auth0"
