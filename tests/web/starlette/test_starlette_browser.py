"""examples/fastapi/app.py under uvicorn with 3 workers, logged into from a real headless
Chromium through the bundled provider's login page (Allow / Deny), then logged out."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from asgi_apps.processes import UvicornApp
from flask_apps.browser import wait_for_text
from flask_apps.clients import JSON
from flask_apps.processes import HTTP_TIMEOUT
from flet_auth.testing import MockOAuthServer


@pytest.fixture(scope="module")
def provider() -> Iterator[MockOAuthServer]:
    with MockOAuthServer(login_form=True) as server:
        yield server


@pytest.fixture(scope="module")
def asgi_app(
    provider: MockOAuthServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UvicornApp]:
    store: Path = tmp_path_factory.mktemp("fastapi-browser") / "flet_auth.sqlite3"
    app = UvicornApp(
        "asgi_apps.authgear_asgi:app",
        {
            "APP_SECRET_KEY": "test-secret-key-of-the-fastapi-browser-login",
            "AUTHGEAR_CLIENT_ID": provider.client_id,
            "AUTHGEAR_CLIENT_SECRET": provider.client_secret,
            "AUTHGEAR_SERVER_METADATA_URL": provider.discovery_url,
            "FLET_AUTH_STORE": f"sqlite:///{store}",
        },
    )
    app.start()
    try:
        yield app
    finally:
        app.close()


def test_chromium_logs_in_on_the_providers_page_and_logs_out(
    chromium: webdriver.Chrome, asgi_app: UvicornApp, provider: MockOAuthServer
) -> None:
    provider.reset_counts()
    chromium.get(asgi_app.url + "/")
    chromium.delete_all_cookies()
    chromium.get(asgi_app.url + "/")
    chromium.find_element(By.ID, "login").click()
    WebDriverWait(chromium, 10).until(lambda d: d.current_url.startswith(provider.url))
    Select(chromium.find_element(By.ID, "username")).select_by_value("bob")
    chromium.find_element(By.ID, "allow").click()
    wait_for_text(chromium, "welcome", "Welcome Bob Builder!")
    assert chromium.current_url == asgi_app.url + "/"

    cookie = chromium.get_cookie("flet_auth")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    with httpx.Client(
        base_url=asgi_app.url, cookies={"flet_auth": cookie["value"]}, timeout=HTTP_TIMEOUT
    ) as client:
        assert client.get("/profile", headers=JSON).json()["name"] == "Bob Builder"

    chromium.find_element(By.ID, "logout").click()
    WebDriverWait(chromium, 10).until(
        lambda d: d.current_url.startswith(asgi_app.url) and "Welcome Guest" in d.page_source
    )
    assert provider.last_end_session() is not None  # the provider's session ended too
    chromium.get(asgi_app.url + "/profile")
    WebDriverWait(chromium, 10).until(lambda d: d.current_url.startswith(provider.url))
    assert provider.count("token.authorization_code") == 1
