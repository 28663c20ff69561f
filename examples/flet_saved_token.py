"""Flet's "remember me" example on flet-auth: the token is saved encrypted on the client and
the next visit logs in from it; logout forgets it.

    GITHUB_CLIENT_ID=... GITHUB_CLIENT_SECRET=... MY_APP_SECRET_KEY=... \
    python examples/flet_saved_token.py

Without GitHub credentials the app uses the bundled local provider.
"""

import os

import flet as ft

import flet_auth.flet
from flet_auth import LoginEvent
from flet_auth.security import InvalidToken, decrypt, encrypt
from flet_github_login import github_provider

AUTH_TOKEN_KEY = "myapp.auth_token"
SECRET_KEY = os.getenv("MY_APP_SECRET_KEY", "demo key, not secret")


async def main(page: ft.Page) -> None:
    provider = github_provider()
    prefs = ft.SharedPreferences()

    async def login_click(e: ft.Event[ft.Button]) -> None:
        await flet_auth.flet.login(page, provider)

    async def on_login(e: LoginEvent) -> None:
        if e.error:
            page.add(ft.Text(f"Login failed: {e.error}"))
            return
        token = await page.auth.get_token()
        await prefs.set(AUTH_TOKEN_KEY, encrypt(token.to_json(), SECRET_KEY))
        page.add(ft.Text(f"Signed in as {page.auth.user['login']}"))
        toggle()

    async def logout_click(e: ft.Event[ft.Button]) -> None:
        await prefs.remove(AUTH_TOKEN_KEY)
        await flet_auth.flet.logout(page)

    def toggle() -> None:
        login_button.visible = page.auth is None
        logout_button.visible = page.auth is not None
        page.update()

    login_button = ft.Button("Login with GitHub", on_click=login_click)
    logout_button = ft.Button("Logout", on_click=logout_click)
    page.on_login = on_login
    page.on_logout = lambda e: toggle()
    page.add(login_button, logout_button)
    toggle()

    saved = await prefs.get(AUTH_TOKEN_KEY)
    if isinstance(saved, str):
        try:
            await flet_auth.flet.login(page, provider, saved_token=decrypt(saved, SECRET_KEY))
        except InvalidToken:
            await prefs.remove(AUTH_TOKEN_KEY)  # saved with another key: log in again


if __name__ == "__main__":
    ft.run(main, port=8550, view=ft.AppView.WEB_BROWSER)
