"""Shared fixtures: a fresh local provider per test and a helper that runs a whole login.

`pytest --fast` is the tier that needs no browser: it leaves out the modules that drive
Chromium (those that import selenium or use the `chromium` fixture), so it runs where
neither selenium nor Chromium is installed.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from flet_auth import AuthorizationService
from flet_auth.testing import MockOAuthServer

if TYPE_CHECKING:
    from selenium import webdriver

BROWSER_MARKS = ("selenium", "chromium")
"""Words that make a test module a browser module (left out by `--fast`)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast", action="store_true", help="leave out the tests that drive a real browser"
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if not config.getoption("--fast") or collection_path.suffix != ".py":
        return None
    if not collection_path.name.startswith("test_"):
        return None
    text = collection_path.read_text(encoding="utf-8")
    return True if any(word in text for word in BROWSER_MARKS) else None


@pytest.fixture
def server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as s:
        yield s


def start_login(
    server: MockOAuthServer, provider: Any, user: str, kwargs: dict[str, Any]
) -> tuple[AuthorizationService, str]:
    """A service whose login went through consent: the service and the redirect's code."""
    kwargs.setdefault("fetch_user", True)
    kwargs.setdefault("fetch_groups", False)
    service = AuthorizationService(provider or server.provider(), **kwargs)
    url, state = service.get_authorization_data()
    redirect = server.authorize(url, user=user)
    assert redirect["state"] == state
    service.check_state(redirect["state"])
    return service, redirect["code"]


def login_sync(
    server: MockOAuthServer, provider: Any = None, *, user: str = "alice", **kwargs: Any
) -> AuthorizationService:
    """A service that went through a whole login with the sync API."""
    service, code = start_login(server, provider, user, kwargs)
    service.request_token_sync(code)
    return service


async def login(
    server: MockOAuthServer, provider: Any = None, *, user: str = "alice", **kwargs: Any
) -> AuthorizationService:
    """A service that went through a whole login with the async API."""
    service, code = start_login(server, provider, user, kwargs)
    await service.request_token(code)
    return service


@pytest.fixture(scope="module")
def chromium() -> Iterator["webdriver.Chrome"]:
    """A real headless Chromium, Debian's, driven by selenium (never a downloaded browser)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
