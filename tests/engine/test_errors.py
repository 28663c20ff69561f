"""Bad answers and bad input: each one is a typed error, in time, with no secret in it."""

import json
import socket
import time
from typing import Any

import pytest

from conftest import login_sync
from flet_auth import (
    AuthError,
    AuthorizationService,
    ConfigurationError,
    HTTPStatusError,
    InsecureTransportError,
    InvalidResponseError,
    OAuthError,
    OAuthProvider,
    OAuthToken,
    TimeoutError,
    TransportError,
)
from flet_auth.testing import MockOAuthServer


def exchange(server: MockOAuthServer, **settings: Any) -> AuthorizationService:
    """Starts a login and exchanges its code; raises what the exchange raises."""
    service = AuthorizationService(server.provider(**settings), True, False)
    url, _ = service.get_authorization_data()
    code = server.authorize(url)["code"]
    service.request_token_sync(code)
    return service


BAD_TOKEN_ANSWERS = [
    (
        "idp_500",
        dict(status=500, body="Internal Server Error", content_type="text/plain"),
        HTTPStatusError,
    ),
    (
        "html_body",
        dict(status=200, body="<html><body>Sign in</body></html>", content_type="text/html"),
        InvalidResponseError,
    ),
    ("malformed_json", dict(status=200, body='{"access_token": "abc",'), InvalidResponseError),
    (
        "error_in_200",
        dict(
            status=200,
            body=json.dumps({"error": "bad_verification_code", "error_description": "expired"}),
        ),
        OAuthError,
    ),
    (
        "no_access_token",
        dict(status=200, body=json.dumps({"token_type": "bearer"})),
        InvalidResponseError,
    ),
    (
        "expires_in_not_a_number",
        dict(status=200, body=json.dumps({"access_token": "abc", "expires_in": "soon"})),
        InvalidResponseError,
    ),
    ("error_in_400", dict(status=400, body=json.dumps({"error": "invalid_grant"})), OAuthError),
]


@pytest.mark.parametrize(
    "fault, expected",
    [(f, e) for _, f, e in BAD_TOKEN_ANSWERS],
    ids=[n for n, _, _ in BAD_TOKEN_ANSWERS],
)
def test_bad_token_answers_are_typed_errors(
    server: MockOAuthServer, fault: dict[str, Any], expected: type[AuthError]
) -> None:
    server.fail("token", **fault)
    started = time.monotonic()
    with pytest.raises(expected) as raised:
        exchange(server)
    assert time.monotonic() - started < 5
    assert isinstance(raised.value, AuthError)


def test_oauth_error_keeps_error_description_and_status(server: MockOAuthServer) -> None:
    body = json.dumps(
        {
            "error": "bad_verification_code",
            "error_description": "The code expired",
            "error_uri": "https://docs.invalid/e",
        }
    )
    server.fail("token", 200, body)
    with pytest.raises(OAuthError) as raised:
        exchange(server)
    err = raised.value
    assert (err.error, err.error_description, err.status) == (
        "bad_verification_code",
        "The code expired",
        200,
    )
    assert err.error_uri == "https://docs.invalid/e"


def test_http_status_error_keeps_the_status(server: MockOAuthServer) -> None:
    server.fail("token", 503, "busy", content_type="text/plain")
    with pytest.raises(HTTPStatusError) as raised:
        exchange(server)
    assert raised.value.status == 503


def test_answer_slower_than_the_timeout_is_a_timeout_error(server: MockOAuthServer) -> None:
    server.fail("token", delay=5)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        exchange(server, timeout=0.5)
    assert time.monotonic() - started < 0.5 + 1
    # also the builtin, so `except TimeoutError` of the standard library catches it
    assert issubclass(
        TimeoutError,
        __builtins__["TimeoutError"]
        if isinstance(__builtins__, dict)
        else __builtins__.TimeoutError,
    )


def test_connection_closed_mid_answer_is_a_transport_error(server: MockOAuthServer) -> None:
    server.fail("token", close=True)
    with pytest.raises(TransportError):
        exchange(server)


def test_connection_refused_is_a_transport_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = OAuthProvider(
        "id",
        "secret",
        f"http://127.0.0.1:{port}/a",
        f"http://127.0.0.1:{port}/t",
        "http://127.0.0.1/cb",
    )
    service = AuthorizationService(provider, False, False)
    with pytest.raises(TransportError):
        service.request_token_sync("code")


