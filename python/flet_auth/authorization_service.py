"""`AuthorizationService`: the login engine behind `page.login`, as in
`flet.auth.authorization_service`, with state, PKCE, refresh and hooks done right."""

from __future__ import annotations

from flet_auth._core import ConfigurationError, OAuthToken, ServiceCore
from flet_auth._sync import run_sync
from flet_auth.authorization import Authorization
from flet_auth.group import Group
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.user import User

TYPE_CHECKING = False  # typing is not imported at run time: `import flet_auth` stays fast
if TYPE_CHECKING:
    from collections.abc import Awaitable
    from typing import Any, Callable, Optional, Union

    from flet_auth.device_authorization import DeviceAuthorization

    _TokenUpdateHook = Callable[[OAuthToken], Union[Awaitable[None], None]]

__all__ = ["AuthorizationService"]


class AuthorizationService(ServiceCore, Authorization):
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

    The engine half (`ServiceCore`, in Rust) holds the login in progress and the token:
    `get_authorization_data`, `start_authorization` (and `_sync`: the same, pushing the
    request first when the provider uses PAR, RFC 9126), `uses_par`, `state`, `check_state`,
    `check_authorization_response`, `get_token`, `get_token_sync`, `fetch`, `fetch_sync`,
    `current_token`, `load_token`, `id_token_claims`, `end_session_url`, `redirect_url`,
    `is_openid` and `scope` come from there.
    """

    __slots__ = ("__weakref__", "fetch_groups", "fetch_user", "on_token_update", "provider", "user")

    def __init__(
        self,
        provider: OAuthProvider,
        fetch_user: bool,
        fetch_groups: bool,
        scope: Optional[list[str]] = None,
        *,
        on_token_update: Optional[_TokenUpdateHook] = None,
        redirect_url: Optional[str] = None,
    ) -> None:
        self._setup(provider, fetch_user, fetch_groups, scope, on_token_update, redirect_url)
        self.provider = provider
        self.fetch_user = fetch_user
        self.fetch_groups = fetch_groups
        self.user: Optional[User] = None
        self.on_token_update = on_token_update

    async def request_token(self, code: str) -> None:
        """Exchanges the authorization code for a token, then loads the user."""
        endpoint = self._plain_user_endpoint()
        _, data = await self._exchange(code, endpoint)
        await self._after_token(endpoint, data)

    def request_token_sync(self, code: str) -> None:
        """`request_token` for code without an event loop."""
        endpoint = self._plain_user_endpoint()
        _, data = self._exchange_sync(code, endpoint)
        self._after_token_sync(endpoint, data)

    async def start_device_login(self) -> DeviceAuthorization:
        """Starts a device login (RFC 8628) for `scope` at the provider's
        `device_authorization_endpoint`: show the user the returned `user_code` and
        `verification_uri`, then `await flow.wait()`."""
        from flet_auth.device_authorization import DeviceAuthorization

        return DeviceAuthorization(self, await self._start_device_login())

    def start_device_login_sync(self) -> DeviceAuthorization:
        """`start_device_login` for code without an event loop."""
        from flet_auth.device_authorization import DeviceAuthorization

        return DeviceAuthorization(self, self._start_device_login_sync())

    async def _after_token(self, endpoint: Optional[str], data: Any) -> None:
        """The user after a login's token: from `data` (fetched at `endpoint` with the
        token), or loaded now."""
        if endpoint is None:
            await self._load_user()
        else:
            await self._set_user(data)

    def _after_token_sync(self, endpoint: Optional[str], data: Any) -> None:
        if endpoint is not None:
            run_sync(self._set_user(data))
        elif self.fetch_user:
            run_sync(self._load_user())

    @property
    def token(self) -> Optional[OAuthToken]:
        """The current token, refreshed when needed (Flet's older synchronous API)."""
        return self.get_token_sync()

    async def dehydrate_token(self, saved_token: str) -> None:
        """Restores a login from `OAuthToken.to_json()`: refreshes if needed, loads the user."""
        self.load_token(saved_token)
        await self.get_token()
        await self._load_user()

    def dehydrate_token_sync(self, saved_token: str) -> None:
        """`dehydrate_token` for code without an event loop."""
        self.load_token(saved_token)
        self.get_token_sync()
        if self.fetch_user:
            run_sync(self._load_user())

    def clear(self) -> None:
        """Forgets the token, the user and any login in progress."""
        super().clear()
        self.user = None

    async def revoke(self) -> None:
        """Revokes the refresh and access tokens at the provider (RFC 7009) and forgets them."""
        await self._revoke()
        self.user = None

    def revoke_sync(self) -> None:
        """`revoke` for code without an event loop."""
        self._revoke_sync()
        self.user = None

    def _plain_user_endpoint(self) -> Optional[str]:
        """The provider's `user_endpoint` when the user is a plain GET there (no provider code
        to run first): the engine then fetches it together with the token."""
        provider: Any = self.provider
        if not self.fetch_user or type(provider)._fetch_user is not _BASE_FETCH_USER:
            return None
        if self.is_openid or getattr(provider, "user_id_fn", None) is None:
            return None
        endpoint = getattr(provider, "user_endpoint", None)
        return endpoint if isinstance(endpoint, str) else None

    async def _set_user(self, data: Any) -> None:
        """The user from the provider's user JSON, with groups when they are fetched."""
        provider: Any = self.provider
        await self._set_groups(User(data, str(provider.user_id_fn(data))))

    async def _set_groups(self, user: Optional[User]) -> None:
        token = self.current_token
        if self.fetch_groups and user is not None and token is not None:
            user.groups = await self.provider._fetch_groups(token.access_token)
        self.user = user

    async def _load_user(self) -> None:
        if not self.fetch_user:
            return
        token = self.current_token
        if token is None:
            return
        access_token = token.access_token
        provider: Any = self.provider
        if self.is_openid:
            await self._load_openid_user(provider)
            return
        user: Optional[User] = await provider._fetch_user(access_token)
        if user is None and getattr(provider, "user_endpoint", None) is not None:
            if getattr(provider, "user_id_fn", None) is None:
                raise ConfigurationError(
                    "user_id_fn must be specified too if user_endpoint is not None"
                )
            await self._set_user(await self._fetch_json(provider.user_endpoint))
            return
        await self._set_groups(user)

    async def _load_openid_user(self, provider: Any) -> None:
        claims = await self._user_claims(getattr(provider, "user_endpoint", None))
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


_BASE_FETCH_USER = OAuthProvider._fetch_user
