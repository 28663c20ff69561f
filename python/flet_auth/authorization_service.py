"""`AuthorizationService`: the login engine behind `page.login`, as in
`flet.auth.authorization_service`, with state, PKCE, refresh and hooks done right."""

from collections.abc import Awaitable
from typing import Any, Callable, Optional, Union

from flet_auth._core import ConfigurationError, OAuthToken, ServiceCore, compose_scope
from flet_auth._sync import run_sync
from flet_auth.authorization import Authorization
from flet_auth.group import Group
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.user import User

__all__ = ["AuthorizationService"]

TokenUpdateHook = Callable[[OAuthToken], Union[Awaitable[None], None]]


class AuthorizationService(Authorization):
    """Runs one login with `provider` and keeps its token fresh.

    Pass it to Flet as `page.login(provider, authorization=AuthorizationService)`, or use it
    directly::

        service = AuthorizationService(provider, fetch_user=True, fetch_groups=False)
        url, state = service.get_authorization_data()
        # ... the browser comes back to the redirect URL with `code` and `state` ...
        service.check_state(state_from_redirect)
        await service.request_token(code)
        token = await service.get_token()      # refreshed 60 s before it expires

    `provider` may be any object with the attributes of Flet's `OAuthProvider` (ours, Flet's,
    or a subclass). `on_token_update(token)`, sync or async, receives every new token (after
    the code exchange and after each refresh) before callers get it: save it there.
    `redirect_url` overrides the provider's (a loopback port chosen at run time, say).
    """

    def __init__(
        self,
        provider: OAuthProvider,
        fetch_user: bool,
        fetch_groups: bool,
        scope: Optional[list[str]] = None,
        *,
        on_token_update: Optional[TokenUpdateHook] = None,
        redirect_url: Optional[str] = None,
    ) -> None:
        self.provider = provider
        self.fetch_user = fetch_user
        self.fetch_groups = fetch_groups
        self.scope: list[str] = compose_scope(
            scope,
            getattr(provider, "scopes", None),
            getattr(provider, "user_scopes", None) if fetch_user else None,
            getattr(provider, "group_scopes", None) if fetch_groups else None,
        )
        self.user: Optional[User] = None
        self.on_token_update = on_token_update
        self._core = ServiceCore(provider, self.scope, on_token_update, redirect_url)

    @property
    def redirect_url(self) -> str:
        """The redirect URL this service sends."""
        return self._core.redirect_url

    @property
    def state(self) -> Optional[str]:
        """The `state` of the last authorization URL."""
        return self._core.state

    def get_authorization_data(self) -> tuple[str, str]:
        """Starts a login: a fresh `state` (and PKCE verifier); returns `(url, state)`."""
        return self._core.authorization_url()

    def check_state(self, state: str) -> None:
        """Accepts the `state` of a redirect once; raises `StateMismatchError` otherwise."""
        self._core.check_state(state)

    async def request_token(self, code: str) -> None:
        """Exchanges the authorization code for a token, then loads the user."""
        await self._core.request_token(code)
        await self._load_user()

    def request_token_sync(self, code: str) -> None:
        """`request_token` for code without an event loop."""
        self._core.request_token_sync(code)
        if self.fetch_user:
            run_sync(self._load_user())

    async def get_token(self) -> Optional[OAuthToken]:
        """The current token, refreshed first when it expires within 60 s."""
        return await self._core.get_token()

    def get_token_sync(self) -> Optional[OAuthToken]:
        """`get_token` for code without an event loop."""
        return self._core.get_token_sync()

    @property
    def token(self) -> Optional[OAuthToken]:
        """The current token, refreshed when needed (Flet's older synchronous API)."""
        return self._core.get_token_sync()

    async def dehydrate_token(self, saved_token: str) -> None:
        """Restores a login from `OAuthToken.to_json()`: refreshes if needed, loads the user."""
        self._core.load_token(saved_token)
        await self._core.get_token()
        await self._load_user()

    def dehydrate_token_sync(self, saved_token: str) -> None:
        """`dehydrate_token` for code without an event loop."""
        self._core.load_token(saved_token)
        self._core.get_token_sync()
        if self.fetch_user:
            run_sync(self._load_user())

    def clear(self) -> None:
        """Forgets the token, the user and any login in progress."""
        self._core.clear()
        self.user = None

    @property
    def id_token_claims(self) -> Optional[dict[str, Any]]:
        """The verified claims of the last ID token (OpenID Connect), or None."""
        return self._core.id_token_claims

    async def revoke(self) -> None:
        """Revokes the refresh and access tokens at the provider (RFC 7009) and forgets them."""
        await self._core.revoke()
        self.user = None

    def revoke_sync(self) -> None:
        """`revoke` for code without an event loop."""
        self._core.revoke_sync()
        self.user = None

    def end_session_url(
        self, post_logout_redirect_uri: Optional[str] = None, state: Optional[str] = None
    ) -> str:
        """The provider's logout URL (OpenID Connect RP-initiated logout), with
        `id_token_hint` of the current token."""
        return self._core.end_session_url(post_logout_redirect_uri, state)

    async def _load_user(self) -> None:
        if not self.fetch_user:
            return
        token = self._core.token
        if token is None:
            return
        access_token = token.access_token
        provider: Any = self.provider
        if getattr(provider, "jwks_uri", None):
            await self._load_openid_user(provider)
            return
        user: Optional[User] = await provider._fetch_user(access_token)
        if user is None and getattr(provider, "user_endpoint", None) is not None:
            if getattr(provider, "user_id_fn", None) is None:
                raise ConfigurationError(
                    "user_id_fn must be specified too if user_endpoint is not None"
                )
            data = await self._core.fetch_json(provider.user_endpoint)
            user = User(data, str(provider.user_id_fn(data)))
        if self.fetch_groups and user is not None:
            user.groups = await provider._fetch_groups(access_token)
        self.user = user

    async def _load_openid_user(self, provider: Any) -> None:
        claims = await self._core.user_claims(getattr(provider, "user_endpoint", None))
        if claims is None:
            self.user = None
            return
        user = User(claims, str(provider.user_id_fn(claims)))
        if self.fetch_groups:
            user.groups = [Group({}, name=name) for name in provider.groups_from(claims)]
        self.user = user

    def __repr__(self) -> str:
        return (
            f"AuthorizationService(provider={self.provider!r}, fetch_user={self.fetch_user}, "
            f"fetch_groups={self.fetch_groups}, scope={self.scope!r})"
        )
