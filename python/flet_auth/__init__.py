"""flet-auth: OAuth 2.0 login for Python apps, with the API of Flet's `flet.auth`.

Change `flet.auth` imports to `flet_auth` and keep the code::

    from flet_auth import AuthorizationService, OAuthProvider
    from flet_auth.providers import GitHubOAuthProvider

The engine (HTTP, tokens, state, PKCE) is Rust, in `flet_auth._core`.
"""

from __future__ import annotations

from flet_auth._core import (
    AuthError,
    ClientCredentialsService,
    ConfigurationError,
    FetchResponse,
    HTTPStatusError,
    IDTokenError,
    InsecureTransportError,
    InternalError,
    InvalidResponseError,
    InvalidToken,
    IssuerMismatchError,
    OAuthError,
    OAuthToken,
    StateMismatchError,
    TimeoutError,
    TransportError,
    __version__,
)
from flet_auth.authorization import Authorization
from flet_auth.authorization_service import AuthorizationService
from flet_auth.group import Group
from flet_auth.login_event import LoginEvent
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.user import User

TYPE_CHECKING = False  # typing is not imported at run time: `import flet_auth` stays fast
if TYPE_CHECKING:
    from typing import Any

    from flet_auth.device_authorization import DeviceAuthorization
    from flet_auth.page import AuthPage
    from flet_auth.providers import (
        Auth0OAuthProvider,
        AzureOAuthProvider,
        GitHubOAuthProvider,
        GoogleOAuthProvider,
        OpenIDProvider,
    )
    from flet_auth.store import FileTokenStore

__all__ = [
    "Auth0OAuthProvider",
    "AuthError",
    "AuthPage",
    "Authorization",
    "AuthorizationService",
    "AzureOAuthProvider",
    "ClientCredentialsService",
    "ConfigurationError",
    "DeviceAuthorization",
    "FetchResponse",
    "FileTokenStore",
    "GitHubOAuthProvider",
    "GoogleOAuthProvider",
    "Group",
    "HTTPStatusError",
    "IDTokenError",
    "InsecureTransportError",
    "InternalError",
    "InvalidResponseError",
    "InvalidToken",
    "IssuerMismatchError",
    "LoginEvent",
    "OAuthError",
    "OAuthProvider",
    "OAuthToken",
    "OpenIDProvider",
    "StateMismatchError",
    "TimeoutError",
    "TransportError",
    "User",
    "__version__",
]

_LAZY = {
    "OpenIDProvider": "flet_auth.providers",
    "Auth0OAuthProvider": "flet_auth.providers",
    "AzureOAuthProvider": "flet_auth.providers",
    "GitHubOAuthProvider": "flet_auth.providers",
    "GoogleOAuthProvider": "flet_auth.providers",
    "AuthPage": "flet_auth.page",
    "DeviceAuthorization": "flet_auth.device_authorization",
    "FileTokenStore": "flet_auth.store",
}


def __getattr__(name: str) -> Any:
    # Providers, the desktop page and the token store load on first use, so that
    # `import flet_auth` stays fast.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
