"""`BrowserLogin`, the login of the request's browser: read from the session's login id,
refreshed when due, forgotten when it cannot be used any more. A plain dict is the session."""

import time
from pathlib import Path
from typing import Any

import pytest

from flet_auth import OAuthToken
from flet_auth.testing import MockOAuthServer
from flet_auth.web import session as browser_session
from flet_auth.web.browser_login import BrowserLogin
from flet_auth.web.login_store import LoginStore
from flet_auth.web.logins import StoredLogin
from flet_auth.web.stores import SQLiteStore
from web.helpers import log_in, login_store, mock_client


@pytest.fixture
def logins(tmp_path: Path) -> LoginStore:
    return login_store(SQLiteStore(tmp_path / "store.sqlite3"))


def test_nobody_is_logged_in_without_a_login_id(logins: LoginStore) -> None:
    login = BrowserLogin(logins, {}, {})
    assert not login.is_authenticated and login.user is None and login.provider is None
    assert login.get_token() is None


def test_a_session_naming_a_login_that_is_gone_is_cleared(logins: LoginStore) -> None:
    session: dict[str, Any] = {browser_session.LOGIN_ID: "made-up"}
    assert not BrowserLogin(logins, session, {}).is_authenticated
    assert browser_session.LOGIN_ID not in session


def test_a_logged_in_browser_has_its_user_provider_and_token(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    client = mock_client(server)
    session: dict[str, Any] = {}
    done = log_in(logins, client, server, session)
    login = BrowserLogin(logins, session, {"mock": client})
    user = login.user
    token = login.get_token()
    assert login.is_authenticated and login.provider == "mock"
    assert user is not None and user.id == "1001"
    assert token is not None and token.access_token == done.login.token.access_token


def test_a_due_token_is_refreshed_and_the_new_one_kept(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    client = mock_client(server)
    session: dict[str, Any] = {}
    server.access_token_ttl = 30
    done = log_in(logins, client, server, session)
    server.access_token_ttl = 3600
    token = BrowserLogin(logins, session, {"mock": client}).get_token()
    assert token is not None and token.access_token != done.login.token.access_token
    again = BrowserLogin(logins, session, {"mock": client}).get_token()
    assert again is not None and again.access_token == token.access_token
    assert server.count("token.refresh_token") == 1


def test_a_token_expired_for_good_forgets_the_login(logins: LoginStore) -> None:
    expired = OAuthToken.from_json(f'{{"access_token":"a","expires_at":{time.time() - 1}}}')
    logins.write("login-id", StoredLogin.of("mock", expired, None))
    session: dict[str, Any] = {browser_session.LOGIN_ID: "login-id"}
    assert BrowserLogin(logins, session, {}).get_token() is None
    assert logins.read("login-id") is None and browser_session.LOGIN_ID not in session


def test_a_refused_refresh_forgets_the_login(logins: LoginStore, server: MockOAuthServer) -> None:
    client = mock_client(server)
    session: dict[str, Any] = {}
    server.access_token_ttl = 30
    log_in(logins, client, server, session)
    login_id = browser_session.login_id(session)
    server.fail("token", 400, '{"error": "invalid_grant"}')
    login = BrowserLogin(logins, session, {"mock": client})
    assert login.get_token() is None and not login.is_authenticated
    assert login_id is not None and logins.read(login_id) is None


def test_a_login_whose_provider_is_no_longer_registered_is_forgotten_when_due(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    session: dict[str, Any] = {}
    server.access_token_ttl = 30
    log_in(logins, mock_client(server), server, session)
    assert BrowserLogin(logins, session, {}).get_token() is None
    assert browser_session.login_id(session) is None


def test_the_repr_shows_the_provider_only(logins: LoginStore, server: MockOAuthServer) -> None:
    session: dict[str, Any] = {}
    done = log_in(logins, mock_client(server), server, session)
    text = repr(BrowserLogin(logins, session, {}))
    assert text == "BrowserLogin(provider='mock')"
    assert done.login.token.access_token not in text
