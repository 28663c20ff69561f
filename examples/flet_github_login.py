"""Flet's "Sign in with GitHub" example, moved to flet-auth by renaming imports.

    GITHUB_CLIENT_ID=... GITHUB_CLIENT_SECRET=... python examples/flet_github_login.py

Register `http://localhost:8550/oauth_callback` as the OAuth app's callback URL. Without the
two variables the app logs in against the bundled local provider instead.
"""

import os

import flet as ft

from flet_auth import AuthorizationService, LoginEvent
from flet_auth.providers.github_oauth_provider import GitHubOAuthProvider
from flet_auth.testing import MockOAuthServer

REDIRECT_URL = "http://localhost:8550/oauth_callback"


def github_provider() -> GitHubOAuthProvider:
    client_id, client_secret = os.getenv("GITHUB_CLIENT_ID"), os.getenv("GITHUB_CLIENT_SECRET")
    if client_id and client_secret:
        return GitHubOAuthProvider(client_id, client_secret, REDIRECT_URL)
    server = MockOAuthServer(login_form=True)
    server.start()
    print(f"No GitHub credentials: using the local provider at {server.url}")
    return server.github_provider(REDIRECT_URL)


def main(page: ft.Page) -> None:
    provider = github_provider()

    async def login_click(e: ft.Event[ft.Button]) -> None:
        await page.login(provider, scope=["public_repo"], authorization=AuthorizationService)

    async def on_login(e: LoginEvent) -> None:
        if e.error:
            page.add(ft.Text(f"Login failed: {e.error}"))
            return
        token = await page.auth.get_token()
        user = page.auth.user
        page.add(ft.Text(f"Hello {user['name'] or user['login']} (id {user.id})"))
        page.add(ft.Text(f"Token expires at {token.expires_at}"))
        toggle_login_buttons()

    def logout_click(e: ft.Event[ft.Button]) -> None:
        page.logout()

    def on_logout(e: ft.Event[ft.Page]) -> None:
        toggle_login_buttons()

    def toggle_login_buttons() -> None:
        login_button.visible = page.auth is None
        logout_button.visible = page.auth is not None
        page.update()

    login_button = ft.Button("Login with GitHub", on_click=login_click)
    logout_button = ft.Button("Logout", on_click=logout_click)
    page.on_login = on_login
    page.on_logout = on_logout
    page.add(login_button, logout_button)
    toggle_login_buttons()


if __name__ == "__main__":
    ft.run(main, port=8550, view=ft.AppView.WEB_BROWSER)
