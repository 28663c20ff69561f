"""The client credentials grant (RFC 6749 §4.4) against the bundled provider: a token in the
client's own name, fetched on first use and fetched anew before it expires."""

import asyncio
import threading
from typing import Any

import pytest

from flet_auth import (
    AuthorizationService,
    ClientCredentialsService,
    ConfigurationError,
    OAuthError,
    OAuthProvider,
    OAuthToken,
)
from flet_auth.testing import MockOAuthServer


def service_of(server: MockOAuthServer, **kwargs: Any) -> ClientCredentialsService:
    return ClientCredentialsService(server.provider(scopes=[]), **kwargs)


async def test_a_token_is_fetched_with_the_client_credentials_grant(
    server: MockOAuthServer,
) -> None:
    service = service_of(server, scope=["read", "write"])
    token = await service.get_token()
    assert isinstance(token, OAuthToken) and token.access_token
    assert token.refresh_token is None
    sent = server.last_token_request()
    assert sent is not None
    assert sent["grant_type"] == "client_credentials"
    assert sent["scope"] == "read write"
    assert server.count("token.client_credentials") == 1


def test_get_token_sync_fetches_a_token(server: MockOAuthServer) -> None:
    token = service_of(server).get_token_sync()
    assert token.access_token
    assert server.count("token.client_credentials") == 1


def test_a_space_separated_scope_string_is_sent_as_given(server: MockOAuthServer) -> None:
    service_of(server, scope="read  write").get_token_sync()
    sent = server.last_token_request()
    assert sent is not None and sent["scope"] == "read write"


def test_a_fresh_token_is_not_fetched_again(server: MockOAuthServer) -> None:
    service = service_of(server)
    first = service.get_token_sync()
    second = service.get_token_sync()
    assert second.access_token == first.access_token
    assert server.count("token.client_credentials") == 1


async def test_a_token_inside_the_leeway_is_fetched_anew(server: MockOAuthServer) -> None:
    server.access_token_ttl = 30  # expires within REFRESH_LEEWAY (60 s) as soon as issued
    service = service_of(server)
    first = await service.get_token()
    second = await service.get_token()
    assert second.access_token != first.access_token
    assert server.count("token.client_credentials") == 2


async def test_20_concurrent_get_token_calls_make_one_request(server: MockOAuthServer) -> None:
    service = service_of(server)
    server.fail("token", delay=0.2)  # keep the fetch in flight while everyone asks
    tokens = await asyncio.gather(*(service.get_token() for _ in range(20)))
    assert server.count("token.client_credentials") == 1
    assert {t.access_token for t in tokens} == {tokens[0].access_token}


async def test_20_concurrent_callers_of_a_due_token_make_one_request(
    server: MockOAuthServer,
) -> None:
    service = service_of(server)
    old = (await service.get_token()).access_token
    token = service.current_token
    assert token is not None
    token.expires_at = 0
    server.fail("token", delay=0.2)
    tokens = await asyncio.gather(*(service.get_token() for _ in range(20)))
    assert server.count("token.client_credentials") == 2
    assert {t.access_token for t in tokens} == {tokens[0].access_token}
    assert tokens[0].access_token != old


def test_10_threads_make_one_request(server: MockOAuthServer) -> None:
    service = service_of(server)
    server.fail("token", delay=0.2)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(service.get_token_sync().access_token)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors
    assert len(results) == 10 and len(set(results)) == 1
    assert server.count("token.client_credentials") == 1


async def test_params_are_sent_on_the_first_fetch_and_on_the_refetch(
    server: MockOAuthServer,
) -> None:
    server.access_token_ttl = 30
    service = service_of(server, params={"audience": "https://api.example.com"})
    await service.get_token()
    first = server.last_token_request()
    await service.get_token()
    again = server.last_token_request()
    assert server.count("token.client_credentials") == 2
    assert first is not None and first["audience"] == "https://api.example.com"
    assert again is not None and again["audience"] == "https://api.example.com"


async def test_on_token_update_gets_every_fetched_token(server: MockOAuthServer) -> None:
    server.access_token_ttl = 30
    seen: list[str] = []

    async def save(token: OAuthToken) -> None:
        seen.append(token.access_token)

    service = service_of(server, on_token_update=save)
    first = await service.get_token()
    second = await service.get_token()
    assert seen == [first.access_token, second.access_token]


