"""Flet's "Sign in with GitHub" as a desktop app, on flet-auth.

    GITHUB_CLIENT_ID=... GITHUB_CLIENT_SECRET=... python examples/flet_desktop_login.py

Flet's own `page.login` cannot log in from a desktop window (there is no web server for the
provider to come back to); `flet_auth.flet.login` opens the system browser and receives the
redirect on a one-shot listener on 127.0.0.1. Register `http://127.0.0.1/callback` as the
GitHub OAuth app's callback URL: GitHub lets a desktop app come back to any port of a
loopback callback, and port 0 below picks a free one. Without the two variables the app logs
in against the bundled local provider, which shows an Allow / Deny page in your browser.
"""

import os

import flet as ft

import flet_auth.flet
from flet_auth import AuthError
from flet_auth.providers.github_oauth_provider import GitHubOAuthProvider
from flet_auth.testing import MockOAuthServer

REDIRECT_URL = "http://127.0.0.1:0/callback"


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
        except AuthError as error:  # no browser, a port in use, a timeout, ...
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
    ft.run(main)
