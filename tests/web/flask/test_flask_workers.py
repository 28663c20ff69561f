"""The Flask example apps under gunicorn with 3 workers, on a real redis-server and on SQLite:
logins in a real headless Chromium on the bundled provider's page, one refresh for many
concurrent requests, and bad input (forged state, open redirects, CSRF, tampered cookies,
Redis going away)."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from flask_apps.browser import wait_for_text
from flask_apps.clients import JSON, get_at_once, login, session_cookie
from flask_apps.processes import HTTP_TIMEOUT, GunicornApp, RedisServer
from flet_auth.testing import MockOAuthServer


@pytest.fixture(scope="module")
def provider() -> Iterator[MockOAuthServer]:
    """The bundled provider with its HTML login page (Allow / Deny)."""
    with MockOAuthServer(login_form=True) as server:
        yield server


def store_url(kind: str, request: pytest.FixtureRequest, tmp: Path) -> str:
    if kind == "redis":
        redis_server: RedisServer = request.getfixturevalue("redis_server")
        return redis_server.url
    return f"sqlite:///{tmp / 'flet_auth.sqlite3'}"


@pytest.fixture(scope="module", params=["redis", "sqlite"])
def github_app(
    request: pytest.FixtureRequest,
    provider: MockOAuthServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GunicornApp]:
    """examples/flask/github_app.py under gunicorn, its store Redis or SQLite."""
    store = store_url(request.param, request, tmp_path_factory.mktemp("github-app"))
    app = GunicornApp(
        "flask_apps.github_wsgi:app",
        {
            "FLASK_SECRET_KEY": "test-secret-key-of-the-github-example",
            "FLASK_GITHUB_CLIENT_ID": provider.client_id,
            "FLASK_GITHUB_CLIENT_SECRET": provider.client_secret,
            "FLASK_GITHUB_BASE_URL": provider.url,
            "FLASK_GITHUB_API_BASE_URL": provider.url,
            "FLASK_FLET_AUTH_STORE": store,
        },
    )
    app.start()
    try:
        yield app
    finally:
        app.close()


def browser_login(driver: webdriver.Chrome, start_url: str, user: str, provider: Any) -> None:
    """Opens `start_url`, signs in at the provider's page as `user` and clicks Allow."""
    driver.get(start_url)
    driver.delete_all_cookies()
    driver.get(start_url)
    WebDriverWait(driver, 10).until(lambda d: d.current_url.startswith(provider.url))
    Select(driver.find_element(By.ID, "username")).select_by_value(user)
    driver.find_element(By.ID, "allow").click()
    WebDriverWait(driver, 10).until(lambda d: not d.current_url.startswith(provider.url))


