"""`OpenIDProvider`: any OpenID Connect provider (Authgear, Keycloak, Okta, Entra ID, Auth0,
Google...), configured from its discovery document."""

from typing import Any, Callable, Optional

from flet_auth._core import (
    MAX_RESPONSE_SIZE,
    ConfigurationError,
    discover,
    discover_sync,
    metadata_url,
)
from flet_auth.oauth_provider import OAuthProvider

__all__ = ["OpenIDProvider", "ensure_discovered"]

# Attributes that come from the discovery document unless set explicitly.
_DISCOVERED = {
    "authorization_endpoint": "authorization_endpoint",
    "token_endpoint": "token_endpoint",
    "user_endpoint": "userinfo_endpoint",
    "jwks_uri": "jwks_uri",
    "issuer": "issuer",
    "revocation_endpoint": "revocation_endpoint",
    "revocation_endpoint_auth_methods_supported": "revocation_endpoint_auth_methods_supported",
    "end_session_endpoint": "end_session_endpoint",
    "device_authorization_endpoint": "device_authorization_endpoint",
    "pushed_authorization_request_endpoint": "pushed_authorization_request_endpoint",
    "id_token_signing_alg_values_supported": "id_token_signing_alg_values_supported",
}


def _discovered(name: str) -> property:
    key = _DISCOVERED[name]

    def get(self: "OpenIDProvider") -> Any:
        if name in self._explicit:
            return self._explicit[name]
        return self.metadata.get(key)

    def set(self: "OpenIDProvider", value: Any) -> None:
        if value not in (None, ""):
            self._explicit[name] = value

    return property(get, set, doc=f"`{key}` from the discovery document, unless set.")


def _announced(key: str, meaning: str) -> property:
    """A flag that is as set, else the discovery document's `key` (true only when `true`)."""

    def get(self: "OpenIDProvider") -> bool:
        explicit = self._explicit.get(key)
        if explicit is not None:
            return bool(explicit)
        return self.metadata.get(key) is True

    def set(self: "OpenIDProvider", value: Any) -> None:
        if value is not None:
            self._explicit[key] = value

    return property(get, set, doc=f"As set, else `{key}` from the discovery document: {meaning}")


def _client_auth_from(supported: Any, has_key: bool = False) -> str:
    """The client authentication for a confidential client, from the provider's
    `token_endpoint_auth_methods_supported` (OpenID Connect Discovery 1.0 §3: absent means
    `client_secret_basic`); `private_key_jwt` first for a client with a `client_key`."""
    if supported is not None and not isinstance(supported, list):
        raise ConfigurationError("token_endpoint_auth_methods_supported must be a list")
    if has_key and (supported is None or "private_key_jwt" in supported):
        return "private_key_jwt"
    if supported is None:
        return "client_secret_basic"
    for method in ("client_secret_basic", "client_secret_post"):
        if method in supported:
            return method
    raise ConfigurationError(
        "the provider supports none of client_secret_basic, client_secret_post for the token "
        f"endpoint (it supports {', '.join(map(str, supported)) or 'nothing'}); "
        "set token_endpoint_auth_method"
    )


def _token_endpoint_auth_method() -> property:
    def get(self: "OpenIDProvider") -> str:
        explicit = self._explicit.get("token_endpoint_auth_method")
        if explicit:
            return str(explicit)
        return _client_auth_from(
            self.metadata.get("token_endpoint_auth_methods_supported"),
            self.client_key is not None,
        )

    def set(self: "OpenIDProvider", value: Any) -> None:
        if value not in (None, ""):
            self._explicit["token_endpoint_auth_method"] = value

    return property(
        get,
        set,
        doc="As set, else `client_secret_basic` or `client_secret_post` from the discovery "
        "document's `token_endpoint_auth_methods_supported` (`private_key_jwt` first when a "
        "`client_key` is given).",
    )


