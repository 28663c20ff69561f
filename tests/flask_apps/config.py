"""Flask config keys that register the bundled provider as the client `mock`."""

from typing import Any

from flet_auth.testing import MockOAuthServer


def mock_client(server: MockOAuthServer) -> dict[str, Any]:
    """`MOCK_*` settings (Authlib's names) for a plain OAuth 2.0 client of `server`."""
    return {
        "MOCK_CLIENT_ID": server.client_id,
        "MOCK_CLIENT_SECRET": server.client_secret,
        "MOCK_AUTHORIZE_URL": server.authorization_endpoint,
        "MOCK_ACCESS_TOKEN_URL": server.token_endpoint,
        "MOCK_USERINFO_ENDPOINT": server.userinfo_endpoint,
        "MOCK_CLIENT_KWARGS": {"scope": "openid profile email"},
    }
