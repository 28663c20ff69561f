"""End-to-end logins against the bundled provider, over real HTTP on loopback."""

import asyncio
import json
import time
from typing import Any

import pytest

from conftest import login, login_sync
from flet_auth import AuthorizationService, HTTPStatusError, OAuthToken, StateMismatchError
from flet_auth.testing import MockOAuthServer


def test_confidential_client_logs_in_and_gets_the_user(server: MockOAuthServer) -> None:
    service = login_sync(server)
    token = service.get_token_sync()
    assert token is not None and token.access_token
    assert token.token_type == "Bearer"
    assert token.refresh_token
    assert service.user is not None
    assert service.user.id == "1001"
    assert service.user["email"] == "alice@example.com"
    assert server.count("token.authorization_code") == 1
    assert server.count("userinfo") == 1


async def test_async_login_gets_user_and_groups_from_github_endpoints(
    server: MockOAuthServer,
) -> None:
    service = await login(server, server.github_provider(), user="bob", fetch_groups=True)
    assert service.user is not None
    assert service.user.id == "1002"
    assert service.user["login"] == "bob"
    assert service.user["email"] == "bob@example.com"
    assert [g.name for g in service.user.groups] == ["developers"]
    assert set(service.scope) == {"read:user", "user:email", "read:org"}


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic"])
def test_client_authentication_methods(server: MockOAuthServer, method: str) -> None:
    service = login_sync(server, server.provider(token_endpoint_auth_method=method))
    assert service.get_token_sync() is not None


def test_wrong_client_secret_is_an_invalid_client_error(server: MockOAuthServer) -> None:
    from flet_auth import OAuthError

    provider = server.provider()
    provider.client_secret = "wrong"
    with pytest.raises(OAuthError) as raised:
        login_sync(server, provider)
    assert raised.value.error == "invalid_client"
    assert raised.value.status == 401
    assert "wrong" not in str(raised.value)


def test_public_client_logs_in_with_pkce_and_no_secret(server: MockOAuthServer) -> None:
    service = login_sync(server, server.provider(public=True))
    assert service.user is not None and service.user.id == "1001"


def test_public_client_without_pkce_is_refused_by_the_provider(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(public=True, pkce=False), True, False)
    url, _ = service.get_authorization_data()
    assert server.authorize(url)["error"] == "invalid_request"


