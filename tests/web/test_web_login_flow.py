"""A whole web login through the core alone (no web framework): a plain dict as the session,
a real SQLite store and the bundled provider. Single use, bound to its browser, every check
of the redirect back."""

import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from flet_auth import ConfigurationError, StateMismatchError
from flet_auth.testing import MockOAuthServer
from flet_auth.web import session as browser_session
from flet_auth.web.login_flow import check_pending, complete_login, start_login
from flet_auth.web.login_store import LoginStore
from flet_auth.web.logins import PendingLogin
from flet_auth.web.stores import SQLiteStore
from web.helpers import log_in, login_store, mock_client


@pytest.fixture
def logins(tmp_path: Path) -> LoginStore:
    return login_store(SQLiteStore(tmp_path / "store.sqlite3"))


def started(
    logins: LoginStore, server: MockOAuthServer, session: dict[str, Any], **kwargs: Any
) -> dict[str, str]:
    """The redirect back after consent at the provider to a login started in `session`."""
    client = mock_client(server)
    url = start_login(logins, client, session, redirect_uri=client.default_redirect_uri(), **kwargs)
    return server.authorize(url)


def test_a_login_completes_without_any_web_framework(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    session: dict[str, Any] = {}
    done = log_in(logins, mock_client(server), server, session, user="bob", next_url="/page")
    login_id = browser_session.login_id(session)
    assert login_id is not None and done.next_url == "/page"
    stored = logins.read(login_id)
    assert stored is not None and stored.client == "mock"
    user = stored.to_user()
    assert user is not None and user.id == "1002"
    assert browser_session.CSRF_TOKEN in session


def test_the_authorization_request_uses_pkce_and_the_extra_params(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    client = mock_client(server)
    url = start_login(
        logins, client, {}, redirect_uri=client.default_redirect_uri(), params={"prompt": "login"}
    )
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["prompt"] == ["login"]


def test_a_relative_redirect_uri_and_an_offsite_next_are_refused(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    client = mock_client(server)
    with pytest.raises(ConfigurationError, match="redirect_uri"):
        start_login(logins, client, {}, redirect_uri="/callback")
    with pytest.raises(ConfigurationError, match="next_url"):
        start_login(
            logins, client, {}, redirect_uri="http://127.0.0.1/cb", next_url="//evil.example"
        )


def test_a_redirect_is_used_once(logins: LoginStore, server: MockOAuthServer) -> None:
    session: dict[str, Any] = {}
    redirect = started(logins, server, session)
    complete_login(logins, mock_client(server), session, redirect)
    server.reset_counts()
    # The login cleared the session, so the browser's id went with it: the replay finds no
    # login of this browser, let alone this state.
    with pytest.raises(StateMismatchError, match="no login was started"):
        complete_login(logins, mock_client(server), session, redirect)
    assert server.count("token.authorization_code") == 0


def test_a_redirect_delivered_to_another_browser_finds_no_login(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    victim: dict[str, Any] = {}
    attacker: dict[str, Any] = {}
    browser_session.start_browser(attacker)
    redirect = started(logins, server, victim)
    with pytest.raises(StateMismatchError, match="another browser"):
        complete_login(logins, mock_client(server), attacker, redirect)
    assert browser_session.login_id(attacker) is None
    complete_login(logins, mock_client(server), victim, redirect)  # not used up
    assert browser_session.login_id(victim) is not None


def test_a_redirect_without_state_is_refused(logins: LoginStore, server: MockOAuthServer) -> None:
    session: dict[str, Any] = {}
    redirect = started(logins, server, session)
    with pytest.raises(StateMismatchError, match="no state"):
        complete_login(logins, mock_client(server), session, {"code": redirect["code"]})


def test_a_redirect_to_a_browser_that_started_no_login_is_refused(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    redirect = started(logins, server, {})
    with pytest.raises(StateMismatchError, match="no login was started"):
        complete_login(logins, mock_client(server), {}, redirect)


def test_a_new_login_replaces_the_browser_s_old_one(
    logins: LoginStore, server: MockOAuthServer
) -> None:
    session: dict[str, Any] = {}
    log_in(logins, mock_client(server), server, session)
    first = browser_session.login_id(session)
    log_in(logins, mock_client(server), server, session, user="bob")
    second = browser_session.login_id(session)
    assert first is not None and second is not None and first != second
    assert logins.read(first) is None and logins.read(second) is not None


def pending(**changes: Any) -> PendingLogin:
    values: dict[str, Any] = {
        "client": "mock",
        "redirect_uri": "http://127.0.0.1/cb",
        "saved_login": "{}",
        "next_url": None,
        "issued_at": time.time(),
    }
    values.update(changes)
    return PendingLogin(**values)


def test_a_redirect_for_another_provider_s_login_is_refused() -> None:
    with pytest.raises(StateMismatchError, match="another provider"):
        check_pending(pending(client="github"), "mock")


def test_a_login_started_by_another_version_is_refused() -> None:
    with pytest.raises(StateMismatchError, match="another version"):
        check_pending(pending(saved_login=None), "mock")


def test_a_checked_login_in_progress_gives_the_engine_s_saved_login() -> None:
    assert check_pending(pending(saved_login='{"state":"s"}'), "mock") == '{"state":"s"}'
