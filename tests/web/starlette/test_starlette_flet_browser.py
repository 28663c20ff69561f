"""examples/fastapi/flet_app.py in a real headless Chromium: opening the Flet app sends the
browser to the bundled provider's login page, and after Allow the Flet app (flet-web 1.0.5,
served offline) greets the user its session got from the login."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from flet_example import load_flet_example
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from flask_apps.processes import free_port
from flet_auth.testing import MockOAuthServer

pytestmark = pytest.mark.timeout(300)  # a cold Chromium loading Flutter on a loaded machine


@pytest.fixture(scope="module")
def provider() -> Iterator[MockOAuthServer]:
    with MockOAuthServer(login_form=True) as server:
        yield server


@pytest.fixture
def app_url(
    provider: MockOAuthServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    example = load_flet_example(provider, tmp_path / "store.sqlite3", monkeypatch)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(example.app, host="127.0.0.1", port=port, log_level="warning")
    )
    serving = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    serving.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert serving.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        serving.join(30)


def test_the_flet_app_behind_the_login_greets_the_logged_in_user(
    chromium: webdriver.Chrome, app_url: str, provider: MockOAuthServer
) -> None:
    chromium.set_page_load_timeout(60)
    chromium.get(app_url + "/")
    chromium.delete_all_cookies()
    chromium.get(app_url + "/app/")
    WebDriverWait(chromium, 10).until(lambda d: d.current_url.startswith(provider.url))
    Select(chromium.find_element(By.ID, "username")).select_by_value("bob")
    chromium.find_element(By.ID, "allow").click()
    WebDriverWait(chromium, 30).until(lambda d: d.current_url == app_url + "/app/")
    # Flutter paints its texts; its accessibility tree puts them in the DOM once turned on.
    placeholder = WebDriverWait(chromium, 90, 0.2).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "flt-semantics-placeholder")
    )[0]
    chromium.execute_script("arguments[0].click()", placeholder)
    WebDriverWait(chromium, 60, 0.2).until(
        lambda d: "Hello Bob Builder!" in d.execute_script("return document.body.innerText")
    )