def test_unknown_code_is_invalid_grant(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    service.get_authorization_data()
    with pytest.raises(OAuthError) as raised:
        service.request_token_sync("not-a-code")
    assert raised.value.error == "invalid_grant"


def test_replayed_code_is_invalid_grant(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(pkce=False), True, False)
    url, _ = service.get_authorization_data()
    code = server.authorize(url)["code"]
    service.request_token_sync(code)
    again = AuthorizationService(server.provider(pkce=False), True, False)
    with pytest.raises(OAuthError) as raised:
        again.request_token_sync(code)
    assert raised.value.error == "invalid_grant"


def test_wrong_pkce_verifier_is_invalid_grant(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    url, _ = service.get_authorization_data()
    code = server.authorize(url)["code"]
    service.get_authorization_data()  # a new login replaces the verifier
    with pytest.raises(OAuthError) as raised:
        service.request_token_sync(code)
    assert raised.value.error == "invalid_grant"


def test_user_endpoint_failure_is_typed(server: MockOAuthServer) -> None:
    server.fail("userinfo", 502, "bad gateway", content_type="text/plain")
    with pytest.raises(HTTPStatusError):
        login_sync(server)


def test_user_endpoint_without_user_id_fn_is_a_configuration_error(
    server: MockOAuthServer,
) -> None:
    provider = server.provider()
    provider.user_id_fn = None
    with pytest.raises(ConfigurationError):
        login_sync(server, provider)
    assert issubclass(ConfigurationError, ValueError)


OFF_LOOPBACK = "http://idp.invalid"


@pytest.mark.parametrize("endpoint", ["authorization_endpoint", "token_endpoint"])
def test_plain_http_off_loopback_is_refused_when_the_service_is_built(endpoint: str) -> None:
    urls = {
        "authorization_endpoint": "https://idp.invalid/authorize",
        "token_endpoint": "https://idp.invalid/token",
    }
    urls[endpoint] = f"{OFF_LOOPBACK}/{endpoint}"
    provider = OAuthProvider("id", "secret", redirect_url="http://127.0.0.1:8550/cb", **urls)
    with pytest.raises(InsecureTransportError, match=endpoint):
        AuthorizationService(provider, False, False)


def test_a_malformed_token_endpoint_is_refused_before_the_user_is_sent_to_the_provider() -> None:
    provider = OAuthProvider(
        "id",
        "secret",
        "https://idp.invalid/authorize",
        "https//idp.invalid/token",
        "http://127.0.0.1:8550/cb",
    )
    with pytest.raises(ConfigurationError, match="token_endpoint"):
        AuthorizationService(provider, False, False)


def test_plain_http_user_endpoint_off_loopback_is_refused(server: MockOAuthServer) -> None:
    provider = server.provider(user_endpoint=None)
    provider.user_endpoint = f"{OFF_LOOPBACK}/userinfo"
    with pytest.raises(InsecureTransportError):
        login_sync(server, provider)


def test_unreachable_https_host_is_a_transport_error() -> None:
    provider = OAuthProvider(
        "id",
        "secret",
        "https://idp.invalid/authorize",
        "https://idp.invalid/token",
        "http://127.0.0.1:8550/cb",
        timeout=5,
    )
    with pytest.raises(TransportError):
        AuthorizationService(provider, False, False).request_token_sync("code")


def test_refresh_failure_is_typed_and_keeps_the_old_token(server: MockOAuthServer) -> None:
    service = login_sync(server)
    token = service.get_token_sync()
    assert token is not None
    old_access, old_refresh = token.access_token, token.refresh_token
    token.expires_at = 0
    server.fail("token", 400, json.dumps({"error": "invalid_grant"}))
    with pytest.raises(OAuthError):
        service.get_token_sync()
    assert (token.access_token, token.refresh_token) == (old_access, old_refresh)
    kept = service.get_token_sync()  # the next call tries again and succeeds
    assert kept is not None and kept.access_token != old_access


@pytest.mark.parametrize("timeout", [1e30, float("inf"), float("nan")])
def test_a_timeout_too_large_or_not_a_number_is_a_configuration_error(
    server: MockOAuthServer, timeout: float
) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        AuthorizationService(server.provider(timeout=timeout), False, False)


def test_a_fault_delay_too_large_is_refused_by_the_bundled_provider(
    server: MockOAuthServer,
) -> None:
    with pytest.raises(ConfigurationError, match="delay"):
        server.fail("token", 500, delay=1e30)


@pytest.mark.parametrize("interval", [-1.0, 1e30, float("nan")])
def test_a_bad_device_interval_is_refused_by_the_bundled_provider(interval: float) -> None:
    with pytest.raises(ConfigurationError, match="device_interval"):
        MockOAuthServer(device_interval=interval)


def test_bad_settings_are_configuration_errors(server: MockOAuthServer) -> None:
    with pytest.raises(ConfigurationError):
        AuthorizationService(server.provider(token_endpoint_auth_method="magic"), False, False)
    with pytest.raises(ConfigurationError):
        AuthorizationService(server.provider(timeout=-1), False, False)
    provider = server.provider()
    provider.token_endpoint = "not a url"
    with pytest.raises(ConfigurationError):
        AuthorizationService(provider, False, False).request_token_sync("code")
    with pytest.raises(ConfigurationError):
        server.fail("nowhere")


def test_bad_saved_tokens_are_value_errors() -> None:
    for saved in [
        "",
        "{",
        "[]",
        '{"scope": []}',
        '{"access_token": 5}',
        '{"access_token": "a", "expires_at": "tomorrow"}',
    ]:
        with pytest.raises(ValueError):
            OAuthToken.from_json(saved)


def test_no_secret_or_token_in_reprs_and_messages(server: MockOAuthServer) -> None:
    provider = server.provider()
    service = login_sync(server, provider)
    token = service.get_token_sync()
    assert token is not None
    secrets = [server.client_secret, token.access_token, token.refresh_token]
    texts = [
        repr(token),
        str(token),
        repr(provider),
        repr(service),
        repr(server),
    ]
    server.fail("token", 400, json.dumps({"error": "invalid_grant"}))
    token.expires_at = 0
    with pytest.raises(OAuthError) as raised:
        service.get_token_sync()
    texts += [str(raised.value), repr(raised.value)]
    for text in texts:
        for secret in secrets:
            assert secret and secret not in text, text
