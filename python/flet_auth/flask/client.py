"""`auth.<name>`: one registered provider, with Authlib's `authorize_redirect` and
`authorize_access_token`."""

import copy
import secrets
import time
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlsplit

from flask import (
    current_app,
    g,
    redirect,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from flet_auth._core import (
    AuthError,
    ConfigurationError,
    InvalidResponseError,
    OAuthError,
    OAuthToken,
    StateMismatchError,
)
from flet_auth.authorization_service import AuthorizationService
from flet_auth.flask._common import (
    _EXTENSION,
    _SESSION_BROWSER,
    _SESSION_CSRF,
    _SESSION_LOGIN,
    PENDING_LOGIN_TTL,
    AuthEvent,
    _app_state,
    _failure_event,
    logger,
    safe_next,
)
from flet_auth.flask.store import (
    StoredLogin,
    StoreUnavailableError,
)
from flet_auth.oauth_provider import OAuthProvider

if TYPE_CHECKING:
    from flet_auth.authorization_service import _TokenUpdateHook
    from flet_auth.flask.extension import FletAuth


def _scope_list(value: Any, setting: str) -> Optional[list[str]]:
    if value is None:
        return None
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value):
        return list(value)
    raise ConfigurationError(f"{setting} must be a space-separated string or a list of strings")


def _user_id(data: Any) -> Any:
    if isinstance(data, dict):
        for key in ("sub", "id"):
            if data.get(key) is not None:
                return data[key]
    raise InvalidResponseError("the user info has neither `sub` nor `id`")


_SETTINGS = (
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
    "timeout",
    "allow_insecure_http",
    "token_endpoint_auth_method",
)
_CLIENT_KWARGS = ("scope", "token_endpoint_auth_method", "timeout", "code_challenge_method")
_BUILT_IN = ("github", "google", "azure", "auth0")


