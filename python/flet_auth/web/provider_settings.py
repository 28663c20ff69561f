"""A provider from Authlib-named settings (`client_id`, `client_secret`,
`server_metadata_url`, `authorize_url`, `access_token_url`, `client_kwargs`, ...) or from a
built-in name (`github`, `google`, `azure`, `auth0`)."""

import inspect
import json
from typing import Any, Callable, Optional, Union

from flet_auth._core import ConfigurationError, InvalidResponseError, check_client_key
from flet_auth.oauth_provider import OAuthProvider

__all__ = ["BUILT_IN", "CLIENT_KWARGS", "PROVIDER_KEYWORDS", "SETTINGS", "ProviderSettings"]

PROVIDER_KEYWORDS = (
    "timeout",
    "allow_insecure_http",
    "token_endpoint_auth_method",
    "revocation_endpoint_auth_method",
    "client_key",
    "client_key_alg",
    "issuer",
    "authorization_response_iss_parameter_supported",
    "device_authorization_endpoint",
    "use_par",
    "pushed_authorization_request_endpoint",
    "dpop",
    "dpop_key",
)
"""The provider's keyword settings that reach its constructor as they are, from
`register(name, ...)`, `client_kwargs` or the config (`{NAME}_{SETTING}`). Adding a name here
is all a new provider setting needs; one the provider class does not take is refused."""
SETTINGS = (
    "client_id",
    "client_secret",
    "server_metadata_url",
    "authorize_url",
    "access_token_url",
    "userinfo_endpoint",
    "revocation_endpoint",
    "end_session_endpoint",
    "base_url",
    "api_base_url",
    "tenant",
    "domain",
    "audience",
    "client_kwargs",
    "authorize_params",
    "scope",
    "groups_claim",
    "redirect_uri",
    "post_logout_redirect_uri",
    "fetch_user",
    "fetch_groups",
    *PROVIDER_KEYWORDS,
)
"""The settings `register(name, **settings)` takes (also `{NAME}_{SETTING}` in the config)."""
CLIENT_KWARGS = ("scope", "code_challenge_method", *PROVIDER_KEYWORDS)
"""The keys `client_kwargs` may have, as in Authlib."""
BUILT_IN = ("github", "google", "azure", "auth0")
"""The names that need only a client's credentials."""

Setting = Callable[..., Any]
"""`setting(key, default=None)`: the value of one setting of a registered provider."""


def _scope_list(value: Any, setting: str) -> Optional[list[str]]:
    if value is None:
        return None
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value):
        return list(value)
    raise ConfigurationError(f"{setting} must be a space-separated string or a list of strings")


def _client_key(value: Any, setting: str) -> Union[dict[str, Any], str]:
    """`client_key` as a provider takes it: a JWK dict, its JSON text, or PEM text (whose line
    breaks may be written `\\n`, as in an environment variable). Errors name `setting`, never
    the key."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigurationError(f"{setting} is not valid JSON (a JWK)") from None
    elif isinstance(value, str) and "\n" not in value:
        value = value.replace("\\n", "\n")
    if not isinstance(value, (dict, str)):
        raise ConfigurationError(f"{setting} must be a private JWK (a dict or JSON) or PEM text")
    return value


def _dpop_key(value: Any, setting: str) -> Any:
    """`dpop_key` as a provider takes it: a private JWK, as a dict or its JSON text. Errors
    name `setting`, never the key."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigurationError(f"{setting} is not valid JSON (a private JWK)") from None
    if not isinstance(value, dict):
        raise ConfigurationError(f"{setting} must be a private JWK (a dict or JSON)")
    return value


def _user_id(data: Any) -> Any:
    if isinstance(data, dict):
        for key in ("sub", "id"):
            if data.get(key) is not None:
                return data[key]
    raise InvalidResponseError("the user info has neither `sub` nor `id`")


