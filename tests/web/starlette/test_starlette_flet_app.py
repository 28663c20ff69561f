"""examples/fastapi/flet_app.py through FastAPI's TestClient: the Flet app under /app/ is
served only to a logged-in browser (its page and its websocket), and the login brings the
browser back to it."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from flet_example import load_flet_example
from starlette.websockets import WebSocketDisconnect

from flet_auth.testing import MockOAuthServer


@pytest.fixture(scope="module")
def provider() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as server:
        yield server


@pytest.fixture
def client(
    provider: MockOAuthServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    example = load_flet_example(provider, tmp_path / "store.sqlite3", monkeypatch)
    with TestClient(example.app, follow_redirects=False) as c:
        yield c


def test_the_flet_app_sends_a_browser_without_login_to_the_login(client: TestClient) -> None:
    answer = client.get("/app/")
    assert answer.status_code == 302
    assert answer.headers["location"] == "/login/authgear?next=%2Fapp%2F"


def test_the_flet_websocket_refuses_a_browser_without_login(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/app/ws") as ws:
        ws.receive_bytes()
    assert closed.value.code == 1008


def test_after_the_login_the_browser_is_back_at_the_flet_app_and_gets_it(
    client: TestClient, provider: MockOAuthServer
) -> None:
    start = client.get("/app/")
    start = client.get(start.headers["location"])
    done = client.get(
        "/login/authgear/callback", params=provider.authorize(start.headers["location"])
    )
    assert done.status_code == 302 and done.headers["location"] == "/app/"
    page = client.get("/app/")
    assert page.status_code == 200 and "flutter" in page.text.lower()
    with client.websocket_connect("/app/ws") as ws:
        ws.close()  # accepted: Flet waits for the client to register
    assert "Logged in as" in client.get("/").text