def text(driver: webdriver.Chrome, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


# ---------------------------------------------------------------------------------------------


def test_browser_logs_in_visits_protected_pages_and_logs_out(
    chromium: webdriver.Chrome, github_app: GunicornApp, provider: MockOAuthServer
) -> None:
    provider.reset_counts()
    browser_login(chromium, github_app.url + "/profile", "bob", provider)
    assert chromium.current_url == github_app.url + "/profile"
    assert text(chromium, "login") == "bob"
    assert provider.count("authorize.decision") == 1

    # The session works in every worker: ask on new connections until several workers answer.
    cookie = chromium.get_cookie("session")
    assert cookie is not None
    pids = set()
    with httpx.Client(
        base_url=github_app.url, cookies={"session": cookie["value"]}, timeout=HTTP_TIMEOUT
    ) as client:
        for _ in range(30):
            answer = client.get("/api/me", headers={**JSON, "Connection": "close"})
            assert answer.status_code == 200
            assert answer.json()["login"] == "bob"
            pids.add(answer.headers["X-Worker-Pid"])
            if len(pids) >= 2:
                break
    assert len(pids) >= 2

    chromium.get(github_app.url + "/")
    assert text(chromium, "welcome") == "Welcome bob!"
    chromium.find_element(By.ID, "logout").click()
    wait_for_text(chromium, "welcome", "Welcome guest")
    assert chromium.current_url == github_app.url + "/"
    chromium.get(github_app.url + "/profile")
    WebDriverWait(chromium, 10).until(lambda d: d.current_url.startswith(provider.url))
    assert provider.count("token.authorization_code") == 1


def test_twenty_concurrent_requests_with_an_expired_token_refresh_it_once(
    github_app: GunicornApp, provider: MockOAuthServer
) -> None:
    provider.access_token_ttl = 63  # refreshed from 3 s after the login on (60 s leeway)
    try:
        client, done = login(github_app, provider)
    finally:
        provider.access_token_ttl = 3600
    assert done.status_code == 302
    before = client.get("/_test/token", headers=JSON).json()
    cookie = session_cookie(client)
    client.close()
    wait = before["expires_at"] - 60 - time.time() + 0.2
    assert 0 < wait < 4, "the login took too long to test the refresh"
    time.sleep(wait)

    provider.reset_counts()
    answers = get_at_once(github_app.url, cookie, "/_test/token", 20, JSON)

    assert [a.status_code for a in answers] == [200] * 20
    assert provider.count("token.refresh_token") == 1
    digests = {a.json()["digest"] for a in answers}
    assert len(digests) == 1 and before["digest"] not in digests
    assert len({a.headers["X-Worker-Pid"] for a in answers}) >= 2
    # Later requests, in any worker, use the refreshed token without another refresh.
    with httpx.Client(base_url=github_app.url, cookies={"session": cookie}, timeout=30) as again:
        later = [again.get("/_test/token", headers=JSON).json()["digest"] for _ in range(6)]
    assert set(later) == digests
    assert provider.count("token.refresh_token") == 1


def test_a_forged_state_is_refused(github_app: GunicornApp, provider: MockOAuthServer) -> None:
    with httpx.Client(base_url=github_app.url, timeout=HTTP_TIMEOUT) as client:
        start = client.get("/login/github")
        redirect = provider.authorize(start.headers["location"], user="alice")
        forged = client.get(
            "/login/github/callback", params={"code": redirect["code"], "state": "forged"}
        )
        assert forged.status_code == 400
        assert "state" in forged.text
        assert client.get("/api/me", headers=JSON).status_code == 401


def test_a_replayed_state_is_refused_and_the_code_used_once(
    github_app: GunicornApp, provider: MockOAuthServer
) -> None:
    provider.reset_counts()
    client, done = login(github_app, provider)
    assert done.status_code == 302
    replay = client.get(str(done.request.url))
    assert replay.status_code == 400
    assert provider.count("token.authorization_code") == 1
    assert client.get("/api/me", headers=JSON).status_code == 200  # the login itself stays
    client.close()


def test_a_redirect_delivered_to_another_browser_is_refused(
    github_app: GunicornApp, provider: MockOAuthServer
) -> None:
    victim = httpx.Client(base_url=github_app.url, timeout=HTTP_TIMEOUT)
    attacker = httpx.Client(base_url=github_app.url, timeout=HTTP_TIMEOUT)
    attacker.get("/login/github")  # the attacker has a session of their own
    start = victim.get("/login/github")
    redirect = provider.authorize(start.headers["location"], user="alice")
    assert attacker.get("/login/github/callback", params=redirect).status_code == 400
    assert attacker.get("/api/me", headers=JSON).status_code == 401
    # ... and the real browser's login was not used up.
    assert victim.get("/login/github/callback", params=redirect).status_code == 302
    assert victim.get("/api/me", headers=JSON).status_code == 200
    victim.close()
    attacker.close()


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_next_pointing_elsewhere_is_ignored(
    github_app: GunicornApp, provider: MockOAuthServer, next_path: str
) -> None:
    client, done = login(github_app, provider, next_path=next_path)
    assert done.status_code == 302
    assert done.headers["location"] == "/"
    client.close()


def test_next_on_the_same_site_is_followed(
    github_app: GunicornApp, provider: MockOAuthServer
) -> None:
    client, done = login(github_app, provider, next_path="/profile?tab=teams")
    assert done.headers["location"] == "/profile?tab=teams"
    client.close()


def test_logout_needs_post_and_the_csrf_token(
    github_app: GunicornApp, provider: MockOAuthServer
) -> None:
    client, _ = login(github_app, provider)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/api/me", headers=JSON).status_code == 200
    page = client.get("/").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    out = client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 302
    assert client.get("/api/me", headers=JSON).status_code == 401
    client.close()


def test_a_tampered_session_cookie_counts_as_logged_out(
    github_app: GunicornApp, provider: MockOAuthServer
) -> None:
    client, _ = login(github_app, provider)
    cookie = session_cookie(client)
    client.close()
    # The first character of the signature (its last characters may carry only padding bits).
    data, signature = cookie.rsplit(".", 1)
    tampered = f"{data}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    with httpx.Client(
        base_url=github_app.url, cookies={"session": tampered}, timeout=HTTP_TIMEOUT
    ) as other:
        assert other.get("/api/me", headers=JSON).status_code == 401
        page = other.get("/profile")
        assert page.status_code == 302
        assert page.headers["location"].startswith("/login/github?next=")
    with httpx.Client(
        base_url=github_app.url, cookies={"session": cookie}, timeout=HTTP_TIMEOUT
    ) as same:
        assert same.get("/api/me", headers=JSON).status_code == 200


@pytest.mark.parametrize("github_app", ["redis"], indirect=True)
def test_redis_going_away_gives_503_and_its_return_keeps_the_login(
    github_app: GunicornApp, provider: MockOAuthServer, redis_server: RedisServer
) -> None:
    client, _ = login(github_app, provider, user="bob")
    before = client.get("/_test/token", headers=JSON).json()["digest"]
    workers = github_app.worker_pids()

    redis_server.stop(save=True)
    try:
        page = client.get("/profile")
        assert page.status_code == 503
        assert "unavailable" in page.text
        assert page.headers["Retry-After"] == "5"
        api = client.get("/api/me", headers=JSON)
        assert api.status_code == 503
        assert api.json()["error"] == "temporarily_unavailable"
        assert client.get("/login/github").status_code == 503
    finally:
        redis_server.start()
    assert github_app.worker_pids() == workers  # no worker died

    assert client.get("/api/me", headers=JSON).json()["login"] == "bob"
    assert client.get("/_test/token", headers=JSON).json()["digest"] == before
    client.close()
