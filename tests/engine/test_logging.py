"""Engine events reach Python's logging under `flet_auth`, never with a secret."""

import logging

import pytest

from conftest import login_sync
from flet_auth.testing import MockOAuthServer


def test_requests_and_logins_are_logged_without_secrets(
    server: MockOAuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="flet_auth")
    service = login_sync(server)
    token = service.get_token_sync()
    assert token is not None
    token.expires_at = 0
    service.get_token_sync()
    records = [r for r in caplog.records if r.name.startswith("flet_auth")]
    messages = [r.getMessage() for r in records]
    assert any(m.startswith("POST 127.0.0.1/token -> 200 in ") for m in messages), messages
    assert any(m.startswith("GET 127.0.0.1/userinfo -> 200") for m in messages), messages
    assert any("login" in m and r.levelno == logging.INFO for m, r in zip(messages, records))
    assert any(m == "token refreshed" for m in messages)
    text = "\n".join(messages)
    for secret in [server.client_secret, token.access_token, token.refresh_token]:
        assert secret and secret not in text


def test_nothing_is_logged_when_the_level_is_above_info(
    server: MockOAuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="flet_auth")
    login_sync(server)
    assert not [r for r in caplog.records if r.name.startswith("flet_auth")]
