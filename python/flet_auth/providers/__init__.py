"""Built-in providers, at the module paths of `flet.auth.providers`."""

from flet_auth.providers.auth0_oauth_provider import Auth0OAuthProvider
from flet_auth.providers.azure_oauth_provider import AzureOAuthProvider
from flet_auth.providers.github_oauth_provider import GitHubOAuthProvider
from flet_auth.providers.google_oauth_provider import GoogleOAuthProvider
from flet_auth.providers.openid_provider import OpenIDProvider

__all__ = [
    "Auth0OAuthProvider",
    "AzureOAuthProvider",
    "GitHubOAuthProvider",
    "GoogleOAuthProvider",
    "OpenIDProvider",
]
