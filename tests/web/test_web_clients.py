"""A registered provider (`WebClient`): its settings from keywords and the app's config as
Authlib reads them, the provider built from them once per app, and the registration checks."""

from typing import Any

import pytest

from flet_auth import ConfigurationError, OAuthProvider
from flet_auth.providers import (
    Auth0OAuthProvider,
    AzureOAuthProvider,
    GitHubOAuthProvider,
    GoogleOAuthProvider,
    OpenIDProvider,
)
from flet_auth.testing import MockOAuthServer
from flet_auth.web.clients import WebClient, check_registration
from web.helpers import CALLBACK, AppContext, mock_client


def client(
    name: str, config: dict[str, Any], overwrite: bool = False, **settings: Any
) -> WebClient:
    return WebClient(name, None, settings, overwrite=overwrite, context=AppContext(config))


def test_keywords_win_over_the_config() -> None:
    corp = client("corp", {"CORP_CLIENT_ID": "from-config", "CORP_TENANT": "t"}, client_id="kw")
    assert corp.setting("client_id") == "kw" and corp.setting("tenant") == "t"


def test_the_config_wins_with_overwrite() -> None:
    corp = client("corp", {"CORP_CLIENT_ID": "from-config"}, overwrite=True, client_id="kw")
    assert corp.setting("client_id") == "from-config"


def test_dict_settings_from_keywords_and_config_are_merged() -> None:
    config = {"CORP_CLIENT_KWARGS": {"scope": "openid", "timeout": 5}}
    corp = client("corp", config, client_kwargs={"scope": "openid email"})
    assert corp.setting("client_kwargs") == {"scope": "openid email", "timeout": 5}


def test_a_missing_setting_gives_the_default() -> None:
    corp = client("corp", {})
    assert corp.setting("tenant", "common") == "common"
    assert corp.fetch_user and not corp.fetch_groups


def test_a_server_metadata_url_builds_an_openid_provider(server: MockOAuthServer) -> None:
    oidc = client(
        "oidc",
        {},
        client_id=server.client_id,
        client_secret=server.client_secret,
        server_metadata_url=server.discovery_url,
    )
    provider = oidc.provider
    assert isinstance(provider, OpenIDProvider)
    assert provider.redirect_url == CALLBACK.format(name="oidc")


def test_authorize_and_token_urls_build_a_plain_oauth_provider(server: MockOAuthServer) -> None:
    provider = mock_client(server).provider
    assert type(provider) is OAuthProvider
    assert provider.token_endpoint == server.token_endpoint
    assert getattr(provider, "revocation_endpoint", None) == f"{server.url}/revoke"


def test_an_authorize_url_without_a_token_url_is_refused() -> None:
    corp = client("corp", {}, client_id="x", authorize_url="https://idp.invalid/authorize")
    with pytest.raises(ConfigurationError, match="CORP_ACCESS_TOKEN_URL"):
        corp.provider  # noqa: B018


@pytest.mark.parametrize(
    ("name", "kind", "extra"),
    [
        ("github", GitHubOAuthProvider, {}),
        ("google", GoogleOAuthProvider, {}),
        ("azure", AzureOAuthProvider, {}),
        ("auth0", Auth0OAuthProvider, {"domain": "tenant.example"}),
    ],
)
def test_a_built_in_name_needs_only_the_credentials(
    name: str, kind: type, extra: dict[str, Any]
) -> None:
    built = client(name, {}, client_id="id", client_secret="secret", **extra).provider
    assert isinstance(built, kind)


def test_auth0_needs_its_domain() -> None:
    with pytest.raises(ConfigurationError, match="AUTH0_DOMAIN"):
        client("auth0", {}, client_id="id", client_secret="secret").provider  # noqa: B018


def test_a_missing_client_id_is_named() -> None:
    with pytest.raises(ConfigurationError, match="CORP_CLIENT_ID"):
        client("corp", {}).provider  # noqa: B018


def test_unknown_client_kwargs_are_refused() -> None:
    corp = client("corp", {}, client_kwargs={"scope": "openid", "verify": False})
    with pytest.raises(ConfigurationError, match="unknown client_kwargs"):
        corp.provider_settings.client_kwargs()


def test_a_pkce_method_other_than_s256_is_refused() -> None:
    corp = client("corp", {}, client_kwargs={"code_challenge_method": "plain"})
    with pytest.raises(ConfigurationError, match="S256"):
        corp.provider_settings.client_kwargs()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"scope": "openid email"}, ["openid", "email"]),
        ({"scope": ["openid", "email"]}, ["openid", "email"]),
        ({"client_kwargs": {"scope": "openid offline_access"}}, ["openid", "offline_access"]),
        ({}, None),
    ],
)
def test_the_scope_is_a_list_from_scope_or_client_kwargs(
    settings: dict[str, Any], expected: Any
) -> None:
    assert client("corp", {}, **settings).provider_settings.scope() == expected


def test_a_scope_of_another_type_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="scope"):
        client("corp", {}, scope=42).provider_settings.scope()


def test_a_provider_is_built_once_per_app(server: MockOAuthServer) -> None:
    app1, app2 = AppContext(), AppContext()
    first = mock_client(server, app1)
    assert first.provider is first.provider
    assert mock_client(server, app2).provider is not first.provider
    assert app1.providers["mock"] is first.provider


def test_a_given_provider_is_used_as_it_is(server: MockOAuthServer) -> None:
    given = server.provider()
    assert WebClient("mock", given, {}, overwrite=False, context=AppContext()).provider is given


def test_authorization_params_go_to_a_copy_of_the_provider(server: MockOAuthServer) -> None:
    mock = mock_client(server)
    copy = mock.with_authorization_params({"prompt": "login"})
    assert copy is not mock.provider and copy.authorization_params == {"prompt": "login"}
    assert not mock.provider.authorization_params
    assert mock.with_authorization_params({}) is mock.provider


def test_the_refresh_lock_outlives_the_provider_s_timeout(server: MockOAuthServer) -> None:
    assert mock_client(server, timeout=7.5).lock_ttl == 17.5


def test_the_redirect_uri_is_the_setting_else_the_layer_s_callback(
    server: MockOAuthServer,
) -> None:
    assert mock_client(server).default_redirect_uri() == CALLBACK.format(name="mock")
    other = mock_client(server, redirect_uri="https://app.example/cb")
    assert other.default_redirect_uri() == "https://app.example/cb"


class Owner:
    def register(self) -> None: ...


@pytest.mark.parametrize("name", ["", "9lives", "_private", "has-dash"])
def test_a_name_that_cannot_be_an_attribute_is_refused(name: str) -> None:
    with pytest.raises(ConfigurationError, match="not a valid provider name"):
        check_registration(Owner, (), name, None, {})


def test_a_name_of_the_owner_class_is_refused_with_the_class_s_name() -> None:
    with pytest.raises(ConfigurationError, match="a name of Owner itself"):
        check_registration(Owner, (), "register", None, {})


def test_a_taken_name_and_unknown_settings_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="already registered"):
        check_registration(Owner, ("corp",), "corp", None, {})
    with pytest.raises(ConfigurationError, match="unknown settings"):
        check_registration(Owner, (), "corp", None, {"client_idd": "x"})
