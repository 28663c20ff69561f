"""The engine's protocol rules as Python code (the web core, AuthPage, flet_auth.flet) calls
them: when a token is due for refresh or dead, how long a login in progress lives, what a
redirect's query means. Each is checked against what the engine itself does."""

import json
import time
from typing import Any

import pytest

from conftest import login_sync
from flet_auth import (
    AuthorizationService,
    InvalidResponseError,
    OAuthError,
    OAuthToken,
    StateMismatchError,
)
from flet_auth._core import LOGIN_TTL, REFRESH_LEEWAY
from flet_auth.testing import MockOAuthServer


def needs_refresh(token: OAuthToken) -> bool:
    return token.needs_refresh()


def expired_for_good(token: OAuthToken) -> bool:
    return not token.is_usable()


@pytest.mark.parametrize("expires_in", [30, 59, 62, 3600])
def test_needs_refresh_agrees_with_the_engine(server: MockOAuthServer, expires_in: int) -> None:
    server.access_token_ttl = expires_in
    service = login_sync(server)
    token = service.current_token
    assert token is not None
    due = needs_refresh(token)
    server.reset_counts()
    service.get_token_sync()
    assert server.count("token.refresh_token") == int(due)
    assert due == (expires_in <= REFRESH_LEEWAY)


def test_a_token_without_a_refresh_token_is_never_due_and_expires_for_good() -> None:
    past = OAuthToken.from_json(f'{{"access_token":"a","expires_at":{time.time() - 1}}}')
    soon = OAuthToken.from_json(f'{{"access_token":"a","expires_at":{time.time() + 30}}}')
    assert not needs_refresh(past) and expired_for_good(past)
    assert not needs_refresh(soon) and not expired_for_good(soon)


def test_a_refreshable_token_never_expires_for_good() -> None:
    past = OAuthToken.from_json(
        f'{{"access_token":"a","refresh_token":"r","expires_at":{time.time() - 1}}}'
    )
    assert needs_refresh(past) and not expired_for_good(past)


def test_a_token_without_an_expiry_is_never_due_nor_expired() -> None:
    token = OAuthToken.from_json('{"access_token":"a","refresh_token":"r"}')
    assert not needs_refresh(token) and not expired_for_good(token)


def saved_login(server: MockOAuthServer, age: float) -> dict[str, Any]:
    """What `save_login()` gives for a login that started `age` seconds ago."""
    service = AuthorizationService(server.provider(), fetch_user=False, fetch_groups=False)
    service.get_authorization_data()
    saved: dict[str, Any] = json.loads(service.save_login() or "")
    saved["issued_at"] = time.time() - age
    return saved


def test_a_login_in_progress_within_the_lifetime_is_taken_over_by_the_engine(
    server: MockOAuthServer,
) -> None:
    saved = saved_login(server, LOGIN_TTL - 5)
    other = AuthorizationService(server.provider(), fetch_user=False, fetch_groups=False)
    other.restore_login(json.dumps(saved))
    other.check_state(saved["state"])


def test_a_login_in_progress_beyond_the_lifetime_is_refused_by_the_engine(
    server: MockOAuthServer,
) -> None:
    saved = saved_login(server, LOGIN_TTL + 5)
    other = AuthorizationService(server.provider(), fetch_user=False, fetch_groups=False)
    with pytest.raises(StateMismatchError, match="expired"):
        other.restore_login(json.dumps(saved))


def started(server: MockOAuthServer) -> tuple[AuthorizationService, str]:
    service = AuthorizationService(server.provider(), fetch_user=False, fetch_groups=False)
    return service, service.get_authorization_data()[1]


def test_a_redirect_s_error_becomes_an_oauth_error_with_its_description(
    server: MockOAuthServer,
) -> None:
    service, state = started(server)
    query = {"error": "access_denied", "error_description": "no thanks", "state": state}
    with pytest.raises(OAuthError) as caught:
        service.check_authorization_response(query)
    error = caught.value
    assert (error.error, error.error_description, error.status) == (
        "access_denied",
        "no thanks",
        None,
    )
    assert "access_denied" in str(error)


def test_a_redirect_error_without_description_has_none(server: MockOAuthServer) -> None:
    service, state = started(server)
    query = {"error": "login_required", "error_description": "", "state": state}
    with pytest.raises(OAuthError) as caught:
        service.check_authorization_response(query)
    assert caught.value.error_description is None


def test_a_redirect_without_a_code_is_an_invalid_response(server: MockOAuthServer) -> None:
    service, state = started(server)
    with pytest.raises(InvalidResponseError, match="no code"):
        service.check_authorization_response({"state": state})


def test_a_redirect_with_another_state_is_refused(server: MockOAuthServer) -> None:
    service, _ = started(server)
    with pytest.raises(StateMismatchError):
        service.check_authorization_response({"code": "c", "state": "forged"})


def test_a_checked_redirect_gives_its_code_once(server: MockOAuthServer) -> None:
    service, state = started(server)
    query = {"code": "the-code", "state": state}
    assert service.check_authorization_response(query) == "the-code"
    with pytest.raises(StateMismatchError, match="already used"):
        service.check_authorization_response(query)


def test_an_empty_error_is_no_error(server: MockOAuthServer) -> None:
    service, state = started(server)
    assert service.check_authorization_response({"error": "", "code": "c", "state": state}) == "c"
