"""What the core keeps in the browser's session, and the CSRF token of the logout form."""

from typing import Any, Optional

import pytest

from flet_auth.web import session as browser_session
from flet_auth.web.csrf import csrf_matches, new_csrf_token


def test_a_browser_gets_one_id_that_stays() -> None:
    session: dict[str, Any] = {}
    first = browser_session.start_browser(session)
    assert len(first) >= 32 and browser_session.start_browser(session) == first
    assert browser_session.browser_id(session) == first


def test_a_new_login_puts_its_id_and_a_new_csrf_token_in_the_session() -> None:
    session: dict[str, Any] = {}
    before = browser_session.csrf_token(session)
    browser_session.start_session(session, "login-id")
    assert browser_session.login_id(session) == "login-id"
    assert browser_session.csrf_token(session) not in ("", before)


def test_the_csrf_token_is_made_once_per_session() -> None:
    session: dict[str, Any] = {}
    assert browser_session.csrf_token(session) == browser_session.csrf_token(session)


@pytest.mark.parametrize("sent", [None, "", "wrong"])
def test_only_the_session_s_csrf_token_is_valid(sent: Optional[str]) -> None:
    session: dict[str, Any] = {}
    token = browser_session.csrf_token(session)
    assert browser_session.csrf_valid(session, token)
    assert not browser_session.csrf_valid(session, sent)


def test_a_session_without_a_csrf_token_accepts_none() -> None:
    assert not browser_session.csrf_valid({}, "")
    assert not browser_session.csrf_valid({}, "anything")


def test_a_new_login_keeps_nothing_the_session_held_before_it() -> None:
    session: dict[str, Any] = {"role": "admin", browser_session.BROWSER_ID: "planted"}
    browser_session.start_session(session, "login-id")
    assert set(session) == {browser_session.LOGIN_ID, browser_session.CSRF_TOKEN}


def test_ending_the_session_drops_the_login_and_the_csrf_token() -> None:
    session: dict[str, Any] = {}
    browser_session.start_session(session, "login-id")
    session["other"] = 1
    browser_session.end_session(session)
    assert session == {"other": 1}


def test_values_of_another_type_in_the_session_count_as_absent() -> None:
    session: dict[str, Any] = {browser_session.LOGIN_ID: 5, browser_session.BROWSER_ID: [1]}
    assert browser_session.login_id(session) is None
    assert browser_session.browser_id(session) is None


def test_csrf_tokens_are_fresh_and_compared_exactly() -> None:
    token = new_csrf_token()
    assert token != new_csrf_token() and len(token) >= 43
    assert csrf_matches(token, token)
    assert not csrf_matches(token[:-1], token)
    assert not csrf_matches(None, token) and not csrf_matches(token, None)
