"""The device authorization grant (RFC 8628) against the bundled provider: the codes, the
polling (pending, slow_down, denied, expired), cancelling it, and the token and user after."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest

from flet_auth import (
    AuthorizationService,
    AuthPage,
    ConfigurationError,
    DeviceAuthorization,
    FileTokenStore,
    IDTokenError,
    LoginEvent,
    OAuthError,
    OAuthToken,
)
from flet_auth.testing import MockOAuthServer

FAST = 0.05
"""The provider's `interval` in most tests: polls come quickly."""


@pytest.fixture
def server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer(device_interval=FAST) as s:
        yield s


async def until(condition: Any) -> None:
    """Waits (up to 10 s) until `condition()` holds."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def polls(server: MockOAuthServer) -> int:
    return server.count("token.device_code")


async def test_a_pending_login_is_polled_until_approved_then_has_the_token_and_user(
    server: MockOAuthServer,
) -> None:
    service = AuthorizationService(server.provider(), fetch_user=True, fetch_groups=False)
    flow = await service.start_device_login()
    waiting = asyncio.ensure_future(flow.wait())
    await until(lambda: server.count("token.authorization_pending") >= 2)
    server.approve_device(flow.user_code, user="bob")
    await waiting
    token = service.current_token
    assert token is not None and token.access_token and token.refresh_token
    assert token.scope == ["openid", "profile", "email"]
    assert service.user is not None and service.user.id == "1002"
    assert polls(server) == server.count("token.authorization_pending") + 1


def test_the_response_carries_the_codes_and_the_interval(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    flow = service.start_device_login_sync()
    assert isinstance(flow, DeviceAuthorization)
    assert len(flow.user_code) == 9 and flow.user_code[4] == "-"
    assert flow.verification_uri == f"{server.url}/device"
    assert flow.verification_uri_complete == f"{server.url}/device?user_code={flow.user_code}"
    assert flow.expires_in == 600
    assert flow.interval == pytest.approx(FAST)
    assert server.count("device_authorization") == 1


def test_the_repr_shows_the_user_code_and_nothing_else(server: MockOAuthServer) -> None:
    flow = AuthorizationService(server.provider(), True, False).start_device_login_sync()
    assert repr(flow) == (
        f"DeviceAuthorization(user_code={flow.user_code!r}, "
        f"verification_uri={flow.verification_uri!r}, expires_in=600)"
    )


def test_wait_sync_logs_in_with_the_sync_api(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    flow = service.start_device_login_sync()
    server.approve_device(flow.user_code)
    flow.wait_sync()
    assert service.user is not None and service.user.id == "1001"
    assert service.get_token_sync() is not None


async def test_a_denied_login_raises_access_denied(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    flow = await service.start_device_login()
    server.deny_device(flow.user_code)
    with pytest.raises(OAuthError) as raised:
        await flow.wait()
    assert raised.value.error == "access_denied"
    assert raised.value.status == 400
    assert service.current_token is None and service.user is None


async def test_the_providers_expired_token_ends_the_wait(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    flow = await service.start_device_login()
    server.fail("token", 400, '{"error":"expired_token"}')
    with pytest.raises(OAuthError) as raised:
        await flow.wait()
    assert raised.value.error == "expired_token"
    assert raised.value.status == 400
    assert server.count("token") == 1


async def test_the_polling_stops_at_expires_in_without_asking_again() -> None:
    # Polls at 1.2 s (pending); the next would come at 2.4 s, after the codes expired at 2 s.
    with MockOAuthServer(device_interval=1.2, device_expires_in=2) as server:
        service = AuthorizationService(server.provider(), True, False)
        flow = await service.start_device_login()
        with pytest.raises(OAuthError) as raised:
            await flow.wait()
        assert raised.value.error == "expired_token"
        assert raised.value.status is None, "decided here, not by the provider"
        assert polls(server) == 1


async def test_slow_down_adds_five_seconds_to_the_interval() -> None:
    # The provider then refuses (with slow_down again) a poll sooner than 5.05 s; a client
    # that keeps polling fast ends with expired_token after 10 s.
    with MockOAuthServer(device_interval=FAST, device_expires_in=10) as server:
        service = AuthorizationService(server.provider(), True, False)
        flow = await service.start_device_login()
        server.approve_device(flow.user_code)
        server.slow_down_device()
        await flow.wait()
        assert service.current_token is not None
        assert flow.interval == pytest.approx(FAST + 5)
        assert server.count("token.slow_down") == 1
        assert polls(server) == 2


async def test_cancelling_wait_stops_the_polling(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    flow = await service.start_device_login()
    waiting = asyncio.ensure_future(flow.wait())
    await until(lambda: polls(server) >= 1)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    seen = polls(server)
    await asyncio.sleep(20 * FAST)
    assert polls(server) <= seen + 1, "at most the poll in flight when cancelled"
    settled = polls(server)
    await asyncio.sleep(20 * FAST)
    assert polls(server) == settled
    assert service.current_token is None


def test_a_provider_without_a_device_endpoint_is_a_configuration_error(
    server: MockOAuthServer,
) -> None:
    provider = server.provider(device_authorization_endpoint=None)
    service = AuthorizationService(provider, True, False)
    with pytest.raises(ConfigurationError, match="device_authorization_endpoint"):
        service.start_device_login_sync()
    assert server.count("device_authorization") == 0


@pytest.mark.parametrize(
    ("method", "public"),
    [("client_secret_post", False), ("client_secret_basic", False), ("none", True)],
)
def test_the_client_authenticates_at_the_device_endpoint(
    server: MockOAuthServer, method: str, public: bool
) -> None:
    provider = server.provider(token_endpoint_auth_method=method, public=public)
    service = AuthorizationService(provider, True, False)
    flow = service.start_device_login_sync()
    server.approve_device(flow.user_code)
    flow.wait_sync()
    assert service.user is not None


def test_a_wrong_client_secret_is_refused_at_the_device_endpoint(
    server: MockOAuthServer,
) -> None:
    provider = server.provider()
    provider.client_secret = "wrong"
    with pytest.raises(OAuthError) as raised:
        AuthorizationService(provider, True, False).start_device_login_sync()
    assert raised.value.error == "invalid_client" and raised.value.status == 401
    assert "wrong" not in str(raised.value)


async def test_on_token_update_gets_the_token_before_wait_returns(
    server: MockOAuthServer,
) -> None:
    seen: list[OAuthToken] = []

    async def on_token_update(token: OAuthToken) -> None:
        seen.append(token)

    service = AuthorizationService(server.provider(), True, False, on_token_update=on_token_update)
    flow = await service.start_device_login()
    server.approve_device(flow.user_code)
    await flow.wait()
    token = service.current_token
    assert token is not None
    assert [t.access_token for t in seen] == [token.access_token]


async def test_an_openid_device_login_verifies_the_id_token_and_gets_the_user(
    server: MockOAuthServer,
) -> None:
    provider = server.openid_provider()
    assert provider.device_authorization_endpoint == server.device_authorization_endpoint
    service = AuthorizationService(provider, fetch_user=True, fetch_groups=False)
    flow = await service.start_device_login()
    server.approve_device(flow.user_code)
    await flow.wait()
    claims = service.id_token_claims
    assert claims is not None and claims["sub"] == "1001" and "nonce" not in claims
    assert service.user is not None and service.user["email"] == "alice@example.com"


async def test_a_forged_id_token_from_a_device_login_is_refused(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.openid_provider(), True, False)
    flow = await service.start_device_login()
    server.approve_device(flow.user_code)
    server.forge_id_token("wrong_aud")
    with pytest.raises(IDTokenError):
        await flow.wait()
    assert service.current_token is None


def test_the_verification_page_approves_as_the_user_picked(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    flow = service.start_device_login_sync()
    assert flow.verification_uri_complete is not None
    with urlopen(flow.verification_uri_complete, timeout=10) as page:
        assert f'value="{flow.user_code}"' in page.read().decode()
    form = {"user_code": flow.user_code, "username": "bob", "decision": "allow"}
    with urlopen(Request(flow.verification_uri, urlencode(form).encode()), timeout=10) as done:
        assert b"The device is connected" in done.read()
    flow.wait_sync()
    assert service.user is not None and service.user.id == "1002"


def test_approving_an_unknown_user_code_is_refused(server: MockOAuthServer) -> None:
    with pytest.raises(ConfigurationError, match="BCDF-GHJK"):
        server.approve_device("BCDF-GHJK")


async def test_login_device_calls_on_user_code_then_saves_the_token(
    server: MockOAuthServer, tmp_path: Path
) -> None:
    store = FileTokenStore(tmp_path / "token", "k")
    page = AuthPage(store=store)
    events: list[LoginEvent] = []
    page.on_login = events.append
    shown: list[DeviceAuthorization] = []

    def on_user_code(flow: DeviceAuthorization) -> None:
        shown.append(flow)
        server.approve_device(flow.user_code)

    service = await page.login_device(server.provider(), on_user_code=on_user_code)
    assert page.auth is service and len(shown) == 1
    assert service.user is not None and service.user.id == "1001"
    token = service.current_token
    assert token is not None and store.load() == token.to_json()
    assert [e.error for e in events] == [""]


async def test_login_device_prints_the_code_and_the_url(
    server: MockOAuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    printed: list[str] = []

    async def approve_what_is_printed() -> None:
        def code_shown() -> bool:
            printed.append(capsys.readouterr().out)
            return "enter the code" in "".join(printed)

        await until(code_shown)
        code = "".join(printed).split("enter the code ")[1].split()[0]
        server.approve_device(code)

    approving = asyncio.ensure_future(approve_what_is_printed())
    page = AuthPage()
    await page.login_device(server.provider())
    await approving
    out = "".join(printed)
    assert f"open {server.url}/device and enter the code " in out
    assert f"{server.url}/device?user_code=" in out
    assert page.auth is not None and page.auth.user is not None


async def test_a_denied_device_login_is_a_login_event_and_saves_nothing(
    server: MockOAuthServer, tmp_path: Path
) -> None:
    store = FileTokenStore(tmp_path / "token", "k")
    page = AuthPage(store=store)
    events: list[LoginEvent] = []
    page.on_login = events.append
    await page.login_device(
        server.provider(), on_user_code=lambda flow: server.deny_device(flow.user_code)
    )
    assert page.auth is None and store.load() is None
    assert [e.error for e in events] == ["access_denied"]


async def test_login_device_starts_from_a_saved_token(
    server: MockOAuthServer, tmp_path: Path
) -> None:
    store = FileTokenStore(tmp_path / "token", "k")
    first = AuthPage(store=store)
    await first.login_device(
        server.provider(), on_user_code=lambda flow: server.approve_device(flow.user_code)
    )
    again = AuthPage(store=store)
    await again.login_device(server.provider(), on_user_code=pytest.fail)
    assert again.auth is not None and again.auth.user is not None
    assert server.count("device_authorization") == 1
