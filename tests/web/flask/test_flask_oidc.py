"""Authgear's Flask guide ported to flet-auth (examples/flask/authgear_app.py): OpenID Connect
with `openid offline_access` against the bundled provider, under gunicorn with 3 workers and a
real headless Chromium; logout revokes the tokens and ends the session at the provider."""

import time
from collections.abc import Iterator

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from flask_apps.browser import wait_for_text
from flask_apps.clients import JSON, get_at_once
from flask_apps.processes import HTTP_TIMEOUT, GunicornApp
from flet_auth.testing import MockOAuthServer


@pytest.fixture(scope="module")
def provider() -> Iterator[MockOAuthServer]:
    with MockOAuthServer(login_form=True) as server:
        yield server


@pytest.fixture(scope="module")
def authgear_app(
    provider: MockOAuthServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GunicornApp]:
    store = tmp_path_factory.mktemp("authgear-app") / "flet_auth.sqlite3"
    app = GunicornApp(
        "flask_apps.authgear_wsgi:app",
        {
            "APP_SECRET_KEY": "test-secret-key-of-the-authgear-example",
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


def test_login_in_chromium_then_logout_through_the_end_session_endpoint(
    chromium: webdriver.Chrome, authgear_app: GunicornApp, provider: MockOAuthServer
) -> None:
    provider.reset_counts()
    chromium.get(authgear_app.url + "/")
    chromium.delete_all_cookies()
    chromium.get(authgear_app.url + "/")
    chromium.find_element(By.ID, "login").click()
    WebDriverWait(chromium, 10).until(lambda d: d.current_url.startswith(provider.url))
    assert "openid offline_access" in chromium.find_element(By.ID, "scope").text
    Select(chromium.find_element(By.ID, "username")).select_by_value("alice")
    chromium.find_element(By.ID, "allow").click()
    wait_for_text(chromium, "welcome", "Welcome Alice Liddell!")
    assert '"sub": "1001"' in chromium.find_element(By.ID, "claims").text
    assert provider.count("jwks") >= 1  # the ID token was verified

    cookie = chromium.get_cookie("session")
    assert cookie is not None
    with httpx.Client(
        base_url=authgear_app.url, cookies={"session": cookie["value"]}, timeout=HTTP_TIMEOUT
    ) as client:
        assert client.get("/profile").json()["sub"] == "1001"

    chromium.find_element(By.ID, "logout").click()
    wait_for_text(chromium, "welcome", "Welcome Guest")
    assert chromium.current_url.rstrip("?") == authgear_app.url + "/"  # the mock adds a "?"
    assert provider.count("end_session") == 1
    assert provider.count("revoke.refresh_token") == 1
    with httpx.Client(
        base_url=authgear_app.url, cookies={"session": cookie["value"]}, timeout=HTTP_TIMEOUT
    ) as client:
        assert client.get("/profile", headers=JSON).status_code == 401


def test_concurrent_requests_refresh_an_openid_token_once(
    authgear_app: GunicornApp, provider: MockOAuthServer
) -> None:
    provider.access_token_ttl = 63
    try:
        client = httpx.Client(base_url=authgear_app.url, timeout=HTTP_TIMEOUT)
        start = client.get("/login")
        redirect = provider.authorize(start.headers["location"], user="bob")
        assert client.get("/callback", params=redirect).status_code == 302
    finally:
        provider.access_token_ttl = 3600
    before = client.get("/_test/token", headers=JSON).json()
    cookie = client.cookies["session"]
    client.close()
    wait = before["expires_at"] - 60 - time.time() + 0.2
    assert 0 < wait < 4
    time.sleep(wait)

    provider.reset_counts()
    answers = get_at_once(authgear_app.url, cookie, "/_test/token", 10, JSON)
    assert [a.status_code for a in answers] == [200] * 10
    assert provider.count("token.refresh_token") == 1
    assert len({a.json()["digest"] for a in answers} | {before["digest"]}) == 2
    with httpx.Client(base_url=authgear_app.url, cookies={"session": cookie}, timeout=30) as c:
        assert c.get("/profile").json()["sub"] == "1002"
