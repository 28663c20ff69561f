"""`AzureOAuthProvider`: Microsoft Entra ID (Azure AD) v2 endpoints, user from Graph `/me`."""

from typing import Any, Optional

from flet_auth.oauth_provider import OAuthProvider

__all__ = ["AzureOAuthProvider"]


class AzureOAuthProvider(OAuthProvider):
    """Microsoft Entra ID login for `tenant` (`common`, `organizations`, or a tenant id)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_url: str,
        tenant: Optional[str] = "common",
        **settings: Any,
    ) -> None:
        base = f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            authorization_endpoint=f"{base}/authorize",
            token_endpoint=f"{base}/token",
            redirect_url=redirect_url,
            user_scopes=["user.read"],
            user_endpoint="https://graph.microsoft.com/v1.0/me",
            user_id_fn=lambda u: u["id"],
            group_scopes=[],
            **settings,
        )
        self.tenant = tenant

    def _name(self) -> str:
        return "azure"
