"""`OAuthProvider`: endpoints and credentials of an OAuth 2.0 provider.

Same constructor and attributes as `flet.auth.OAuthProvider`, plus keyword-only settings.
Subclasses may override `async _fetch_user(access_token)` and `async _fetch_groups(access_token)`.
"""

from __future__ import annotations

from flet_auth._core import MAX_RESPONSE_SIZE
from flet_auth.group import Group
from flet_auth.user import User

TYPE_CHECKING = False  # typing is not imported at run time: `import flet_auth` stays fast
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

__all__ = ["OAuthProvider"]


class OAuthProvider:
    """An OAuth 2.0 provider.

    Example::

        provider = OAuthProvider(
            client_id="...", client_secret=os.environ["SECRET"],
            authorization_endpoint="https://idp.example.com/authorize",
            token_endpoint="https://idp.example.com/token",
            redirect_url="http://localhost:8550/oauth_callback",
            user_endpoint="https://idp.example.com/userinfo", user_id_fn=lambda u: u["sub"],
        )

    Keyword-only settings: `pkce` (fresh PKCE S256 per login unless `code_challenge` /
    `code_verifier` are given), `token_endpoint_auth_method` (`client_secret_post`,
    `client_secret_basic`, `none`, or the JWT assertions of RFC 7523 `client_secret_jwt` (HS256
    with the secret) and `private_key_jwt` with `client_key` (a private RSA or EC P-256 JWK as a
    dict, or a PEM string) and `client_key_alg` (RS256 or ES256 by the key's type unless set),
    `revocation_endpoint_auth_method` (the same names; by
    default the token endpoint's, unless the provider's metadata lists others), `timeout`
    (seconds per request), `allow_insecure_http` (plain HTTP off loopback),
    `max_response_size` (the largest answer read from the provider, in bytes; 1 MiB by
    default: a larger one is an `InvalidResponseError`), `device_authorization_endpoint`
    (RFC 8628, for `start_device_login`), and for the mix-up defence of RFC 9207 `issuer` (a
    redirect's `iss` must be it) and `authorization_response_iss_parameter_supported` (every
    redirect must carry `iss`; needs `issuer`), and for pushed authorization requests (RFC
    9126) `use_par` (None: push when `require_pushed_authorization_requests` says the provider
    requires it; True: whenever `pushed_authorization_request_endpoint` is set; False: never),
    and for DPoP (RFC 9449) `dpop` (token requests carry a proof, the authorization request
    `dpop_jkt`; the key is made per service unless `dpop_key`, a private EC P-256 JWK dict, is
    given).

    A provider used only by `ClientCredentialsService` or device logins needs no
    `authorization_endpoint` and `redirect_url`: `OAuthProvider("svc", secret,
    token_endpoint=...)`; a login through the browser with it raises `ConfigurationError`.

    Services read the settings once per provider and share them; assigning an attribute makes
    the next service read them again (changing a list or dict attribute in place does not).
    """

    _flet_auth_caches_config = True

    def __init__(
        self,
        client_id: str,
        client_secret: Optional[str] = None,
        authorization_endpoint: Optional[str] = None,
        token_endpoint: str = "",
        redirect_url: Optional[str] = None,
        scopes: Optional[list[str]] = None,
        user_scopes: Optional[list[str]] = None,
        user_endpoint: Optional[str] = None,
        user_id_fn: Optional[Callable[[Any], Any]] = None,
        group_scopes: Optional[list[str]] = None,
        code_challenge: Optional[str] = None,
        code_challenge_method: Optional[str] = None,
        code_verifier: Optional[str] = None,
        authorization_params: Optional[dict[str, str]] = None,
        *,
        pkce: bool = True,
        token_endpoint_auth_method: str = "client_secret_post",
        client_key: Optional[dict[str, Any] | str] = None,
        client_key_alg: Optional[str] = None,
        revocation_endpoint_auth_method: Optional[str] = None,
        timeout: float = 30.0,
        allow_insecure_http: bool = False,
        max_response_size: int = MAX_RESPONSE_SIZE,
        device_authorization_endpoint: Optional[str] = None,
        issuer: Optional[str] = None,
        authorization_response_iss_parameter_supported: Optional[bool] = None,
        use_par: Optional[bool] = None,
        pushed_authorization_request_endpoint: Optional[str] = None,
        require_pushed_authorization_requests: Optional[bool] = None,
        dpop: bool = False,
        dpop_key: Optional[dict[str, Any]] = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.authorization_endpoint = authorization_endpoint
        self.token_endpoint = token_endpoint
        self.redirect_url = redirect_url
        self.scopes = list(scopes) if scopes is not None else []
        self.user_scopes = list(user_scopes) if user_scopes is not None else []
        self.user_endpoint = user_endpoint
        self.user_id_fn = user_id_fn
        self.group_scopes = list(group_scopes) if group_scopes is not None else []
        self.authorization_params = (
            dict(authorization_params) if authorization_params is not None else {}
        )
        self.code_challenge = code_challenge
        self.code_challenge_method = code_challenge_method
        self.code_verifier = code_verifier
        self.pkce = pkce
        self.token_endpoint_auth_method = token_endpoint_auth_method
        self.client_key = client_key
        self.client_key_alg = client_key_alg
        self.revocation_endpoint_auth_method = revocation_endpoint_auth_method
        self.timeout = timeout
        self.allow_insecure_http = allow_insecure_http
        self.max_response_size = max_response_size
        self.device_authorization_endpoint = device_authorization_endpoint
        self.issuer = issuer
        self.authorization_response_iss_parameter_supported = (
            authorization_response_iss_parameter_supported
        )
        self.use_par = use_par
        self.pushed_authorization_request_endpoint = pushed_authorization_request_endpoint
        self.require_pushed_authorization_requests = require_pushed_authorization_requests
        self.dpop = dpop
        self.dpop_key = dpop_key

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name != "_flet_auth_config":
            self.__dict__.pop("_flet_auth_config", None)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_flet_auth_config", None)
        return state

    def _name(self) -> str:
        """The provider's name; subclasses may implement it."""
        raise NotImplementedError("Subclasses must implement _name()")

    async def _fetch_groups(self, access_token: str) -> list[Group]:
        """The user's groups; the base provider has none."""
        return []

    async def _fetch_user(self, access_token: str) -> Optional[User]:
        """The user's profile, or None to use `user_endpoint` and `user_id_fn`."""
        return None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(client_id={self.client_id!r}, "
            f"authorization_endpoint={self.authorization_endpoint!r}, "
            f"token_endpoint={self.token_endpoint!r}, redirect_url={self.redirect_url!r})"
        )
