"""`flet_auth.flet.login` in a real Flet web app: flet-web 1.0.5 (`flet_web.fastapi` under
uvicorn) in Debian's headless Chromium, against the bundled provider. The user clicks Login,
Flet opens the provider in a popup, Flet's `/oauth_callback` route finishes the login."""

import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import flet as ft
import flet_web.fastapi
import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

import flet_auth.flet
from flet_auth import AuthorizationService, OAuthProvider
from flet_auth.testing import MockOAuthServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.timeout(300)  # a cold Chromium loading Flutter on a loaded machine


class WebApp:
    """A Flet web app with a Login button; `provider` is what the next session logs in with.
    With `app_main` set, new sessions run that app instead."""

    def __init__(self) -> None:
        self.url = ""
        self.provider: Callable[[str], OAuthProvider]
        self.app_main: Optional[Callable[[ft.Page], None]] = None
        self.logins: list[tuple[Any, Any, Any]] = []  # (error, error_description, page.auth)
        self._lock = threading.Lock()

    def main(self, page: ft.Page) -> None:
        if self.app_main is not None:
            self.app_main(page)
            return
        provider = self.provider(f"{self.url}/oauth_callback")

        async def login_click(e: ft.Event[ft.Button]) -> None:
            await flet_auth.flet.login(page, provider)

        async def on_login(e: ft.LoginEvent) -> None:
            with self._lock:
                self.logins.append((e.error, e.error_description, page.auth))
            if e.error or page.auth is None or page.auth.user is None:
                page.add(ft.Text(f"Login failed: {e.error}"))
            else:
                page.add(ft.Text(f"Hello {page.auth.user['name']}"))

        page.on_login = on_login
        page.add(ft.Button("Login", on_click=login_click))


@pytest.fixture(scope="module")
def web_app() -> Iterator[WebApp]:
    app = WebApp()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.url = f"http://127.0.0.1:{port}"
    # no_cdn: the Flutter client loads CanvasKit from the package, not from the internet.
    asgi = flet_web.fastapi.app(app.main, no_cdn=True)
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning"))
    serving = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    serving.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert serving.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield app
    finally:
        server.should_exit = True
        serving.join(30)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """Debian's Chromium; Flet opens the provider in a popup, so popups are allowed."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-popup-blocking",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def open_app(driver: webdriver.Chrome, app: WebApp) -> None:
    """Loads the app in a new tab (a new Flet session: Flet web resumes the session of a
    tab it knows) and turns on Flutter's accessibility tree, whose DOM nodes carry the texts
    and buttons that Flutter otherwise only paints."""
    old = driver.window_handles
    driver.switch_to.new_window("tab")
    for handle in old:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(driver.window_handles[0])
    driver.get(app.url)
    placeholder = WebDriverWait(driver, 90, 0.2).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "flt-semantics-placeholder")
    )[0]
    driver.execute_script("arguments[0].click()", placeholder)


def button(driver: webdriver.Chrome, text: str) -> Any:
    def find(d: webdriver.Chrome) -> Any:
        buttons = d.find_elements(By.CSS_SELECTOR, "flt-semantics[role=button]")
        return next((b for b in buttons if b.text == text), None)

    return WebDriverWait(driver, 60, 0.2).until(find)


def shown(driver: webdriver.Chrome, text: str) -> bool:
    return text in driver.execute_script("return document.body.innerText")


@pytest.mark.parametrize("kind", ["oauth", "openid"])
def test_login_in_a_flet_web_app_shows_the_user(
    browser: webdriver.Chrome, web_app: WebApp, server: MockOAuthServer, kind: str
) -> None:
    web_app.provider = server.provider if kind == "oauth" else server.openid_provider
    web_app.logins.clear()
    open_app(browser, web_app)
    button(browser, "Login").click()
    WebDriverWait(browser, 60, 0.2).until(lambda d: shown(d, "Hello Alice Liddell"))
    [(error, description, auth)] = web_app.logins
    assert (error, description) == (None, None)
    assert isinstance(auth, AuthorizationService) and auth.user is not None
    assert auth.user.id == "1001" and auth.user["email"] == "alice@example.com"
    assert (auth.id_token_claims is not None) == (kind == "openid")
    assert auth.current_token is not None and auth.current_token.access_token
    assert server.count("authorize") == 1 and server.count("token") == 1
    # Flet's callback page closes the popup; the app's window is the one left.
    WebDriverWait(browser, 30, 0.2).until(lambda d: len(d.window_handles) == 1)


def test_web_example_logs_in_and_out(
    browser: webdriver.Chrome,
    web_app: WebApp,
    server: MockOAuthServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = importlib.util.spec_from_file_location("flet_web_login", EXAMPLES / "flet_web_login.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    callback = f"{web_app.url}/oauth_callback"  # the example's own is on port 8550
    monkeypatch.setattr(example, "github_provider", lambda: server.github_provider(callback))
    monkeypatch.setattr(web_app, "app_main", example.main)
    open_app(browser, web_app)
    button(browser, "Login with GitHub").click()
    WebDriverWait(browser, 60, 0.2).until(lambda d: shown(d, "Hello Alice Liddell (id 1001)"))
    button(browser, "Logout").click()
    WebDriverWait(browser, 60, 0.2).until(lambda d: shown(d, "Signed out"))