class FlaskOAuthClient:
    """One registered provider, `auth.<name>`: starts and completes logins (Authlib's names)."""

    def __init__(
        self,
        ext: "FletAuth",
        name: str,
        provider: Optional[OAuthProvider],
        settings: dict[str, Any],
        overwrite: bool,
    ) -> None:
        self.name = name
        self._ext = ext
        self._given = provider
        self._settings = settings
        self._overwrite = overwrite

    # -- settings --------------------------------------------------------------------------

    def _setting(self, key: str, default: Any = None) -> Any:
        """A setting from `register(...)` or the app config (`{NAME}_{KEY}`), as Authlib."""
        conf = current_app.config.get(f"{self.name.upper()}_{key.upper()}")
        given = self._settings.get(key)
        if isinstance(conf, dict) and isinstance(given, dict):
            return {**given, **conf} if self._overwrite else {**conf, **given}
        first, second = (conf, given) if self._overwrite else (given, conf)
        value = first if first is not None else second
        return default if value is None else value

    def _client_kwargs(self) -> dict[str, Any]:
        value = self._setting("client_kwargs", {})
        if not isinstance(value, dict):
            raise ConfigurationError(f"{self.name.upper()}_CLIENT_KWARGS must be a dict")
        unknown = sorted(set(value) - set(_CLIENT_KWARGS))
        if unknown:
            raise ConfigurationError(
                f"unknown client_kwargs {unknown} for {self.name!r}; known: {list(_CLIENT_KWARGS)}"
            )
        if value.get("code_challenge_method", "S256") != "S256":
            raise ConfigurationError("only code_challenge_method S256 is supported")
        return value

    def _scope(self) -> Optional[list[str]]:
        scope = self._setting("scope")
        if scope is None:
            scope = self._client_kwargs().get("scope")
        return _scope_list(scope, f"the scope of {self.name!r}")

    @property
    def fetch_user(self) -> bool:
        """Whether logins load the user (default True)."""
        return bool(self._setting("fetch_user", True))

    @property
    def fetch_groups(self) -> bool:
        """Whether logins load the user's groups (default False)."""
        return bool(self._setting("fetch_groups", False))

    @property
    def provider(self) -> OAuthProvider:
        """The provider: the one given to `register`, or one built from the settings."""
        if self._given is not None:
            return self._given
        providers = _app_state().providers
        provider = providers.get(self.name)
        if provider is None:
            provider = providers.setdefault(self.name, self._build_provider())
        return provider

    def _build_provider(self) -> OAuthProvider:
        from flet_auth import providers

        upper = self.name.upper()
        client_id = self._setting("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError(f"{upper}_CLIENT_ID is not set (nor client_id=)")
        client_secret = self._setting("client_secret")
        if client_secret is not None and not isinstance(client_secret, str):
            raise ConfigurationError(f"{upper}_CLIENT_SECRET must be a string")
        redirect_url = self._setting("redirect_uri") or self._callback_url()
        kwargs = self._client_kwargs()
        settings: dict[str, Any] = {}
        for key in ("timeout", "allow_insecure_http", "token_endpoint_auth_method"):
            value = self._setting(key, kwargs.get(key))
            if value is not None:
                settings[key] = value
        scope = self._scope()
        metadata_url = self._setting("server_metadata_url")
        authorize_url = self._setting("authorize_url")
        token_url = self._setting("access_token_url")
        revocation = self._setting("revocation_endpoint")
        end_session = self._setting("end_session_endpoint")
        params = self._setting("authorize_params")
        if metadata_url:
            return providers.OpenIDProvider(
                client_id,
                client_secret,
                redirect_url,
                server_metadata_url=metadata_url,
                scopes=scope,
                groups_claim=self._setting("groups_claim", "groups"),
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
                user_endpoint=self._setting("userinfo_endpoint"),
                user_id_fn=_user_id,
                authorization_params=params,
                **settings,
            )
            provider.revocation_endpoint = revocation
            provider.end_session_endpoint = end_session
            return provider
        kind = self.name.lower()
        if kind not in _BUILT_IN or client_secret is None:
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
                base_url=self._setting("base_url", "https://github.com"),
                api_base_url=self._setting("api_base_url"),
                **settings,
            )
        if kind == "google":
            return providers.GoogleOAuthProvider(client_id, client_secret, redirect_url, **settings)
        if kind == "azure":
            return providers.AzureOAuthProvider(
                client_id,
                client_secret,
                redirect_url,
                self._setting("tenant", "common"),
                **settings,
            )
        domain = self._setting("domain")
        if not domain:
            raise ConfigurationError(f"set {upper}_DOMAIN (your Auth0 tenant's domain)")
        return providers.Auth0OAuthProvider(
            domain, client_id, client_secret, redirect_url, self._setting("audience"), **settings
        )

    def _callback_url(self) -> str:
        return url_for(f"{_EXTENSION}.callback", name=self.name, _external=True)

    def _service(
        self,
        provider: Optional[OAuthProvider] = None,
        *,
        redirect_uri: Optional[str] = None,
        on_token_update: Optional["_TokenUpdateHook"] = None,
        load_user: bool = True,
    ) -> AuthorizationService:
        # The scope goes to the service too: it composes it with the provider's, without
        # duplicates, so a scope set on a built-in provider is added to the provider's own.
        return AuthorizationService(
            provider or self.provider,
            load_user and self.fetch_user,
            load_user and self.fetch_groups,
            self._scope(),
            on_token_update=on_token_update,
            redirect_url=redirect_uri,
        )

    @property
    def lock_ttl(self) -> float:
        """Seconds the refresh lock is held at most: the provider's timeout and a margin."""
        timeout = getattr(self.provider, "timeout", 30.0)
        return float(timeout if isinstance(timeout, (int, float)) else 30.0) + 10.0

    # -- Authlib's calls -------------------------------------------------------------------

    def authorize_redirect(
        self,
        redirect_uri: Optional[str] = None,
        *,
        next_url: Optional[str] = None,
        **authorization_params: str,
    ) -> BaseResponse:
        """Starts a login: remembers it server side and redirects the browser to the provider.

        `redirect_uri` is where the provider sends the browser back (default: the built-in
        `/login/<name>/callback`); that route calls `authorize_access_token()`. `next_url`, a
        same-site path, is where the built-in callback sends the browser after the login.
        Extra keywords become authorization parameters (`prompt="login"`, say).
        """
        if redirect_uri is None:
            redirect_uri = self._setting("redirect_uri") or self._callback_url()
        parts = urlsplit(str(redirect_uri))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError("redirect_uri must be an absolute http(s) URL")
        if next_url is not None and safe_next(next_url) is None:
            raise ConfigurationError("next_url must be a same-site path such as /page")
        logins = _app_state().logins  # first, so that a missing secret key is named as such
        provider = self.provider
        if authorization_params:
            provider = copy.copy(provider)
            params = dict(getattr(provider, "authorization_params", None) or {})
            params.update({k: str(v) for k, v in authorization_params.items()})
            provider.authorization_params = params
        service = self._service(provider, redirect_uri=redirect_uri)
        url, login_state = service.get_authorization_data()
        browser = session.get(_SESSION_BROWSER)
        if not isinstance(browser, str):
            browser = secrets.token_urlsafe(24)
            session[_SESSION_BROWSER] = browser
        pending = {
            "client": self.name,
            "redirect_uri": redirect_uri,
            # state, PKCE verifier and OpenID nonce, for whichever worker gets the redirect
            "login": service.save_login(),
            "next": next_url,
            "issued_at": time.time(),
        }
        # Keyed by this browser's id and the state: a redirect delivered to another browser
        # finds nothing (login CSRF) and cannot use up this browser's login either.
        logins.put_pending(f"{browser}:{login_state}", pending, PENDING_LOGIN_TTL)
        return redirect(url, code=302)

    def authorize_access_token(self) -> OAuthToken:
        """Completes the login from the provider's redirect and returns the token.

        Checks `state` (single use, this browser's, not expired), exchanges the code (with the
        PKCE verifier; for OpenID Connect the ID token is verified and its `nonce` checked),
        loads the user, stores the login and rotates the session's login id. `on_login`
        handlers run. Raises `StateMismatchError`, `OAuthError` (the provider's `error`, such as
        `access_denied`), `IDTokenError`, or the transport errors of the exchange.
        """
        try:
            login = self._complete()[0]
        except AuthError as e:
            if not isinstance(e, StoreUnavailableError):
                self._ext._fire("login", _failure_event(self.name, e))
            raise
        self._ext._fire("login", AuthEvent(self.name, login.to_user()))
        return login.token

    def _complete(self) -> tuple[StoredLogin, Optional[str]]:
        logins = _app_state().logins
        values = request.values
        login_state = values.get("state", "")
        if not login_state:
            raise StateMismatchError("the redirect carries no state")
        browser = session.get(_SESSION_BROWSER)
        if not isinstance(browser, str):
            raise StateMismatchError("no login was started in this browser session")
        pending = logins.pop_pending(f"{browser}:{login_state}")
        if pending is None:
            raise StateMismatchError(
                "the state is unknown, already used, expired or from another browser session"
            )
        if pending["client"] != self.name:
            raise StateMismatchError("this state belongs to a login with another provider")
        if time.time() - float(pending["issued_at"]) > PENDING_LOGIN_TTL:
            raise StateMismatchError("the login expired; start a new one")
        error = values.get("error")
        if error:
            description = values.get("error_description", "")
            failure = OAuthError(f"the provider refused the login: {error}")
            failure.error = error
            failure.error_description = description or None
            raise failure
        code = values.get("code", "")
        if not code:
            raise InvalidResponseError("the redirect carries no code")
        saved = pending.get("login")
        if not isinstance(saved, str):
            raise StateMismatchError("the login was started by another version; start a new one")
        service = self._service(redirect_uri=pending["redirect_uri"])
        service.restore_login(saved)
        service.check_state(login_state)
        service.request_token_sync(code)  # PKCE verifier sent; ID token and nonce verified
        token = service.current_token  # as issued: a short-lived one is refreshed when used
        if token is None:
            raise InvalidResponseError("the provider issued no token")
        login = StoredLogin.of(self.name, token, service.user)
        login_id = secrets.token_urlsafe(32)
        logins.write(login_id, login)
        old = session.get(_SESSION_LOGIN)
        if isinstance(old, str):
            logins.delete(old)
        session[_SESSION_LOGIN] = login_id
        session[_SESSION_CSRF] = secrets.token_urlsafe(32)
        g.pop("_flet_auth", None)
        logger.info("flask: login with %s completed", self.name)
        return login, pending.get("next")

    def __repr__(self) -> str:
        return f"FlaskOAuthClient({self.name!r})"
