"""What the core answers on failures (statuses, JSON, the HTML page), and the events and
handlers of logins and logouts."""

import logging
from typing import Any, Optional

import pytest

from flet_auth import (
    AuthError,
    ConfigurationError,
    HTTPStatusError,
    IDTokenError,
    InternalError,
    InvalidResponseError,
    OAuthError,
    StateMismatchError,
    TransportError,
)
from flet_auth.web.errors import ErrorAnswer, login_failure
from flet_auth.web.events import AuthEvent, Handlers, failure_event
from flet_auth.web.pages import error_page


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (StateMismatchError("forged"), 400),
        (OAuthError("denied"), 401),
        (IDTokenError("wrong nonce"), 401),
        (TransportError("refused"), 502),
        (HTTPStatusError("503"), 502),
        (InvalidResponseError("no token"), 502),
    ],
)
def test_a_failed_login_maps_to_its_status(error: AuthError, status: int) -> None:
    answer = login_failure(error)
    assert answer.status == status
    assert answer.error == ""  # a page, never JSON


@pytest.mark.parametrize(
    "error",
    [
        TransportError("request to idp.invalid/internal/token failed: tcp connect error"),
        HTTPStatusError("idp.invalid/internal/token answered HTTP 503"),
        InvalidResponseError("idp.invalid/internal/token: no access_token"),
    ],
)
def test_an_unreachable_provider_s_page_is_generic_and_the_details_are_logged(
    error: AuthError, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flet_auth")
    answer = login_failure(error)
    assert answer.status == 502
    assert "idp.invalid" not in answer.title + answer.message
    assert "idp.invalid/internal/token" in caplog.text and type(error).__name__ in caplog.text


@pytest.mark.parametrize(
    "error", [InternalError("the engine task panicked"), ConfigurationError("bad endpoint")]
)
def test_a_fault_of_the_app_is_a_500_that_does_not_blame_the_provider(error: AuthError) -> None:
    answer = login_failure(error)
    assert answer.status == 500
    assert "provider" not in answer.title + answer.message
    assert str(error) not in answer.message


def test_the_error_page_escapes_its_title_message_and_link() -> None:
    page = error_page(ErrorAnswer(400, "<b>t</b>", '<script>"x"</script>'), '/"><script>')
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and 'href="/&quot;&gt;&lt;script&gt;"' in page


def test_every_handler_runs_and_the_first_answer_wins() -> None:
    handlers = Handlers()
    seen: list[str] = []

    def first(event: AuthEvent) -> Optional[str]:
        seen.append("first")
        return None

    def second(event: AuthEvent) -> str:
        seen.append("second")
        return "answer of second"

    def third(event: AuthEvent) -> str:
        seen.append("third")
        return "answer of third"

    for handler in (first, second, third):
        handlers.add("login", handler)
    assert handlers.fire(AuthEvent("mock")) == "answer of second"
    assert seen == ["first", "second", "third"]


def test_logout_handlers_see_only_logout_events() -> None:
    handlers = Handlers()
    seen: list[Any] = []
    handlers.add("logout", seen.append)
    handlers.fire(AuthEvent("mock"))
    handlers.fire(AuthEvent("mock", name="logout"))
    assert [e.name for e in seen] == ["logout"]


def test_a_refused_login_s_event_carries_the_oauth_error() -> None:
    error = OAuthError("the provider refused the login: access_denied")
    error.error, error.error_description = "access_denied", "no thanks"
    event = failure_event("mock", error)
    assert (event.provider, event.error, event.error_description) == (
        "mock",
        "access_denied",
        "no thanks",
    )
    assert event.user is None and event.name == "login"


def test_another_failure_s_event_carries_the_exception_type() -> None:
    event = failure_event("mock", StateMismatchError("the state is unknown"))
    assert event.error == "StateMismatchError"
    assert event.error_description == "the state is unknown"
