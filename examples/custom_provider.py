"""A custom OAuth provider, as in Flet's guide: any provider from its endpoints.

    OAUTH_CLIENT_ID=... OAUTH_CLIENT_SECRET=... \
    OAUTH_AUTHORIZATION_ENDPOINT=https://.../authorize OAUTH_TOKEN_ENDPOINT=https://.../token \
    OAUTH_USER_ENDPOINT=https://.../userinfo OAUTH_SCOPES="openid profile email" \
    python examples/custom_provider.py

Register `http://localhost:8550/oauth_callback` as the redirect URL. Without the variables the
app logs in against the bundled local provider.
"""

import os

import flet as ft

from flet_auth import AuthorizationService, LoginEvent, OAuthProvider
from flet_auth.testing import MockOAuthServer

REDIRECT_URL = "http://localhost:8550/oauth_callback"


def custom_provider() -> OAuthProvider:
    env = os.environ
    if env.get("OAUTH_CLIENT_ID"):
        return OAuthProvider(
            client_id=env["OAUTH_CLIENT_ID"],
            client_secret=env.get("OAUTH_CLIENT_SECRET"),
            authorization_endpoint=env["OAUTH_AUTHORIZATION_ENDPOINT"],
            token_endpoint=env["OAUTH_TOKEN_ENDPOINT"],
            redirect_url=REDIRECT_URL,
            user_endpoint=env.get("OAUTH_USER_ENDPOINT"),
            user_id_fn=lambda u: u.get("sub") or u.get("id"),
            user_scopes=env.get("OAUTH_SCOPES", "openid profile email").split(),
        )
    server = MockOAuthServer(login_form=True)
    server.start()
    print(f"No OAUTH_* settings: using the local provider at {server.url}")
    return server.provider(REDIRECT_URL)


def main(page: ft.Page) -> None:
    provider = custom_provider()

    async def login_click(e: ft.Event[ft.Button]) -> None:
        await page.login(provider, authorization=AuthorizationService)

    async def on_login(e: LoginEvent) -> None:
        if e.error:
            page.add(ft.Text(f"Login failed: {e.error} {e.error_description or ''}"))
            return
        user = page.auth.user
        page.add(ft.Text(f"Signed in as {user.get('name')} ({user.id})"))

    page.on_login = on_login
    page.add(ft.Button("Sign in", on_click=login_click))


if __name__ == "__main__":
    ft.run(main, port=8550, view=ft.AppView.WEB_BROWSER)
