"""Logging a browser out through the core: its tokens revoked (RFC 7009), the provider's
end-session URL for OpenID Connect, the login and the CSRF token forgotten."""

import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from flet_auth import HTTPStatusError
from flet_auth.testing import MockOAuthServer
from flet_auth.web import session as browser_session
from flet_auth.web.browser_login import BrowserLogin
from flet_auth.web.clients import WebClient
from flet_auth.web.login_store import LoginStore
from flet_auth.web.logout import log_out
from flet_auth.web.stores import SQLiteStore
from web.helpers import AppContext, log_in, login_store, mock_client

ROOT = "http://127.0.0.1:5000/"


@pytest.fixture
def logins(tmp_path: Path) -> LoginStore:
    return login_store(SQLiteStore(tmp_path / "store.sqlite3"))


def openid_client(server: MockOAuthServer, **settings: Any) -> WebClient:
    """The bundled provider registered as `oidc`, from its discovery document."""
    settings.update(
        client_id=server.client_id,
        client_secret=server.client_secret,
        server_metadata_url=server.discovery_url,
    )
    return WebClient("oidc", None, settings, overwrite=False, context=AppContext())


def test_logout_revokes_the_tokens_and_forgets_the_login(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    client = mock_client(server)
    session: dict[str, Any] = {}
    log_in(logins, client, server, session)
    login_id = browser_session.login_id(session)
    done = log_out(BrowserLogin(logins, session, {"mock": client}), None, ROOT)
    assert done.login is not None and done.login.client == "mock"
    assert done.end_session_url is None  # plain OAuth 2.0 has no end-session endpoint
    assert server.count("revoke") == 2  # the refresh token, then the access token
    assert done.revocation_error is None
    assert login_id is not None and logins.read(login_id) is None
    assert browser_session.LOGIN_ID not in session and browser_session.CSRF_TOKEN not in session


def test_an_openid_logout_gives_the_end_session_url_back_to_the_app(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    client = openid_client(server)
    session: dict[str, Any] = {}
    log_in(logins, client, server, session)
    done = log_out(BrowserLogin(logins, session, {"oidc": client}), None, ROOT)
    assert done.end_session_url is not None
    query = parse_qs(urlsplit(done.end_session_url).query)
    assert query["post_logout_redirect_uri"] == [ROOT]
    assert query["id_token_hint"][0].count(".") == 2


def test_the_post_logout_redirect_uri_setting_is_used_when_none_is_given(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    client = openid_client(server, post_logout_redirect_uri="http://127.0.0.1:5000/bye")
    session: dict[str, Any] = {}
    log_in(logins, client, server, session)
    done = log_out(BrowserLogin(logins, session, {"oidc": client}), None, ROOT)
    assert done.end_session_url is not None
    query = parse_qs(urlsplit(done.end_session_url).query)
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:5000/bye"]


def test_a_failed_revocation_is_logged_and_the_login_forgotten_anyway(
    logins: LoginStore, server: MockOAuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = mock_client(server)
    session: dict[str, Any] = {}
    log_in(logins, client, server, session)
    login_id = browser_session.login_id(session)
    server.fail("revoke", 503, "busy", times=2)
    with caplog.at_level(logging.WARNING, logger="flet_auth"):
        done = log_out(BrowserLogin(logins, session, {"mock": client}), None, ROOT)
    assert done.login is not None and "revoking the tokens failed" in caplog.text
    assert login_id is not None and logins.read(login_id) is None


def test_a_failed_revocation_is_given_back_to_the_app(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    client = mock_client(server)
    session: dict[str, Any] = {}
    log_in(logins, client, server, session)
    server.fail("revoke", 503, "busy", times=2)
    done = log_out(BrowserLogin(logins, session, {"mock": client}), None, ROOT)
    assert isinstance(done.revocation_error, HTTPStatusError)
    assert done.revocation_error.status == 503


def test_a_provider_without_revocation_logs_out_without_a_revocation_error(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    client = mock_client(server, revocation_endpoint=None)
    session: dict[str, Any] = {}
    log_in(logins, client, server, session)
    done = log_out(BrowserLogin(logins, session, {"mock": client}), None, ROOT)
    assert done.login is not None and done.revocation_error is None
    assert server.count("revoke") == 0


def test_logging_out_without_a_login_only_drops_the_csrf_token(logins: LoginStore) -> None:
    session: dict[str, Any] = {browser_session.CSRF_TOKEN: "t", "other": 1}
    done = log_out(BrowserLogin(logins, session, {}), None, ROOT)
    assert done.login is None and done.end_session_url is None
    assert session == {"other": 1}
