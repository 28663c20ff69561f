"""OpenID Connect against the bundled provider: verified ID tokens, the forged-token matrix,
key rotation, groups from claims, revocation and logout."""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from flet_auth import (
    AuthorizationService,
    AuthPage,
    ConfigurationError,
    IDTokenError,
    OAuthToken,
    StateMismatchError,
)
from flet_auth.testing import MockOAuthServer
from json_server import Answer, JSONServer, json_answer


@pytest.fixture(params=["RS256", "ES256"])
def oidc_server(request: pytest.FixtureRequest) -> Iterator[MockOAuthServer]:
    with MockOAuthServer(id_token_alg=request.param) as server:
        yield server


def log_in(
    server: MockOAuthServer, *, user: str = "alice", fetch_groups: bool = False, **settings: Any
) -> AuthorizationService:
    service = AuthorizationService(
        server.openid_provider(**settings), fetch_user=True, fetch_groups=fetch_groups
    )
    url, state = service.get_authorization_data()
    redirect = server.authorize(url, user=user)
    assert redirect["state"] == state
    service.check_state(state)
    service.request_token_sync(redirect["code"])
    return service


def test_login_sends_a_nonce_and_verifies_the_id_token(oidc_server: MockOAuthServer) -> None:
    service = log_in(oidc_server)
    claims = service.id_token_claims
    assert claims is not None
    assert claims["iss"] == oidc_server.url and claims["aud"] == oidc_server.client_id
    assert service.user is not None and service.user.id == claims["sub"] == "1001"
    assert service.user["email"] == "alice@example.com"


def test_every_login_gets_a_fresh_nonce(oidc_server: MockOAuthServer) -> None:
    service = AuthorizationService(oidc_server.openid_provider(), True, False)
    nonces = {
        parse_qs(urlsplit(service.get_authorization_data()[0]).query)["nonce"][0] for _ in range(3)
    }
    assert len(nonces) == 3


def test_groups_come_from_the_groups_claim(oidc_server: MockOAuthServer) -> None:
    service = log_in(oidc_server, fetch_groups=True)
    assert service.user is not None
    assert [g.name for g in service.user.groups] == ["admins", "developers"]
    assert oidc_server.count("user_teams") == 0


def test_groups_from_keycloaks_realm_access_roles() -> None:
    users = {"kc": {"id": 7, "realm_access": {"roles": ["offline_access", "editor"]}}}
    with MockOAuthServer(users=users) as server:
        service = log_in(server, user="kc", fetch_groups=True, groups_claim="realm_access.roles")
        assert service.user is not None
        assert [g.name for g in service.user.groups] == ["offline_access", "editor"]


async def test_refresh_brings_a_verified_id_token(oidc_server: MockOAuthServer) -> None:
    service = log_in(oidc_server)
    token = await service.get_token()
    assert token is not None
    first = token.id_token
    token.expires_at = 0
    fresh = await service.get_token()
    assert fresh is not None and fresh.id_token and fresh.id_token != first


def test_token_json_keeps_the_id_token(oidc_server: MockOAuthServer) -> None:
    service = log_in(oidc_server)
    token = service.get_token_sync()
    assert token is not None and token.id_token
    saved = json.loads(token.to_json())
    assert saved["id_token"] == token.id_token
    assert OAuthToken.from_json(token.to_json()).id_token == token.id_token


def test_key_rotation_is_followed(oidc_server: MockOAuthServer) -> None:
    log_in(oidc_server)
    jwks_fetches = oidc_server.count("jwks")
    oidc_server.rotate_keys()
    log_in(oidc_server)
    assert oidc_server.count("jwks") == jwks_fetches + 1  # the new kid made us refetch once
    log_in(oidc_server)
    assert oidc_server.count("jwks") == jwks_fetches + 1  # and then it was cached


# From the engine, so that a new kind of forgery is tested at once.
FORGERIES = MockOAuthServer.forgery_kinds()


