"""AuthPage through a real headless Chromium clicking the bundled provider's login page."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from flet_auth import AuthPage, LoginEvent
from flet_auth.store import FileTokenStore
from flet_auth.testing import MockOAuthServer

LOOPBACK = "http://127.0.0.1:0/callback"


@pytest.fixture
def form_server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer(login_form=True) as server:
        yield server


def clicking(driver: webdriver.Chrome, button: str, user: str = "alice") -> Any:
    """An `on_open_authorization_url` that signs in as `user` and clicks Allow or Deny."""
    seen: dict[str, str] = {}

    def in_browser(url: str) -> None:
        driver.get(url)
        Select(driver.find_element(By.ID, "username")).select_by_value(user)
        driver.find_element(By.ID, button).click()
        WebDriverWait(driver, 10).until(
            lambda d: d.current_url.startswith("http://127.0.0.1:") and "/callback" in d.current_url
        )
        seen["url"] = driver.current_url
        seen["text"] = driver.find_element(By.TAG_NAME, "body").text

    async def open_url(url: str) -> None:
        open_url.visit = asyncio.get_running_loop().run_in_executor(None, in_browser, url)  # type: ignore[attr-defined]

    open_url.seen = seen  # type: ignore[attr-defined]
    return open_url


async def test_allow_logs_in_and_shows_the_complete_page(
    chromium: webdriver.Chrome, form_server: MockOAuthServer, tmp_path: Path
) -> None:
    events: list[LoginEvent] = []
    page = AuthPage(store=FileTokenStore(tmp_path / "token", "k"))
    page.on_login = events.append
    browser = clicking(chromium, "allow", user="bob")
    await page.login(form_server.provider(LOOPBACK), on_open_authorization_url=browser)
    assert [e.error for e in events] == [""]
    assert page.auth is not None and page.auth.user is not None
    assert page.auth.user["preferred_username"] == "bob"
    await browser.visit  # the browser has shown the page
    assert "You are signed in" in browser.seen["text"]
    assert form_server.count("authorize.decision") == 1

    # A second login comes from the store: no browser, no trip to the provider.
    async def must_not_open(url: str) -> None:
        raise AssertionError("the browser was opened")

    again = AuthPage(store=FileTokenStore(tmp_path / "token", "k"))
    await again.login(form_server.provider(LOOPBACK), on_open_authorization_url=must_not_open)
    assert again.auth is not None and again.auth.user is not None
    assert again.auth.user["preferred_username"] == "bob"
    assert form_server.count("authorize") == 1


async def test_deny_ends_the_login_with_access_denied(
    chromium: webdriver.Chrome, form_server: MockOAuthServer
) -> None:
    events: list[LoginEvent] = []
    page = AuthPage()
    page.on_login = events.append
    browser = clicking(chromium, "deny")
    await page.login(form_server.provider(LOOPBACK), on_open_authorization_url=browser)
    assert page.auth is None
    assert [e.error for e in events] == ["access_denied"]
    await browser.visit
    assert "Sign-in failed" in browser.seen["text"]
