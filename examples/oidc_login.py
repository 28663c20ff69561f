"""Log in with any OpenID Connect provider from its discovery document.

    OIDC_SERVER_METADATA_URL=https://example.authgear.cloud/.well-known/openid-configuration \
    OIDC_CLIENT_ID=... OIDC_CLIENT_SECRET=... python examples/oidc_login.py

Register `http://127.0.0.1:8550/callback` as a redirect URI (for a public client, leave
OIDC_CLIENT_SECRET unset). Without settings it runs against the bundled local provider and
plays the browser itself. It prints the verified ID token claims, the user and the logout URL,
then revokes the tokens.
"""

import os

from flet_auth import AuthPage, OpenIDProvider
from flet_auth.testing import MockOAuthServer


def main() -> None:
    server = None
    open_url = None
    if os.getenv("OIDC_SERVER_METADATA_URL"):
        provider = OpenIDProvider(
            os.environ["OIDC_CLIENT_ID"],
            os.getenv("OIDC_CLIENT_SECRET"),
            "http://127.0.0.1:8550/callback",
            server_metadata_url=os.environ["OIDC_SERVER_METADATA_URL"],
            scopes=["openid", "offline_access", "profile", "email"],
        )
    else:
        server = MockOAuthServer()
        server.start()
        provider = server.openid_provider("http://127.0.0.1:0/callback")
        open_url = server.browser()
        print(f"Using the local provider at {server.url}")
    try:
        page = AuthPage()
        service = page.login_sync(provider, fetch_groups=True, on_open_authorization_url=open_url)
        if page.auth is None or service.user is None:
            print("Login failed.")
            return
        print("ID token claims:", service.id_token_claims)
        print(f"User {service.user.id}: {service.user.get('email')}")
        print("Groups:", [g.name for g in service.user.groups])
        if provider.end_session_endpoint:
            print("Logout URL:", service.end_session_url("http://127.0.0.1:8550/")[:100], "...")
        if provider.revocation_endpoint:
            page.logout(revoke=True)
            print("Tokens revoked; logged out.")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