def test_the_engine_lists_every_forgery_kind_once() -> None:
    assert len(FORGERIES) == len(set(FORGERIES)) >= 14
    assert {"alg_none", "hs256_with_public_key", "wrong_at_hash"} <= set(FORGERIES)


@pytest.mark.parametrize("kind", FORGERIES)
def test_forged_id_tokens_are_refused(oidc_server: MockOAuthServer, kind: str) -> None:
    oidc_server.forge_id_token(kind)
    with pytest.raises(IDTokenError):
        log_in(oidc_server)


def test_a_refused_id_token_leaves_no_login(oidc_server: MockOAuthServer) -> None:
    oidc_server.forge_id_token("wrong_nonce")
    service = AuthorizationService(oidc_server.openid_provider(), True, False)
    url, _ = service.get_authorization_data()
    with pytest.raises(IDTokenError):
        service.request_token_sync(oidc_server.authorize(url)["code"])
    assert service.get_token_sync() is None and service.user is None


def test_discovery_issuer_mismatch_is_refused() -> None:
    with (
        MockOAuthServer(issuer="https://idp.invalid") as server,
        pytest.raises(ConfigurationError, match="issuer"),
    ):
        AuthorizationService(server.openid_provider(), True, False)


def test_revoke_then_logout_url(oidc_server: MockOAuthServer) -> None:
    service = log_in(oidc_server)
    token = service.get_token_sync()
    assert token is not None
    url = service.end_session_url("http://127.0.0.1:8550/bye", state="s1")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{oidc_server.url}/end_session?")
    assert query["id_token_hint"] == [token.id_token]
    service.revoke_sync()
    assert oidc_server.count("revoke") == 2  # refresh token, then access token
    assert service.get_token_sync() is None


async def test_auth_page_logout_revokes(oidc_server: MockOAuthServer) -> None:
    page = AuthPage()

    async def browser(url: str) -> None:
        import asyncio
        import urllib.request
        from urllib.parse import urlencode

        def visit() -> None:
            query = oidc_server.authorize(url)
            callback = parse_qs(urlsplit(url).query)["redirect_uri"][0]
            urllib.request.urlopen(f"{callback}?{urlencode(query)}", timeout=10).read()

        asyncio.get_running_loop().run_in_executor(None, visit)

    await page.login(
        oidc_server.openid_provider("http://127.0.0.1:0/callback"),
        on_open_authorization_url=browser,
    )
    assert page.auth is not None
    page.logout(revoke=True)
    assert page.auth is None and oidc_server.count("revoke") == 2


def test_a_login_saved_in_one_service_is_finished_by_another(oidc_server: MockOAuthServer) -> None:
    provider = oidc_server.openid_provider(public=True)  # PKCE is the only proof of the client
    started = AuthorizationService(provider, True, False)
    url, state = started.get_authorization_data()
    saved = started.save_login()
    assert saved is not None and state in saved
    redirect = oidc_server.authorize(url)
    finisher = AuthorizationService(provider, True, False)  # another worker, say
    finisher.restore_login(saved)
    assert finisher.state == state
    finisher.check_state(redirect["state"])
    finisher.request_token_sync(redirect["code"])
    assert finisher.user is not None and finisher.user.id == "1001"
    assert finisher.id_token_claims is not None


def test_a_restored_login_still_checks_the_nonce(oidc_server: MockOAuthServer) -> None:
    provider = oidc_server.openid_provider()
    started = AuthorizationService(provider, True, False)
    url, _ = started.get_authorization_data()
    saved = json.loads(started.save_login() or "{}")
    saved["nonce"] = "another-login"
    oidc_server.authorize(url)  # the nonce the provider signs is the URL's
    finisher = AuthorizationService(provider, True, False)
    finisher.restore_login(json.dumps(saved))
    with pytest.raises(IDTokenError, match="nonce"):
        finisher.request_token_sync(oidc_server.authorize(url)["code"])


