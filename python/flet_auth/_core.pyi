"""Type stubs of the Rust engine, `flet_auth._core`."""

import builtins
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Callable, Optional, Union

from typing_extensions import Self, disjoint_base, final

__all__ = [
    "LOGIN_TTL",
    "MAX_RESPONSE_SIZE",
    "REFRESH_LEEWAY",
    "AuthError",
    "ClientCredentialsService",
    "ConfigurationError",
    "DeviceAuthorizationResponse",
    "FetchResponse",
    "HTTPStatusError",
    "IDTokenError",
    "InsecureTransportError",
    "InternalError",
    "InvalidResponseError",
    "InvalidToken",
    "IssuerMismatchError",
    "LoopbackListener",
    "MockServerCore",
    "OAuthError",
    "OAuthToken",
    "SecretBox",
    "ServiceCore",
    "StateMismatchError",
    "TimeoutError",
    "TransportError",
    "__version__",
    "_shutdown",
    "check_client_key",
    "decrypt",
    "decrypt_aes_gcm_256",
    "discover",
    "discover_sync",
    "encrypt",
    "encrypt_aes_gcm_256",
    "encrypt_fernet",
    "fetch_json",
    "metadata_url",
]

__version__: str

class AuthError(Exception):
    """Base class of every flet_auth error."""

class OAuthError(AuthError):
    """The provider answered with an OAuth error; see `error`, `error_description`, `status`."""

    error: str
    error_description: Optional[str]
    error_uri: Optional[str]
    status: Optional[int]

class HTTPStatusError(AuthError):
    """The provider answered with a non-success HTTP status and no OAuth error body."""

    status: Optional[int]

class InvalidResponseError(AuthError):
    """The provider answered with a body that cannot be used (not JSON, fields missing)."""

    status: Optional[int]

class TransportError(AuthError):
    """The request did not complete: connection refused or closed, TLS or DNS failure."""

class TimeoutError(TransportError, builtins.TimeoutError):
    """The provider did not answer within the timeout."""

class InsecureTransportError(AuthError):
    """An endpoint uses plain HTTP off loopback and the provider does not allow it."""

class StateMismatchError(AuthError):
    """The `state` of a redirect is unknown, already used or expired."""

class IssuerMismatchError(AuthError):
    """The redirect's `iss` is not the provider's issuer, or is missing though the provider
    announced it (RFC 9207)."""

class ConfigurationError(AuthError, ValueError):
    """The provider or a call is configured wrongly."""

class IDTokenError(AuthError):
    """An OpenID Connect ID token failed verification (signature, issuer, audience, time, nonce)."""

class InvalidToken(AuthError, ValueError):
    """Encrypted data cannot be decrypted: wrong key, damaged or not encrypted data."""

class InternalError(AuthError, RuntimeError):
    """The engine itself failed (a task panicked, the interpreter is shutting down); not the
    provider."""

REFRESH_LEEWAY: float
"""A token is refreshed this many seconds before it expires."""
LOGIN_TTL: float
"""Seconds a login in progress waits for its redirect: its `state` expires after this."""
MAX_RESPONSE_SIZE: int
"""The largest provider answer read, in bytes, unless a provider sets `max_response_size`."""

@final
class OAuthToken:
    """OAuth token, as Flet's `flet.auth.OAuthToken`: same constructor, attributes and JSON."""

    access_token: str
    scope: Optional[list[str]]
    token_type: Optional[str]
    expires_in: Optional[Union[int, float]]
    expires_at: Optional[Union[int, float]]
    refresh_token: Optional[str]
    id_token: Optional[str]
    def __new__(
        cls,
        access_token: str,
        scope: Optional[list[str]] = None,
        token_type: Optional[str] = None,
        expires_in: Optional[Union[int, float]] = None,
        expires_at: Optional[Union[int, float]] = None,
        refresh_token: Optional[str] = None,
        id_token: Optional[str] = None,
    ) -> OAuthToken: ...
    def to_json(self) -> str:
        """Compact JSON with the `None` fields left out, as Flet writes it."""
    def __copy__(self) -> OAuthToken:
        """A new token with the same fields, changed independently of this one (`copy.copy`)."""
    def __deepcopy__(self, memo: Any, /) -> OAuthToken:
        """`copy.deepcopy`: the fields are immutable values, so a copy is deep already."""
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        """Pickles as its JSON (`to_json`), read back by `from_json`, like Flet's token."""
    @staticmethod
    def from_json(data: Union[str, bytes]) -> OAuthToken:
        """Reads JSON written by `to_json` (ours or Flet's)."""
    def needs_refresh(self, leeway: Optional[float] = None) -> bool:
        """Whether the token expires within `leeway` seconds (by default `REFRESH_LEEWAY`, the
        services' rule) and can be refreshed."""
    def is_usable(self) -> bool:
        """Whether the token can still be used: it has not expired, or it can be refreshed."""