class ProviderSettings:
    """The settings of the provider registered as `name`, read through `setting`."""

    def __init__(self, name: str, setting: Setting) -> None:
        self.name = name
        self.setting = setting

    def client_kwargs(self) -> dict[str, Any]:
        """`client_kwargs`, checked: only the keys of `CLIENT_KWARGS`, PKCE with S256."""
        value = self.setting("client_kwargs", {})
        if not isinstance(value, dict):
            raise ConfigurationError(f"{self.name.upper()}_CLIENT_KWARGS must be a dict")
        unknown = sorted(set(value) - set(CLIENT_KWARGS))
        if unknown:
            raise ConfigurationError(
                f"unknown client_kwargs {unknown} for {self.name!r}; known: {list(CLIENT_KWARGS)}"
            )
        if value.get("code_challenge_method", "S256") != "S256":
            raise ConfigurationError("only code_challenge_method S256 is supported")
        return value

    def provider_keywords(self) -> dict[str, Any]:
        """The `PROVIDER_KEYWORDS` that are set, from the settings, else `client_kwargs`;
        `client_key` read and checked. A `ConfigurationError` names the setting."""
        upper = self.name.upper()
        kwargs = self.client_kwargs()
        accepted = inspect.signature(OAuthProvider.__init__).parameters
        out: dict[str, Any] = {}
        for key in PROVIDER_KEYWORDS:
            value = self.setting(key, kwargs.get(key))
            if value is None:
                continue
            setting = f"{upper}_{key.upper()}"
            if key not in accepted:
                raise ConfigurationError(f"{setting} is not a setting this flet-auth knows")
            if key == "client_key":
                value = _client_key(value, setting)
            elif key == "dpop_key":
                value = _dpop_key(value, setting)
            out[key] = value
        if "client_key" in out:
            try:
                check_client_key(out["client_key"], out.get("client_key_alg"))
            except ConfigurationError as e:
                raise ConfigurationError(f"{upper}_CLIENT_KEY is not usable: {e}") from None
        return out

    def scope(self) -> Optional[list[str]]:
        """`scope`, else `client_kwargs["scope"]`, as a list; None when neither is set."""
        scope = self.setting("scope")
        if scope is None:
            scope = self.client_kwargs().get("scope")
        return _scope_list(scope, f"the scope of {self.name!r}")

    def build(self, default_redirect_uri: Callable[[], str]) -> OAuthProvider:
        """The provider: OpenID Connect with `server_metadata_url`, plain OAuth 2.0 with
        `authorize_url` and `access_token_url`, else the built-in provider of that name. Its
        redirect URL is `redirect_uri`, else `default_redirect_uri()`."""
        from flet_auth import providers

        get, upper = self.setting, self.name.upper()
        client_id = get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError(f"{upper}_CLIENT_ID is not set (nor client_id=)")
        client_secret = get("client_secret")
        if client_secret is not None and not isinstance(client_secret, str):
            raise ConfigurationError(f"{upper}_CLIENT_SECRET must be a string")
        redirect_url = get("redirect_uri") or default_redirect_uri()
        settings = self.provider_keywords()
        scope = self.scope()
        metadata_url = get("server_metadata_url")
        authorize_url = get("authorize_url")
        token_url = get("access_token_url")
        revocation = get("revocation_endpoint")
        end_session = get("end_session_endpoint")
        params = get("authorize_params")
        if metadata_url:
            return providers.OpenIDProvider(
                client_id,
                client_secret,
                redirect_url,
                server_metadata_url=metadata_url,
                scopes=scope,
                groups_claim=get("groups_claim", "groups"),
                authorization_params=params,
                revocation_endpoint=revocation,
                end_session_endpoint=end_session,
                **settings,
            )
        if authorize_url or token_url:
            if not (authorize_url and token_url):
                raise ConfigurationError(
                    f"set both {upper}_AUTHORIZE_URL and {upper}_ACCESS_TOKEN_URL"
                )
            provider = OAuthProvider(
                client_id,
                client_secret,
                authorize_url,
                token_url,
                redirect_url,
                scopes=scope,
                user_endpoint=get("userinfo_endpoint"),
                user_id_fn=_user_id,
                authorization_params=params,
                **settings,
            )
            provider.revocation_endpoint = revocation
            provider.end_session_endpoint = end_session
            return provider
        kind = self.name.lower()
        if kind not in BUILT_IN or client_secret is None:
            raise ConfigurationError(
                f"cannot tell which provider {self.name!r} is: set {upper}_SERVER_METADATA_URL "
                f"(OpenID Connect), or {upper}_AUTHORIZE_URL and {upper}_ACCESS_TOKEN_URL, or "
                f"name it github, google, azure or auth0 with {upper}_CLIENT_SECRET, or pass "
                "provider="
            )
        if kind == "github":
            return providers.GitHubOAuthProvider(
                client_id,
                client_secret,
                redirect_url,
                base_url=get("base_url", "https://github.com"),
                api_base_url=get("api_base_url"),
                **settings,
            )
        if kind == "google":
            return providers.GoogleOAuthProvider(client_id, client_secret, redirect_url, **settings)
        if kind == "azure":
            return providers.AzureOAuthProvider(
                client_id, client_secret, redirect_url, get("tenant", "common"), **settings
            )
        domain = get("domain")
        if not domain:
            raise ConfigurationError(f"set {upper}_DOMAIN (your Auth0 tenant's domain)")
        return providers.Auth0OAuthProvider(
            domain, client_id, client_secret, redirect_url, get("audience"), **settings
        )

    def __repr__(self) -> str:
        return f"ProviderSettings({self.name!r})"