def test_an_openid_code_without_a_login_in_progress_is_refused(
    oidc_server: MockOAuthServer,
) -> None:
    provider = oidc_server.openid_provider()
    url, _ = AuthorizationService(provider, True, False).get_authorization_data()
    code = oidc_server.authorize(url)["code"]
    stranger = AuthorizationService(provider, True, False)
    with pytest.raises(ConfigurationError, match="no login in progress"):
        stranger.request_token_sync(code)
    assert oidc_server.count("token") == 0


@pytest.mark.parametrize(
    "saved", ["", "{}", "[]", '{"state": 1}', "not json", '{"state": "s", "issued_at": "x"}']
)
def test_restore_login_refuses_what_save_login_did_not_write(
    oidc_server: MockOAuthServer, saved: str
) -> None:
    service = AuthorizationService(oidc_server.openid_provider(), True, False)
    with pytest.raises(ConfigurationError, match="save_login"):
        service.restore_login(saved)


def test_an_expired_saved_login_is_refused(oidc_server: MockOAuthServer) -> None:
    service = AuthorizationService(oidc_server.openid_provider(), True, False)
    service.get_authorization_data()
    saved = json.loads(service.save_login() or "{}")
    saved["issued_at"] -= 601
    with pytest.raises(StateMismatchError, match="expired"):
        AuthorizationService(oidc_server.openid_provider(), True, False).restore_login(
            json.dumps(saved)
        )
    assert AuthorizationService(oidc_server.openid_provider(), True, False).save_login() is None


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("", "http://127.0.0.1:8550/bye"),
        ("&state=s1", "http://127.0.0.1:8550/bye?state=s1"),
    ],
)
def test_end_session_redirects_to_the_uri_as_given(
    oidc_server: MockOAuthServer, query: str, location: str
) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", oidc_server.port, timeout=10)
    try:
        conn.request(
            "GET", f"/end_session?post_logout_redirect_uri={location.split('?')[0]}{query}"
        )
        answer = conn.getresponse()
        assert answer.status == 302
        assert answer.getheader("location") == location
    finally:
        conn.close()


def test_the_repr_of_an_undiscovered_provider_fetches_nothing() -> None:
    from flet_auth.providers import OpenIDProvider

    with _CountingDiscovery() as idp:
        url = f"{idp.url}/.well-known/openid-configuration"
        provider = OpenIDProvider(
            "app", redirect_url="http://127.0.0.1/cb", server_metadata_url=url
        )
        assert url in repr(provider)
        assert idp.gets == 0


class _CountingDiscovery(JSONServer):
    """Counts the requests for its (empty) discovery document."""

    gets = 0

    def get(self, path: str) -> Answer:
        self.gets += 1
        return json_answer({})


class _MovingIssuer(JSONServer):
    """A provider whose discovery document names `issuer`, which the test changes."""

    issuer = "https://idp.invalid"

    def get(self, path: str) -> Answer:
        return json_answer(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
            }
        )


def test_a_cached_discovery_document_naming_another_issuer_is_read_again() -> None:
    from flet_auth.providers import OpenIDProvider

    with _MovingIssuer() as idp:
        url = f"{idp.url}/.well-known/openid-configuration"
        settings: dict[str, Any] = {
            "redirect_url": "http://127.0.0.1/cb",
            "server_metadata_url": url,
        }
        with pytest.raises(ConfigurationError, match="issuer"):
            _ = OpenIDProvider("app", **settings).metadata
        idp.issuer = idp.url
        assert OpenIDProvider("app", **settings).metadata["issuer"] == idp.url


def test_a_bundled_provider_on_a_reused_port_is_discovered_anew() -> None:
    from flet_auth.providers import OpenIDProvider

    with MockOAuthServer() as first:
        port = first.port
        assert first.openid_provider().metadata.get("require_pushed_authorization_requests") in (
            None,
            False,
        )
    with MockOAuthServer(port, require_par=True) as second:
        provider = OpenIDProvider(
            "app", redirect_url="http://127.0.0.1/cb", server_metadata_url=second.discovery_url
        )
        assert provider.metadata["require_pushed_authorization_requests"] is True
