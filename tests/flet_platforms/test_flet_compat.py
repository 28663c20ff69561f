"""Side by side with real flet 1.0.5: same attributes, URLs, scopes and token JSON."""

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import flet.auth as fa
import flet.auth.authorization_service as fa_service
import flet.auth.providers as fa_providers
import flet.auth.providers.github_oauth_provider as fa_github
import pytest

import flet_auth
import flet_auth.providers as our_providers
from conftest import login_sync
from flet_auth import AuthorizationService, Group, OAuthToken, User
from flet_auth.testing import MockOAuthServer

CLIENT = dict(client_id="cid", client_secret="secret", redirect_url="http://localhost:8550/cb")
SAMPLE_USER = {"sub": "s-1", "id": "i-1", "login": "x"}

BUILT_INS: list[tuple[str, dict[str, Any]]] = [
    ("GitHubOAuthProvider", CLIENT),
    ("GoogleOAuthProvider", CLIENT),
    ("AzureOAuthProvider", {**CLIENT, "tenant": "contoso"}),
    ("AzureOAuthProvider", CLIENT),
    ("Auth0OAuthProvider", {**CLIENT, "domain": "tenant.auth0.invalid", "audience": "api"}),
    ("Auth0OAuthProvider", {**CLIENT, "domain": "tenant.auth0.invalid"}),
]


@pytest.mark.parametrize("name, kwargs", BUILT_INS)
def test_built_in_providers_have_flets_attributes(name: str, kwargs: dict[str, Any]) -> None:
    theirs = getattr(fa_providers, name)(**kwargs)
    ours = getattr(our_providers, name)(**kwargs)
    for attr, value in vars(theirs).items():
        mine = getattr(ours, attr)
        if attr == "user_id_fn":
            assert (value is None) == (mine is None)
            if value is not None:
                assert mine(SAMPLE_USER) == value(SAMPLE_USER)
        else:
            assert mine == value, attr


def test_module_paths_mirror_flet() -> None:
    from flet_auth.authorization import Authorization
    from flet_auth.authorization_service import AuthorizationService as Service
    from flet_auth.group import Group as G
    from flet_auth.oauth_provider import OAuthProvider
    from flet_auth.oauth_token import OAuthToken as T
    from flet_auth.providers.auth0_oauth_provider import Auth0OAuthProvider
    from flet_auth.providers.azure_oauth_provider import AzureOAuthProvider
    from flet_auth.providers.github_oauth_provider import GitHubOAuthProvider
    from flet_auth.providers.google_oauth_provider import GoogleOAuthProvider
    from flet_auth.user import User as U

    assert flet_auth.OAuthProvider is OAuthProvider
    assert flet_auth.GitHubOAuthProvider is GitHubOAuthProvider
    assert flet_auth.AuthorizationService is Service
    assert (flet_auth.OAuthToken, flet_auth.Group, flet_auth.User) == (T, G, U)
    assert Authorization is flet_auth.Authorization
    assert (Auth0OAuthProvider, AzureOAuthProvider, GoogleOAuthProvider) == (
        flet_auth.Auth0OAuthProvider,
        flet_auth.AzureOAuthProvider,
        flet_auth.GoogleOAuthProvider,
    )
    for name in fa.__all__:
        assert hasattr(flet_auth, name), name


def test_authorization_url_has_flets_parameters() -> None:
    settings = dict(
        client_id="cid",
        client_secret="secret",
        authorization_endpoint="https://idp.invalid/authorize",
        token_endpoint="https://idp.invalid/token",
        redirect_url="http://localhost:8550/cb",
        scopes=["openid"],
        user_scopes=["profile"],
        group_scopes=["groups"],
        code_challenge="challenge-value",
        code_challenge_method="S256",
        code_verifier="verifier-value",
        authorization_params={"audience": "api", "prompt": "consent"},
    )
    theirs = fa_service.AuthorizationService(fa.OAuthProvider(**settings), True, True, ["x"])
    ours = AuthorizationService(flet_auth.OAuthProvider(**settings), True, True, ["x"])
    their_url, their_state = theirs.get_authorization_data()
    our_url, our_state = ours.get_authorization_data()
    their_q, our_q = (
        dict(parse_qsl(urlsplit(their_url).query)),
        dict(parse_qsl(urlsplit(our_url).query)),
    )
    assert their_q.pop("state") == their_state
    assert our_q.pop("state") == our_state
    assert our_q == their_q
    assert urlsplit(our_url)[:3] == urlsplit(their_url)[:3]


@pytest.mark.parametrize("fetch_user, fetch_groups", [(True, True), (True, False), (False, False)])
def test_scope_is_composed_like_flets_without_touching_the_callers_list(
    fetch_user: bool, fetch_groups: bool
) -> None:
    for name, kwargs in BUILT_INS:
        caller = ["public_repo", "read:user"]
        theirs = fa_service.AuthorizationService(
            getattr(fa_providers, name)(**kwargs), fetch_user, fetch_groups, list(caller)
        )
        ours = AuthorizationService(
            getattr(our_providers, name)(**kwargs), fetch_user, fetch_groups, caller
        )
        assert ours.scope == theirs.scope
        assert caller == ["public_repo", "read:user"]