@final
class ClientCredentialsService:
    """A token in the client's own name (RFC 6749 §4.4): fetched on first use and fetched anew
    within `REFRESH_LEEWAY` seconds of its expiry, by one request for all concurrent callers."""

    def __new__(
        cls,
        provider: Any,
        scope: Optional[Union[str, Sequence[str]]] = None,
        params: Optional[Mapping[str, str]] = None,
        *,
        on_token_update: Optional[Callable[[OAuthToken], Union[Awaitable[None], None]]] = None,
    ) -> ClientCredentialsService: ...
    def get_token(self) -> Awaitable[OAuthToken]:
        """The token, fetched first when there is none or it expires within `REFRESH_LEEWAY`
        seconds (an awaitable)."""
    def get_token_sync(self) -> OAuthToken:
        """`get_token` for code without an event loop."""
    def fetch(
        self,
        method: str,
        url: str,
        *,
        params: Optional[Mapping[str, Union[str, int, float]]] = None,
        json: Optional[Any] = None,
        data: Optional[Union[Mapping[str, Union[str, int, float]], str, bytes]] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Awaitable[FetchResponse]:
        """Calls an API with the token (fetched first when there is none or it is due): an
        awaitable of a `FetchResponse`. A relative `url` is appended to
        `provider.api_base_url`."""
    def fetch_sync(
        self,
        method: str,
        url: str,
        *,
        params: Optional[Mapping[str, Union[str, int, float]]] = None,
        json: Optional[Any] = None,
        data: Optional[Union[Mapping[str, Union[str, int, float]], str, bytes]] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> FetchResponse:
        """`fetch` for code without an event loop."""
    @property
    def current_token(self) -> Optional[OAuthToken]:
        """The current token as it is, without fetching one; None before the first fetch."""
    @property
    def provider(self) -> Any: ...
    @property
    def scope(self) -> list[str]:
        """The scope sent (space-separated) on every fetch; empty: none is sent (the
        provider's default for the client, RFC 6749 §3.3)."""
    @property
    def params(self) -> dict[str, str]:
        """The extra parameters sent on every fetch (a copy)."""
    @property
    def on_token_update(
        self,
    ) -> Optional[Callable[[OAuthToken], Union[Awaitable[None], None]]]: ...

@final
class FetchResponse:
    """The answer of `fetch()`: `status`, `headers` (a dict with lower-case names), `content`,
    `text` and `json()`. A 4xx or 5xx is an answer, not an error: `raise_for_status()` makes
    it one."""

    @property
    def status(self) -> int:
        """The HTTP status code."""
    @property
    def headers(self) -> dict[str, str]:
        """The answer's headers, names in lower case; repeated headers joined with ", "."""
    @property
    def content(self) -> bytes:
        """The body as bytes."""
    @property
    def text(self) -> str:
        """The body decoded by the `Content-Type` charset (UTF-8 when it names none; bytes that
        do not decode are replaced)."""
    def json(self) -> Any:
        """The body parsed as JSON; `InvalidResponseError` when it is not JSON."""
    def raise_for_status(self) -> Self:
        """Raises `HTTPStatusError` (with `status`) for a 4xx or 5xx answer; returns the response
        otherwise."""

@final
class SecretBox:
    """Encrypts and decrypts with `secret_key`, deriving each key once: the format of
    `encrypt`, a fresh nonce per record, a new salt after 2**30 records."""

    def __new__(cls, secret_key: str) -> SecretBox: ...
    def encrypt(self, plain_text: str) -> str:
        """Encrypts `plain_text` in the format of `flet_auth.security.encrypt`."""
    def decrypt(self, encrypted_data: str) -> str:
        """Decrypts what `encrypt` (this box, another one, or the module's) and Flet's
        `flet.security` wrote with this passphrase. Raises `InvalidToken` otherwise."""
    def would_derive(self, encrypted_data: Optional[str] = None) -> bool:
        """Whether `encrypt()` (no argument) or `decrypt(encrypted_data)` would first derive a
        key (about 80 ms of PBKDF2): async code runs only those calls off its event loop."""
    @property
    def derived_keys(self) -> int:
        """How many derived keys the box holds (each cost one PBKDF2 derivation)."""

@disjoint_base
class ServiceCore:
    """The Rust base of `flet_auth.AuthorizationService`."""

    def __new__(cls, *_args: Any, **_kwargs: Any) -> Self: ...
    def _setup(
        self,
        provider: Any,
        fetch_user: bool,
        fetch_groups: bool,
        scope: Optional[list[str]] = None,
        on_token_update: Optional[Callable[[OAuthToken], Any]] = None,
        redirect_url: Optional[str] = None,
    ) -> None:
        """Reads the provider (any object with the attributes of Flet's `OAuthProvider`) and
        composes the scope as Flet does. Called once, by `AuthorizationService.__init__`."""
    @property
    def scope(self) -> list[str]:
        """The scope of the next login; a list the app may change in place or replace."""
    @scope.setter
    def scope(self, scope: list[str]) -> None: ...
    @property
    def redirect_url(self) -> str:
        """The redirect URL this service sends (the provider's unless overridden)."""
    def get_authorization_data(self) -> tuple[str, str]:
        """Starts a login: a fresh `state` (and PKCE verifier, and OpenID nonce); returns
        `(authorization_url, state)`."""
    @property
    def uses_par(self) -> bool:
        """Whether logins push their authorization request (RFC 9126): the provider's `use_par`
        and `require_pushed_authorization_requests`; a `ConfigurationError` when the two
        cannot work together."""
    def start_authorization(self) -> Awaitable[tuple[str, str]]:
        """Starts a login as `get_authorization_data` does, first pushing the authorization
        request (RFC 9126) when the provider takes pushed requests: an awaitable of
        `(authorization_url, state)`."""
    def start_authorization_sync(self) -> tuple[str, str]:
        """`start_authorization` for code without an event loop."""
    @property
    def state(self) -> Optional[str]:
        """The `state` of the last authorization URL."""
    def check_state(self, state: str) -> None:
        """Accepts the `state` of a redirect once; raises `StateMismatchError` otherwise."""
    def check_authorization_response(self, params: dict[str, str]) -> str:
        """Reads the redirect's query (a dict): an `error` raises `OAuthError`, the `state` is
        checked as `check_state` does, then the `iss` (RFC 9207: `IssuerMismatchError`, and
        the login ends), and the code is returned."""
    @property
    def is_openid(self) -> bool:
        """Whether the provider is an OpenID Connect provider (it publishes a `jwks_uri`)."""
    def save_login(self) -> Optional[str]:
        """The login in progress (state, PKCE verifier, OpenID nonce) as JSON, for a process that
        receives the redirect in place of this one (`restore_login`); None when there is none.
        It holds secrets: keep it server side, encrypted."""
    def restore_login(self, saved: str) -> None:
        """Takes over a login saved by `save_login` (in this process or another) so that
        `check_state` and `request_token` finish it. An expired login is refused."""
    def _exchange(
        self, code: str, user_endpoint: Optional[str] = None
    ) -> Awaitable[tuple[OAuthToken, Any]]:
        """Exchanges the code (an awaitable of `(token, user)`); with `user_endpoint`, also GETs
        the user's JSON there, in the same engine task."""
    def _exchange_sync(
        self, code: str, user_endpoint: Optional[str] = None
    ) -> tuple[OAuthToken, Any]: ...
    def get_token(self) -> Awaitable[Optional[OAuthToken]]:
        """The current token, refreshed first when it expires within 60 s (an awaitable)."""
    def get_token_sync(self) -> Optional[OAuthToken]:
        """`get_token` for code without an event loop."""
    def fetch(
        self,
        method: str,
        url: str,
        *,
        params: Optional[Mapping[str, Union[str, int, float]]] = None,
        json: Optional[Any] = None,
        data: Optional[Union[Mapping[str, Union[str, int, float]], str, bytes]] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Awaitable[FetchResponse]:
        """Calls an API with the current token (refreshed first when due): an awaitable of a
        `FetchResponse`. A relative `url` is appended to `provider.api_base_url`."""
    def fetch_sync(
        self,
        method: str,
        url: str,
        *,
        params: Optional[Mapping[str, Union[str, int, float]]] = None,
        json: Optional[Any] = None,
        data: Optional[Union[Mapping[str, Union[str, int, float]], str, bytes]] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> FetchResponse:
        """`fetch` for code without an event loop."""
    @property
    def current_token(self) -> Optional[OAuthToken]:
        """The current token as it is, without refreshing it."""
    def load_token(self, saved_token: str) -> None:
        """Sets the token from JSON written by `OAuthToken.to_json()`; no request is made."""
    def clear(self) -> None:
        """Forgets the token and any login in progress."""
    @property
    def id_token_claims(self) -> Optional[dict[str, Any]]:
        """The verified claims of the last ID token (OpenID Connect), or None."""
    def _user_claims(
        self, userinfo_endpoint: Optional[str] = None
    ) -> Awaitable[Optional[dict[str, Any]]]: ...
    def _revoke(self, missing_ok: bool = False) -> Awaitable[bool]:
        """Revokes the tokens (RFC 7009) and forgets them. Without a revocation endpoint (none
        configured, none in the issuer's RFC 8414 metadata): False when `missing_ok`, else
        `ConfigurationError` (an awaitable)."""
    def _revoke_sync(self, missing_ok: bool = False) -> bool:
        """`_revoke` for code without an event loop."""
    def end_session_url(
        self, post_logout_redirect_uri: Optional[str] = None, state: Optional[str] = None
    ) -> str:
        """The provider's logout URL (OpenID Connect RP-initiated logout), with `id_token_hint` of
        the current token."""
    def _fetch_json(self, url: str) -> Awaitable[Any]: ...
    def _fetch_json_sync(self, url: str) -> Any: ...
    def _start_device_login(self) -> Awaitable[DeviceAuthorizationResponse]:
        """Starts a device login (RFC 8628 §3.1) for the service's scope: an awaitable of the
        provider's codes, whose `_wait` polls for the token."""
    def _start_device_login_sync(self) -> DeviceAuthorizationResponse: ...

@final
class DeviceAuthorizationResponse:
    """The codes of a device login and the service it logs in."""

    @property
    def user_code(self) -> str: ...
    @property
    def verification_uri(self) -> str: ...
    @property
    def verification_uri_complete(self) -> Optional[str]: ...
    @property
    def expires_in(self) -> int: ...
    @property
    def interval(self) -> float:
        """Seconds between polls: the provider's (5 by default), 5 more after each `slow_down`."""
    def _wait(self, user_endpoint: Optional[str] = None) -> Awaitable[tuple[OAuthToken, Any]]:
        """Polls until the user decides (an awaitable of `(token, user)`); with `user_endpoint`,
        also GETs the user's JSON there. Cancelling it stops the polling."""
    def _wait_sync(self, user_endpoint: Optional[str] = None) -> tuple[OAuthToken, Any]: ...

@disjoint_base
class MockServerCore:
    """The engine of `flet_auth.testing.MockOAuthServer`."""

    access_token_ttl: int
    def __new__(
        cls,
        port: int = 0,
        *,
        users: Optional[dict[str, dict[str, Any]]] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        public_client_id: Optional[str] = None,
        access_token_ttl: int = 3600,
        refresh_tokens: bool = True,
        login_form: bool = False,
        redirect_uris: Optional[list[str]] = None,
        id_token_alg: str = "RS256",
        issuer: Optional[str] = None,
        device_interval: float = 5.0,
        device_expires_in: int = 600,
        authorization_response_iss_parameter_supported: bool = True,
        require_par: bool = False,
        par_expires_in: int = 60,
        token_endpoint_auth_method: Optional[str] = None,
        client_jwks: Optional[dict[str, Any]] = None,
        require_dpop_nonce: bool = False,
    ) -> MockServerCore: ...
    @property
    def require_par(self) -> bool:
        """Whether the authorization endpoint refuses requests that were not pushed (RFC 9126),
        as discovery announces (`require_pushed_authorization_requests`)."""
    def expire_par_requests(self) -> None:
        """Makes every pushed authorization request expire now: the authorization endpoint then
        refuses its `request_uri` (`invalid_request_uri`)."""
    def last_par_request(self) -> Optional[dict[str, str]]:
        """The form of the last pushed authorization request (RFC 9126 §2.1: the authorization
        parameters and the client's authentication) without `client_secret`, or None."""
    @property
    def token_endpoint_auth_method(self) -> str:
        """How the confidential client authenticates: `client_secret_basic` (or post, both
        work), `private_key_jwt` or `client_secret_jwt`."""
    @property
    def issuer(self) -> str:
        """`iss` of the ID tokens: the `issuer` given, else the base URL."""
    @property
    def authorization_response_iss_parameter_supported(self) -> bool:
        """Whether authorization responses carry `iss` and discovery announces it (RFC 9207)."""
    def forge_iss(self, kind: str, times: int = 1) -> None:
        """Spoils the `iss` of the next `times` authorization responses (RFC 9207): `kind`
        "wrong" sends another provider's issuer (even when the parameter is off), "missing"
        sends none."""
    @property
    def id_token_alg(self) -> str:
        """`alg` of the ID tokens: "RS256" or "ES256"."""
    def rotate_keys(self, drop_old: bool = False) -> None:
        """Signs ID tokens with a new key of the same `alg`; the old keys stay in the JWKS
        (so tokens they signed still verify) unless `drop_old`."""
    def forge_id_token(self, kind: str, times: int = 1) -> None:
        """Makes the next `times` ID tokens wrong in one way (`kind`: wrong_iss, wrong_aud,
        multiple_aud_no_azp, wrong_azp, expired, future_iat, missing_iat, iat_not_a_number,
        empty_sub, nbf_future, bad_signature, unknown_kid, alg_none, hs256_with_public_key,
        key_use_enc, key_alg_mismatch, crit_header, typ_at_jwt, missing_nonce, wrong_nonce,
        wrong_at_hash). For key_use_enc and key_alg_mismatch the JWKS also publishes the
        mislabelled key that signs the token, until `clear_faults`."""
    @staticmethod
    def forgery_kinds() -> list[str]:
        """The names `forge_id_token` takes, one per way an ID token can be forged."""
    def last_end_session(self) -> Optional[dict[str, str]]:
        """The query of the last request to `/end_session`, or None."""
    def last_token_request(self) -> Optional[dict[str, str]]:
        """The form of the last token request (grant_type, scope, the app's own parameters,
        ...) without `client_secret`, or None."""
    def rotate_dpop_nonce(self, *, always: bool = False) -> None:
        """RFC 9449: a new DPoP nonce now (a proof with the old one gets `use_dpop_nonce`);
        with `always`, before every check too, so that no proof ever carries the current one."""
    @property
    def dpop_nonce(self) -> Optional[str]:
        """The nonce DPoP proofs must carry (with `require_dpop_nonce=True`), else None."""
    def last_dpop_proof(self) -> Optional[dict[str, Any]]:
        """The last DPoP proof the server accepted, decoded: `{"header": ..., "claims": ...}`,
        or None."""
    def access_token_jkt(self, access_token: str) -> Optional[str]:
        """The JWK thumbprint (`cnf.jkt`) of the DPoP key `access_token` is bound to; None for
        a bearer token or a token the server does not know."""
    def start(self) -> None:
        """Binds 127.0.0.1 (port 0 picks a free port) and serves in the background."""
    def stop(self) -> None:
        """Stops serving; waits up to 3 s for answers in progress."""
    @property
    def url(self) -> str:
        """Base URL, `http://127.0.0.1:PORT`."""
    @property
    def port(self) -> int: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...
    @property
    def public_client_id(self) -> str: ...
    @property
    def users(self) -> list[str]: ...
    def authorize(
        self, authorization_url: str, user: Optional[str] = None, approve: bool = True
    ) -> dict[str, str]:
        """Follows an authorization URL as `user` would in a browser, approving (or denying) it,
        and returns the query of the redirect: `code` and `state`, or `error`."""
    def approve_device(self, user_code: str, user: Optional[str] = None) -> None:
        """The user `user` (the first user when None) approves the device login of `user_code`,
        as on the verification page; raises `ConfigurationError` when no login waits for it."""
    def deny_device(self, user_code: str) -> None:
        """The user denies the device login of `user_code`."""
    def slow_down_device(self, times: int = 1) -> None:
        """Answers `slow_down` to the next `times` device polls, each adding 5 s to the interval
        the provider then expects: a client that polls sooner gets `slow_down` again."""
    def fail(
        self,
        endpoint: str,
        status: Optional[int] = None,
        body: Optional[str] = None,
        *,
        content_type: Optional[str] = None,
        delay: Optional[float] = None,
        close: bool = False,
        times: int = 1,
    ) -> None:
        """Answers the next `times` requests of `endpoint` with a fault instead of the normal
        answer: `status` and `body`, after `delay` seconds, or a connection closed mid-answer.
        A fault with only a `delay` slows the normal answer down."""
    def clear_faults(self) -> None:
        """Forgets the queued faults, forged ID tokens and spoiled `iss`, and withdraws the
        keys published for forged tokens."""
    def counts(self) -> dict[str, int]:
        """Requests received per endpoint (and per grant type: `token.refresh_token`, ...)."""
    def count(self, endpoint: str) -> int: ...
    def reset_counts(self) -> None: ...

@final
class LoopbackListener:
    """Listens on the host and port of a loopback `redirect_url` for one authorization redirect.

    Use `http://127.0.0.1:PORT/...` (RFC 8252 §8.3); `localhost` listens on both 127.0.0.1
    and ::1. `_header_timeout` (seconds a connection may take to send its request head, 10 by
    default) is for tests only."""

    def __new__(
        cls, redirect_url: str, *, _header_timeout: Optional[float] = None
    ) -> LoopbackListener: ...
    @property
    def redirect_url(self) -> str:
        """The redirect URL, with the port the listener got when the given one was 0."""
    @property
    def port(self) -> int: ...
    def wait(
        self, state: str, timeout: float = 300.0, complete_page_html: Optional[str] = None
    ) -> Awaitable[dict[str, str]]:
        """Waits for the redirect that carries `state`; other requests get 400 and the wait goes
        on. Returns the redirect's query (`code` and `state`, or `error`). The listener closes."""
    def wait_sync(
        self, state: str, timeout: float = 300.0, complete_page_html: Optional[str] = None
    ) -> dict[str, str]: ...
    def close(self) -> None:
        """Stops listening and returns once the port is free and every connection is closed,
        unanswered; a wait in progress raises `TransportError`. Also done when a wait ends."""

def fetch_json(
    url: str,
    access_token: str,
    timeout: Optional[float] = None,
    allow_insecure_http: bool = False,
    max_response_size: Optional[int] = None,
) -> Awaitable[Any]:
    """GET a JSON document with a bearer token: `await fetch_json(url, access_token)`. A
    redirect is followed (at most 5) when it keeps to HTTPS; the token goes to the URL's own
    origin only."""

def encrypt(plain_text: str, secret_key: str) -> str:
    """Encrypts text with a key derived from `secret_key` (PBKDF2-HMAC-SHA256, 600,000 rounds,
    fresh salt) with AES-256-GCM. `decrypt` reads it back."""

def decrypt(encrypted_data: str, secret_key: str) -> str:
    """Decrypts what `encrypt` wrote, and what Flet's `flet.security.encrypt` and
    `encrypt_aes_gcm_256` wrote. Raises `InvalidToken` for a wrong key or damaged data."""

def encrypt_fernet(plain_text: str, secret_key: str) -> str:
    """Encrypts in the format of Flet's `flet.security.encrypt` (salt + Fernet token), for data
    that Flet apps must read."""

def encrypt_aes_gcm_256(plain_text: str, secret_key: str) -> str:
    """Flet's `encrypt_aes_gcm_256`, byte for byte the same format."""

def decrypt_aes_gcm_256(encrypted_data: str, secret_key: str) -> str:
    """Flet's `decrypt_aes_gcm_256`. Raises `InvalidToken` for a wrong key or damaged data."""

def discover(
    url: str,
    issuer: Optional[str] = None,
    timeout: Optional[float] = None,
    allow_insecure_http: bool = False,
    max_response_size: Optional[int] = None,
) -> Awaitable[dict[str, Any]]:
    """Fetches (or takes from the per-process cache) a discovery document: `await discover(url)`.
    The `issuer` it names must be `issuer`, or the URL's issuer when it ends in the well-known
    path."""

def metadata_url(issuer: str) -> str:
    """The discovery document's URL for an issuer (OpenID Connect Discovery §4)."""

def discover_sync(
    url: str,
    issuer: Optional[str] = None,
    timeout: Optional[float] = None,
    allow_insecure_http: bool = False,
    max_response_size: Optional[int] = None,
) -> dict[str, Any]:
    """`discover` for code without an event loop."""

def check_client_key(
    client_key: Union[dict[str, Any], str], client_key_alg: Optional[str] = None
) -> None:
    """Checks a `client_key` and `client_key_alg` as a provider reads them, so that an app can
    refuse a bad key when it is configured: a `ConfigurationError` naming the setting, never
    the key."""

def _shutdown() -> None:
    """Stops the engine before the interpreter finalizes (registered with `atexit`)."""
