"""The engine's rules as the web core applies them (`flet_auth.web._engine_rules`), checked
against the engine itself, so the Python copies cannot drift from it unnoticed."""

import json
import time
from typing import Any

import pytest

from conftest import login_sync
from flet_auth import AuthorizationService, OAuthToken, StateMismatchError
from flet_auth.testing import MockOAuthServer
from flet_auth.web._engine_rules import (
    expired_for_good,
    login_in_progress_expired,
    login_in_progress_lifetime,
    needs_refresh,
    redirect_error,
)


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
    assert due == (expires_in <= 60)


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
    saved = saved_login(server, login_in_progress_lifetime() - 5)
    assert not login_in_progress_expired(saved["issued_at"])
    other = AuthorizationService(server.provider(), fetch_user=False, fetch_groups=False)
    other.restore_login(json.dumps(saved))
    other.check_state(saved["state"])


def test_a_login_in_progress_beyond_the_lifetime_is_refused_by_the_engine(
    server: MockOAuthServer,
) -> None:
    saved = saved_login(server, login_in_progress_lifetime() + 5)
    assert login_in_progress_expired(saved["issued_at"])
    other = AuthorizationService(server.provider(), fetch_user=False, fetch_groups=False)
    with pytest.raises(StateMismatchError, match="expired"):
        other.restore_login(json.dumps(saved))


def test_a_redirect_s_error_becomes_an_oauth_error_with_its_description() -> None:
    error = redirect_error({"error": "access_denied", "error_description": "no thanks"})
    assert error is not None
    assert (error.error, error.error_description) == ("access_denied", "no thanks")
    assert "access_denied" in str(error)


def test_a_redirect_error_without_description_has_none() -> None:
    error = redirect_error({"error": "login_required", "error_description": ""})
    assert error is not None and error.error_description is None


def test_a_redirect_without_error_carries_none() -> None:
    assert redirect_error({"code": "c", "state": "s"}) is None
    assert redirect_error({"error": ""}) is None
