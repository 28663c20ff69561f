"""`WebClient`: one provider registered under a name, its settings read from keywords and
the app's config as Authlib does, the provider built from them, and the services that log in
with it. A framework layer subclasses it and gives it a `ClientContext`."""

import copy
from collections.abc import Awaitable, Container, Mapping, MutableMapping
from typing import Any, Callable, Optional, Protocol, Union

from flet_auth._core import ConfigurationError, OAuthToken
from flet_auth.authorization_service import AuthorizationService
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.web.provider_settings import SETTINGS, ProviderSettings

__all__ = ["ClientContext", "TokenUpdate", "WebClient", "check_registration"]

TokenUpdate = Callable[[OAuthToken], Union[Awaitable[None], None]]
"""A hook, sync or async, that receives every new token of a service (to store it)."""


class ClientContext(Protocol):
    """What a framework layer tells its registered providers about the app being served."""

    @property
    def config(self) -> Mapping[str, Any]:
        """The app's config, where `{NAME}_{SETTING}` keys are read."""

    @property
    def providers(self) -> MutableMapping[str, OAuthProvider]:
        """The app's providers built so far, by registered name."""

    def callback_url(self, name: str) -> str:
        """The absolute URL of the built-in redirect endpoint of the provider `name`."""


def check_registration(
    owner: type,
    registered: Container[str],
    name: str,
    provider: Optional[OAuthProvider],
    settings: Mapping[str, Any],
) -> None:
    """Refuses what `register(name, provider, **settings)` cannot take, with a
    `ConfigurationError`: a name that cannot be an attribute of `owner` or is taken, a
    provider that is none, settings beside a provider object, unknown settings."""
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise ConfigurationError(f"{name!r} is not a valid provider name (use letters, _)")
    if hasattr(owner, name):
        raise ConfigurationError(f"{name!r} is a name of {owner.__name__} itself; choose another")
    if name in registered:
        raise ConfigurationError(f"a provider named {name!r} is already registered")
    if provider is not None and not (
        hasattr(provider, "client_id") and hasattr(provider, "authorization_endpoint")
    ):
        raise ConfigurationError("provider must be an OAuthProvider (or look like one)")
    if provider is not None and settings.keys() - {"fetch_user", "fetch_groups", "scope"}:
        raise ConfigurationError(
            "with a provider object, only fetch_user, fetch_groups and scope may be given"
        )
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ConfigurationError(f"unknown settings {unknown}; known: {list(SETTINGS)}")


class WebClient:
    """The provider registered as `name`: the given `provider` object, or one built from
    `settings` and the app's `{NAME}_{SETTING}` config keys (keywords win unless
    `overwrite`)."""

    def __init__(
        self,
        name: str,
        provider: Optional[OAuthProvider],
        settings: Mapping[str, Any],
        *,
        overwrite: bool,
        context: ClientContext,
    ) -> None:
        self.name = name
        self.context = context
        self._given = provider
        self._settings = dict(settings)
        self._overwrite = overwrite

    def setting(self, key: str, default: Any = None) -> Any:
        """A setting from `register(...)` or the app config (`{NAME}_{KEY}`), as Authlib."""
        conf = self.context.config.get(f"{self.name.upper()}_{key.upper()}")
        given = self._settings.get(key)
        if isinstance(conf, dict) and isinstance(given, dict):
            return {**given, **conf} if self._overwrite else {**conf, **given}
        first, second = (conf, given) if self._overwrite else (given, conf)
        value = first if first is not None else second
        return default if value is None else value

    @property
    def provider_settings(self) -> ProviderSettings:
        """The settings that describe the provider."""
        return ProviderSettings(self.name, self.setting)

    def check_settings(self) -> None:
        """Reads the provider's keyword settings (`client_key` among them) so that a bad one
        is a `ConfigurationError` when the provider is registered, not at its first login."""
        if self._given is None:
            self.provider_settings.provider_keywords()

    @property
    def fetch_user(self) -> bool:
        """Whether logins load the user (default True)."""
        return bool(self.setting("fetch_user", True))

    @property
    def fetch_groups(self) -> bool:
        """Whether logins load the user's groups (default False)."""
        return bool(self.setting("fetch_groups", False))

    @property
    def provider(self) -> OAuthProvider:
        """The provider: the one given to `register`, or one built from the settings (once
        per app)."""
        if self._given is not None:
            return self._given
        providers = self.context.providers
        provider = providers.get(self.name)
        if provider is None:
            built = self.provider_settings.build(self.default_redirect_uri)
            provider = providers.setdefault(self.name, built)
        return provider

    def default_redirect_uri(self) -> str:
        """`redirect_uri` from the settings, else the built-in redirect endpoint's URL."""
        return str(self.setting("redirect_uri") or self.context.callback_url(self.name))

    def with_authorization_params(self, params: Mapping[str, Any]) -> OAuthProvider:
        """The provider, or a copy of it whose authorization requests carry `params` too."""
        provider = self.provider
        if not params:
            return provider
        provider = copy.copy(provider)
        merged = dict(getattr(provider, "authorization_params", None) or {})
        merged.update({k: str(v) for k, v in params.items()})
        provider.authorization_params = merged
        return provider

    def new_service(
        self,
        provider: Optional[OAuthProvider] = None,
        *,
        redirect_uri: Optional[str] = None,
        on_token_update: Optional[TokenUpdate] = None,
        load_user: bool = True,
    ) -> AuthorizationService:
        """A service for one login or one refresh with this provider (or `provider`)."""
        # The scope goes to the service too: it composes it with the provider's, without
        # duplicates, so a scope set on a built-in provider is added to the provider's own.
        return AuthorizationService(
            provider or self.provider,
            load_user and self.fetch_user,
            load_user and self.fetch_groups,
            self.provider_settings.scope(),
            on_token_update=on_token_update,
            redirect_url=redirect_uri,
        )

    @property
    def lock_ttl(self) -> float:
        """Seconds the refresh lock is held at most: the provider's timeout and a margin."""
        timeout = getattr(self.provider, "timeout", 30.0)
        return float(timeout if isinstance(timeout, (int, float)) else 30.0) + 10.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