def test_denied_consent_comes_back_as_access_denied(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    url, state = service.get_authorization_data()
    redirect = server.authorize(url, approve=False)
    assert redirect == {
        "error": "access_denied",
        "error_description": "The user denied the request",
        "state": state,
        "iss": server.issuer,  # RFC 9207 §2: error responses name the issuer too
    }


def test_forged_state_is_refused(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    service.get_authorization_data()
    with pytest.raises(StateMismatchError):
        service.check_state("forged")


def test_refresh_rotates_the_refresh_token_and_leaves_held_tokens_as_they_were(
    server: MockOAuthServer,
) -> None:
    service = login_sync(server)
    held = service.get_token_sync()
    assert held is not None
    first_access, first_refresh = held.access_token, held.refresh_token
    held.expires_at = time.time() + 30  # inside the 60 s refresh window
    fresh = service.get_token_sync()
    assert fresh is not None
    assert fresh.access_token != first_access
    assert fresh.refresh_token != first_refresh
    assert (held.access_token, held.refresh_token) == (first_access, first_refresh)
    assert server.count("token.refresh_token") == 1


def test_each_on_token_update_call_gets_its_own_unchanging_token(server: MockOAuthServer) -> None:
    given: list[tuple[OAuthToken, str]] = []
    service = login_sync(server, on_token_update=lambda t: given.append((t, t.to_json())))
    for _ in range(2):
        current = service.get_token_sync()
        assert current is not None
        current.expires_at = 0
        service.get_token_sync()
    assert len(given) == 3 and len({id(token) for token, _ in given}) == 3
    assert [token.to_json() for token, _ in given] == [json_then for _, json_then in given]
    assert len({token.access_token for token, _ in given}) == 3


def test_token_that_is_not_close_to_expiry_is_not_refreshed(server: MockOAuthServer) -> None:
    service = login_sync(server)
    for _ in range(3):
        service.get_token_sync()
    assert server.count("token.refresh_token") == 0


def test_sync_token_property_refreshes_like_flets_older_api(server: MockOAuthServer) -> None:
    service = login_sync(server)
    before = service.token
    assert before is not None
    old = before.access_token
    before.expires_at = 0
    after = service.token
    assert after is not None and after.access_token != old


def test_refresh_answer_without_refresh_token_keeps_the_old_one(server: MockOAuthServer) -> None:
    service = login_sync(server)
    token = service.get_token_sync()
    assert token is not None
    refresh_token = token.refresh_token
    server.fail("token", 200, json.dumps({"access_token": "renewed", "expires_in": 600}))
    token.expires_at = 0
    fresh = service.get_token_sync()
    assert fresh is not None
    assert fresh.access_token == "renewed"
    assert fresh.refresh_token == refresh_token
    assert fresh.scope == ["openid", "profile", "email"]


def test_expires_at_is_computed_from_expires_in(server: MockOAuthServer) -> None:
    server.access_token_ttl = 1234
    service = login_sync(server)
    token = service.get_token_sync()
    assert token is not None
    assert token.expires_in == 1234
    assert token.expires_at is not None
    assert abs(token.expires_at - (time.time() + 1234)) < 5


def test_on_token_update_gets_every_new_token_before_callers(server: MockOAuthServer) -> None:
    seen: list[str] = []
    service = login_sync(server, on_token_update=lambda t: seen.append(t.to_json()))
    assert len(seen) == 1
    token = service.get_token_sync()
    assert token is not None
    token.expires_at = 0
    fresh = service.get_token_sync()
    assert fresh is not None
    assert len(seen) == 2
    assert json.loads(seen[1])["refresh_token"] == fresh.refresh_token


async def test_async_on_token_update_is_awaited(server: MockOAuthServer) -> None:
    seen: list[str] = []

    async def save(token: OAuthToken) -> None:
        await asyncio.sleep(0.01)
        seen.append(token.access_token)

    service = await login(server, on_token_update=save)
    token = await service.get_token()
    assert token is not None
    token.expires_at = 0
    fresh = await service.get_token()
    assert fresh is not None
    assert seen == [seen[0], fresh.access_token]


def test_async_hook_also_works_for_sync_callers(server: MockOAuthServer) -> None:
    seen: list[str] = []

    async def save(token: OAuthToken) -> None:
        seen.append(token.access_token)

    login_sync(server, on_token_update=save)
    assert len(seen) == 1


def test_failing_hook_raises_but_keeps_the_new_token(server: MockOAuthServer) -> None:
    calls: list[int] = []

    def save(token: OAuthToken) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    service = login_sync(server, on_token_update=save)
    token = service.get_token_sync()
    assert token is not None
    old = token.access_token
    token.expires_at = 0
    with pytest.raises(RuntimeError, match="disk full"):
        service.get_token_sync()
    kept = service.get_token_sync()
    assert kept is not None and kept.access_token != old


async def test_saved_token_logs_in_again_without_a_browser(server: MockOAuthServer) -> None:
    first = await login(server)
    token = await first.get_token()
    assert token is not None
    saved = token.to_json()
    again = AuthorizationService(server.provider(), fetch_user=True, fetch_groups=False)
    await again.dehydrate_token(saved)
    assert again.user is not None and again.user.id == "1001"
    assert server.count("authorize") == 1
    assert server.count("token.refresh_token") == 0


def test_expired_saved_token_is_refreshed_on_dehydrate(server: MockOAuthServer) -> None:
    first = login_sync(server)
    token = first.get_token_sync()
    assert token is not None
    token.expires_at = time.time() - 10
    again = AuthorizationService(server.provider(), fetch_user=True, fetch_groups=False)
    again.dehydrate_token_sync(token.to_json())
    fresh = again.get_token_sync()
    assert fresh is not None and fresh.access_token != token.access_token
    assert server.count("token.refresh_token") == 1


def test_login_without_fetch_user_makes_no_user_request(server: MockOAuthServer) -> None:
    service = login_sync(server, fetch_user=False)
    assert service.user is None
    assert server.count("userinfo") == 0


def test_clear_forgets_the_token(server: MockOAuthServer) -> None:
    service = login_sync(server)
    service.clear()
    assert service.get_token_sync() is None
    assert service.user is None


def test_a_changed_provider_attribute_is_read_by_the_next_service(server: MockOAuthServer) -> None:
    provider = server.provider(authorization_params={"prompt": "login"})
    first = AuthorizationService(provider, True, False)
    assert "prompt=login" in first.get_authorization_data()[0]
    provider.authorization_params = {"prompt": "consent"}
    provider.scopes = ["openid"]
    second = AuthorizationService(provider, True, False)
    url = second.get_authorization_data()[0]
    assert "prompt=consent" in url and "scope=openid&" in url
    assert "prompt=login" in first.get_authorization_data()[0]  # a service keeps its settings
    provider.token_endpoint = server.url + "/nowhere"
    with pytest.raises(HTTPStatusError, match="404"):
        login_sync(server, provider)


def test_providers_still_copy_and_pickle_after_use(server: MockOAuthServer) -> None:
    import copy
    import pickle

    provider = server.provider(user_id_fn=None)
    AuthorizationService(provider, False, False)
    clone = copy.deepcopy(provider)
    restored = pickle.loads(pickle.dumps(clone))
    assert restored.token_endpoint == provider.token_endpoint
    assert login_sync(server, restored, fetch_user=False).get_token_sync() is not None


def test_scope_is_a_list_the_app_can_change_before_the_login(server: MockOAuthServer) -> None:
    provider = server.provider(scopes=["openid"])
    service = AuthorizationService(provider, False, False)
    other = AuthorizationService(provider, False, False)
    assert service.scope == ["openid"]
    service.scope.append("email")
    assert service.scope == ["openid", "email"]
    assert _query(service.get_authorization_data()[0])["scope"] == ["openid email"]
    assert other.scope == ["openid"]  # services of one provider do not share the list
    service.scope = ["profile"]
    assert _query(service.get_authorization_data()[0])["scope"] == ["profile"]
    service.scope = ["profile", 3]  # type: ignore[list-item]
    with pytest.raises(ValueError, match="list of strings"):
        service.get_authorization_data()


async def test_hooks_run_on_the_callers_thread_and_see_its_contextvars(
    server: MockOAuthServer,
) -> None:
    import contextvars
    import threading

    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    request_id.set("r-42")
    seen: list[tuple[int, str]] = []

    async def save(token: OAuthToken) -> None:
        seen.append((threading.get_ident(), request_id.get("unset")))

    service = await login(server, on_token_update=save)
    sync_threads: list[int] = []
    service_sync = login_sync(
        server, on_token_update=lambda t: sync_threads.append(threading.get_ident())
    )
    assert seen == [(threading.get_ident(), "r-42")]
    assert sync_threads == [threading.get_ident()]
    assert service.user is not None and service_sync.user is not None


def test_subclasses_may_take_their_own_arguments(server: MockOAuthServer) -> None:
    from flet_auth import ConfigurationError

    class AuditedService(AuthorizationService):
        def __init__(self, audit: list[str], provider: Any, fetch_user: bool, *, tag: str) -> None:
            super().__init__(provider, fetch_user, False)
            self.audit = audit
            audit.append(tag)

    audit: list[str] = []
    service = AuditedService(audit, server.provider(), True, tag="login")
    url, _ = service.get_authorization_data()
    service.request_token_sync(server.authorize(url)["code"])
    assert audit == ["login"] and service.user is not None

    class Forgetful(AuthorizationService):
        def __init__(self) -> None:
            pass

    with pytest.raises(ConfigurationError, match="not set up"):
        Forgetful().get_authorization_data()


def _query(url: str) -> dict[str, list[str]]:
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(url).query)