class OpenIDProvider(OAuthProvider):
    """An OpenID Connect provider, from `server_metadata_url` or `issuer`.

    Example::

        provider = OpenIDProvider(
            client_id="...", client_secret=os.environ["SECRET"],
            redirect_url="http://localhost:8550/oauth_callback",
            server_metadata_url="https://example.authgear.cloud/.well-known/openid-configuration",
            scopes=["openid", "offline_access", "profile", "email"],
        )

    The discovery document is fetched on first use and cached per process (its `issuer` must
    be the configured one); `await provider.load_metadata()` fetches it without blocking. Each
    login sends a fresh `nonce`; the ID token is verified against the provider's keys; the
    user comes from its claims and the userinfo endpoint (`user.id` is `sub`); groups come from
    `groups_claim` (a dotted path such as `realm_access.roles`). `revocation_endpoint` and
    `end_session_endpoint` and `device_authorization_endpoint` may be given for providers
    whose discovery document leaves them out; without a `revocation_endpoint` there,
    `revoke()` looks in the issuer's RFC 8414 metadata.
    At the revocation endpoint the client authenticates with `revocation_endpoint_auth_method`
    when set, else with the token endpoint's method when the provider lists it in
    `revocation_endpoint_auth_methods_supported` or lists nothing, else with
    `client_secret_basic` or `client_secret_post` as listed.
    A redirect's `iss` must be the issuer, and must be there when the discovery document
    announces `authorization_response_iss_parameter_supported` (RFC 9207).
    Authorization requests are pushed (RFC 9126) to the document's
    `pushed_authorization_request_endpoint` when it says
    `require_pushed_authorization_requests`, or always with `use_par=True`.
    """

    authorization_endpoint = _discovered("authorization_endpoint")
    token_endpoint = _discovered("token_endpoint")
    user_endpoint = _discovered("user_endpoint")
    jwks_uri = _discovered("jwks_uri")
    issuer = _discovered("issuer")
    revocation_endpoint = _discovered("revocation_endpoint")
    revocation_endpoint_auth_methods_supported = _discovered(
        "revocation_endpoint_auth_methods_supported"
    )
    end_session_endpoint = _discovered("end_session_endpoint")
    device_authorization_endpoint = _discovered("device_authorization_endpoint")
    id_token_signing_alg_values_supported = _discovered("id_token_signing_alg_values_supported")
    token_endpoint_auth_method = _token_endpoint_auth_method()
    pushed_authorization_request_endpoint = _discovered("pushed_authorization_request_endpoint")
    authorization_response_iss_parameter_supported = _announced(
        "authorization_response_iss_parameter_supported",
        "when true, every redirect must carry `iss` (RFC 9207).",
    )
    require_pushed_authorization_requests = _announced(
        "require_pushed_authorization_requests",
        "when true, every authorization request must be pushed (RFC 9126).",
    )

    def __init__(
        self,
        client_id: str,
        client_secret: Optional[str] = None,
        redirect_url: str = "",
        *,
        server_metadata_url: Optional[str] = None,
        issuer: Optional[str] = None,
        scopes: Optional[list[str]] = None,
        groups_claim: str = "groups",
        user_id_fn: Optional[Callable[[Any], Any]] = None,
        authorization_params: Optional[dict[str, str]] = None,
        revocation_endpoint: Optional[str] = None,
        end_session_endpoint: Optional[str] = None,
        max_response_size: int = MAX_RESPONSE_SIZE,
        **settings: Any,
    ) -> None:
        if not server_metadata_url and not issuer:
            raise ConfigurationError("give server_metadata_url or issuer")
        self._explicit: dict[str, Any] = {}
        self._metadata: Optional[dict[str, Any]] = None
        self._expected_issuer = issuer
        self.server_metadata_url = server_metadata_url or metadata_url(issuer or "")
        no_credential = not client_secret and settings.get("client_key") is None
        if not settings.get("token_endpoint_auth_method") and no_credential:
            settings["token_endpoint_auth_method"] = "none"
        settings.setdefault("token_endpoint_auth_method", "")
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            authorization_endpoint="",
            token_endpoint="",
            redirect_url=redirect_url,
            scopes=list(scopes) if scopes is not None else ["openid", "profile", "email"],
            user_id_fn=user_id_fn or (lambda u: u["sub"]),
            authorization_params=authorization_params,
            max_response_size=max_response_size,
            **settings,
        )
        self.groups_claim = groups_claim
        self.revocation_endpoint = revocation_endpoint
        self.end_session_endpoint = end_session_endpoint

    @property
    def metadata(self) -> dict[str, Any]:
        """The discovery document (fetched on first use, then cached).

        Fetching it here blocks the calling thread, an event loop's too (for up to `timeout`):
        async code awaits `load_metadata()` first, as flet-auth's async entry points do.
        """
        if self._metadata is None:
            _warn_if_on_event_loop(self.server_metadata_url)
            self._metadata = discover_sync(
                self.server_metadata_url,
                self._expected_issuer,
                timeout=self.timeout,
                allow_insecure_http=self.allow_insecure_http,
                max_response_size=self.max_response_size,
            )
        return self._metadata

    async def load_metadata(self) -> dict[str, Any]:
        """Fetches the discovery document without blocking the event loop."""
        if self._metadata is None:
            self._metadata = await discover(
                self.server_metadata_url,
                self._expected_issuer,
                timeout=self.timeout,
                allow_insecure_http=self.allow_insecure_http,
                max_response_size=self.max_response_size,
            )
        return self._metadata

    def __repr__(self) -> str:
        # Never the endpoints: reading them would fetch the discovery document.
        return (
            f"{type(self).__name__}(client_id={self.client_id!r}, "
            f"server_metadata_url={self.server_metadata_url!r}, redirect_url={self.redirect_url!r})"
        )

    def groups_from(self, claims: dict[str, Any]) -> list[str]:
        """The group names in `claims` at `groups_claim` (a dotted path)."""
        value: Any = claims
        for part in self.groups_claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [str(g) for g in value]
        return []

    def _name(self) -> str:
        return "openid"


async def ensure_discovered(provider: Any) -> None:
    """Awaits an `OpenIDProvider`'s discovery (nothing for other providers), so that reading
    its endpoints afterwards makes no blocking request on the event loop."""
    if isinstance(provider, OpenIDProvider):
        await provider.load_metadata()


def _warn_if_on_event_loop(url: str) -> None:
    import sys

    if "asyncio" not in sys.modules:
        return  # no event loop can be running
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    import logging

    logging.getLogger("flet_auth").warning(
        "fetching the discovery document %s blocks the running event loop; "
        "await provider.load_metadata() before using the provider in async code",
        url.split("?")[0],
    )