async def test_an_invalid_client_answer_is_an_oauth_error(server: MockOAuthServer) -> None:
    provider = server.provider()
    provider.client_secret = "wrong"
    service = ClientCredentialsService(provider)
    with pytest.raises(OAuthError) as caught:
        await service.get_token()
    assert caught.value.error == "invalid_client"
    assert service.current_token is None


def test_a_public_client_is_refused_the_grant(server: MockOAuthServer) -> None:
    with pytest.raises(OAuthError) as caught:
        ClientCredentialsService(server.provider(public=True)).get_token_sync()
    assert caught.value.error == "unauthorized_client"


def test_after_a_failed_fetch_the_next_call_fetches_again(server: MockOAuthServer) -> None:
    service = service_of(server)
    server.fail("token", status=503, body='{"error": "temporarily_unavailable"}')
    with pytest.raises(OAuthError):
        service.get_token_sync()
    assert service.get_token_sync().access_token
    assert server.count("token") == 2


@pytest.mark.parametrize("scope", [42, b"read", [1, 2], {"read": True}])
def test_a_scope_not_a_list_or_string_is_a_type_error(server: MockOAuthServer, scope: Any) -> None:
    with pytest.raises(TypeError, match="scope must be a list of strings"):
        ClientCredentialsService(server.provider(), scope=scope)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (["audience"], "params must be a mapping of str to str, not list"),
        ({"audience": 1}, r"params\['audience'\] is int|params\[\"audience\"\] is int"),
        ({1: "x"}, "a key is int"),
    ],
)
def test_params_not_a_mapping_of_str_is_a_type_error(
    server: MockOAuthServer, params: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        ClientCredentialsService(server.provider(), params=params)


@pytest.mark.parametrize("name", ["grant_type", "client_secret", "scope"])
def test_params_that_would_replace_the_grant_s_fields_are_refused(
    server: MockOAuthServer, name: str
) -> None:
    with pytest.raises(ConfigurationError, match=name):
        ClientCredentialsService(server.provider(), params={name: "x"})


def test_the_repr_names_the_client_but_no_secret_or_param_value(
    server: MockOAuthServer,
) -> None:
    service = service_of(server, params={"audience": "aud-value-123"})
    service.get_token_sync()
    text = repr(service)
    assert server.client_id in text and "audience" in text
    assert server.client_secret not in text
    assert "aud-value-123" not in text
    token = service.current_token
    assert token is not None and token.access_token not in text


def provider_with_login_scopes(server: MockOAuthServer) -> OAuthProvider:
    return OAuthProvider(
        server.client_id,
        server.client_secret,
        server.authorization_endpoint,
        server.token_endpoint,
        "http://127.0.0.1:8550/callback",
        scopes=["openid", "offline_access"],
    )


def test_the_scope_sent_is_the_service_s_not_the_provider_s_login_scopes(
    server: MockOAuthServer,
) -> None:
    service = ClientCredentialsService(provider_with_login_scopes(server), scope=["read"])
    assert service.scope == ["read"]
    service.get_token_sync()
    sent = server.last_token_request()
    assert sent is not None and sent["scope"] == "read"


def test_without_a_scope_no_scope_is_sent(server: MockOAuthServer) -> None:
    ClientCredentialsService(provider_with_login_scopes(server)).get_token_sync()
    sent = server.last_token_request()
    assert sent is not None and "scope" not in sent


def test_a_browser_login_without_authorization_endpoint_is_a_configuration_error(
    server: MockOAuthServer,
) -> None:
    provider = OAuthProvider(
        server.client_id, server.client_secret, token_endpoint=server.token_endpoint
    )
    assert ClientCredentialsService(provider).get_token_sync().access_token
    provider.redirect_url = "http://127.0.0.1:8550/oauth_callback"
    with pytest.raises(ConfigurationError, match=r"provider\.authorization_endpoint"):
        AuthorizationService(provider, False, False).get_authorization_data()


def test_a_browser_login_without_redirect_url_is_a_configuration_error(
    server: MockOAuthServer,
) -> None:
    provider = OAuthProvider(
        server.client_id,
        server.client_secret,
        server.authorization_endpoint,
        server.token_endpoint,
    )
    with pytest.raises(ConfigurationError, match=r"provider\.redirect_url"):
        AuthorizationService(provider, False, False).get_authorization_data()
