"""`flet_auth.testing` as users get it: the pytest fixture and `python -m flet_auth.testing`."""

import socket
import subprocess
import sys
import time
import urllib.request

from conftest import login_sync
from flet_auth.testing import MockOAuthServer


def test_the_oauth_server_fixture_comes_from_the_installed_plugin(
    oauth_server: MockOAuthServer,
) -> None:
    assert oauth_server.url.startswith("http://127.0.0.1:")
    assert login_sync(oauth_server).user is not None


def test_custom_users_claims_and_groups() -> None:
    users = {"carol": {"id": 7, "name": "Carol", "email": "c@example.com", "groups": ["ops"]}}
    with MockOAuthServer(users=users, client_id="app", client_secret="s3cret") as server:
        assert (server.client_id, server.client_secret, server.users) == (
            "app",
            "s3cret",
            ["carol"],
        )
        service = login_sync(server, user="carol", fetch_groups=True)
        assert service.user is not None
        assert (service.user.id, service.user["name"], service.user["groups"]) == (
            "7",
            "Carol",
            ["ops"],
        )


def test_login_form_shows_allow_and_deny() -> None:
    with MockOAuthServer(login_form=True) as server:
        from flet_auth import AuthorizationService

        url, _ = AuthorizationService(server.provider(), True, False).get_authorization_data()
        with urllib.request.urlopen(url, timeout=5) as page:
            html = page.read().decode()
        assert 'id="allow"' in html and 'id="deny"' in html and "mock-client" in html


def test_server_stops_and_frees_its_port() -> None:
    server = MockOAuthServer()
    server.start()
    port = server.port
    server.stop()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_port_in_use_is_an_os_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        try:
            MockOAuthServer(s.getsockname()[1]).start()
        except OSError:
            return
    raise AssertionError("binding a used port must fail")


def test_python_m_flet_auth_testing_serves_until_interrupted() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "flet_auth.testing", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first
        deadline = time.monotonic() + 5
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/userinfo", timeout=2)
            except urllib.error.HTTPError as e:
                assert e.code == 401  # served, and no token given
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)


def test_simulated_browser_completes_an_auth_page_login() -> None:
    from flet_auth import AuthPage, LoginEvent

    events: list[LoginEvent] = []
    with MockOAuthServer() as server:
        page = AuthPage()
        page.on_login = events.append
        page.login_sync(
            server.provider("http://127.0.0.1:0/cb"),
            on_open_authorization_url=server.browser(user="bob"),
        )
        assert page.auth is not None and page.auth.user is not None and page.auth.user.id == "1002"
        denied = AuthPage()
        denied.on_login = events.append
        denied.login_sync(
            server.provider("http://127.0.0.1:0/cb"),
            on_open_authorization_url=server.browser(approve=False),
        )
        assert denied.auth is None
    assert [e.error for e in events] == ["", "access_denied"]
