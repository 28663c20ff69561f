"""Flet's "Sign in with GitHub" as a web app, on flet-auth: the app of
examples/flet_desktop_login.py, served to the browser.

    GITHUB_CLIENT_ID=... GITHUB_CLIENT_SECRET=... python examples/flet_web_login.py

In a Flet web app `flet_auth.flet.login` runs Flet's own login with flet-auth's service: the
provider opens in a popup (allow popups for the app) and comes back to Flet's
`/oauth_callback` route. Register `http://localhost:8550/oauth_callback` as the GitHub OAuth
app's callback URL (`pip install flet-web` serves it). Without the two variables the app logs
in against the bundled local provider, which shows an Allow / Deny page in the popup.
"""

import os

import flet as ft

import flet_auth.flet
from flet_auth import AuthError
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
        try:
            await flet_auth.flet.login(page, provider, scope=["public_repo"])
        except AuthError as error:  # wrong settings, OpenID discovery failed, ...
            status.value = f"Login failed: {error}"
            page.update()

    def on_login(e: ft.LoginEvent) -> None:
        if e.error:
            status.value = f"Login failed: {e.error}"
        elif page.auth is not None and page.auth.user is not None:
            user = page.auth.user
            status.value = f"Hello {user['name'] or user['login']} (id {user.id})"
        toggle_login_buttons()

    async def logout_click(e: ft.Event[ft.Button]) -> None:
        await flet_auth.flet.logout(page)

    def on_logout(e: ft.Event[ft.Page]) -> None:
        status.value = "Signed out"
        toggle_login_buttons()

    def toggle_login_buttons() -> None:
        login_button.visible = page.auth is None or page.auth.user is None
        logout_button.visible = not login_button.visible
        page.update()

    status = ft.Text()
    login_button = ft.Button("Login with GitHub", on_click=login_click)
    logout_button = ft.Button("Logout", on_click=logout_click)
    page.on_login = on_login
    page.on_logout = on_logout
    page.add(login_button, logout_button, status)
    toggle_login_buttons()


if __name__ == "__main__":
    ft.run(main, port=8550, view=ft.AppView.WEB_BROWSER)