def test_scope_is_deduplicated_where_flet_repeats() -> None:
    provider = flet_auth.OAuthProvider(
        "c",
        "s",
        "https://i.invalid/a",
        "https://i.invalid/t",
        "http://localhost/cb",
        scopes=["openid", "email"],
    )
    ours = AuthorizationService(provider, False, False, ["openid"])
    assert ours.scope == ["openid", "email"]


TOKENS: list[dict[str, Any]] = [
    dict(access_token="a"),
    dict(
        access_token="a",
        scope=["read", "write"],
        token_type="Bearer",
        expires_in=3600,
        expires_at=1763884800.123456,
        refresh_token="r",
    ),
    dict(access_token="a", expires_in=60, expires_at=1763884800),
    dict(access_token='ünïcödé "quoted" \\ 😀', scope=[], token_type="bearer"),
    dict(access_token="a", expires_at=1e16, expires_in=0),
    dict(access_token="a", expires_at=0.0001),
]


@pytest.mark.parametrize("fields", TOKENS)
def test_token_json_is_byte_identical_to_flets(fields: dict[str, Any]) -> None:
    assert OAuthToken(**fields).to_json() == fa.OAuthToken(**fields).to_json()


@pytest.mark.parametrize("fields", TOKENS)
def test_token_json_reads_both_ways(fields: dict[str, Any]) -> None:
    from_flet = OAuthToken.from_json(fa.OAuthToken(**fields).to_json())
    from_us = fa.OAuthToken.from_json(OAuthToken(**fields).to_json())
    for name in [
        "access_token",
        "scope",
        "token_type",
        "expires_in",
        "expires_at",
        "refresh_token",
    ]:
        expected = fields.get(name)
        assert getattr(from_flet, name) == expected
        assert getattr(from_us, name) == expected
        assert type(getattr(from_flet, name)) is type(expected)


def test_user_and_group_behave_like_flets() -> None:
    theirs, ours = fa.User({"a": 1}, "7"), User({"a": 1}, "7")
    assert (dict(ours), ours.id, ours.groups) == (dict(theirs), theirs.id, theirs.groups)
    g1, g2 = fa.Group({"n": 1}, name="x"), Group({"n": 1}, name="x")
    assert (dict(g2), g2.name) == (dict(g1), g1.name)


def test_service_accepts_flets_own_provider(server: MockOAuthServer) -> None:
    provider = fa.OAuthProvider(
        client_id=server.client_id,
        client_secret=server.client_secret,
        authorization_endpoint=server.authorization_endpoint,
        token_endpoint=server.token_endpoint,
        redirect_url="http://localhost:8550/cb",
        user_endpoint=server.userinfo_endpoint,
        user_id_fn=lambda u: u["sub"],
    )
    service = login_sync(server, provider)
    assert service.user is not None and service.user.id == "1001"
    assert server.count("token.authorization_code") == 1


def test_service_accepts_flets_github_provider_and_its_python_hooks(
    server: MockOAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fa_github, "GITHUB_API_BASE_URL", server.url)
    provider = fa_providers.GitHubOAuthProvider(
        server.client_id, server.client_secret, "http://localhost:8550/cb"
    )
    provider.authorization_endpoint = f"{server.url}/login/oauth/authorize"
    provider.token_endpoint = f"{server.url}/login/oauth/access_token"
    service = login_sync(server, provider, user="bob", fetch_groups=True)
    assert isinstance(service.user, fa.User)  # built by flet's own _fetch_user
    assert service.user.id == "1002" and service.user["email"] == "bob@example.com"
    assert [g.name for g in service.user.groups] == ["developers"]


def test_python_subclass_hooks_are_used(server: MockOAuthServer) -> None:
    class Custom(flet_auth.OAuthProvider):
        async def _fetch_user(self, access_token: str) -> User:
            return User({"token_length": len(access_token)}, id="custom")

        async def _fetch_groups(self, access_token: str) -> list[Group]:
            return [Group({}, name="g1")]

    base = server.provider()
    provider = Custom(
        base.client_id,
        base.client_secret,
        base.authorization_endpoint,
        base.token_endpoint,
        base.redirect_url,
    )
    service = login_sync(server, provider, fetch_groups=True)
    assert service.user is not None and service.user.id == "custom"
    assert [g.name for g in service.user.groups] == ["g1"]
    assert server.count("userinfo") == 0


def test_tokens_saved_by_flet_log_in_here(server: MockOAuthServer) -> None:
    # Plain OAuth 2.0: Flet's OAuthToken has no id_token field, so no OpenID scope here.
    first = login_sync(server, server.provider(scopes=["profile", "email"]))
    token = first.get_token_sync()
    assert token is not None
    flet_saved = fa.OAuthToken(**json.loads(token.to_json())).to_json()
    again = AuthorizationService(server.provider(), True, False)
    again.dehydrate_token_sync(flet_saved)
    assert again.user is not None and again.user.id == "1001"
