"""`AuthPage`: Flet's `page.login` for programs without Flet (desktop, command line, scripts).

Example::

    page = AuthPage(store=FileTokenStore("~/.myapp/token", os.environ["MYAPP_KEY"]))
    page.on_login = lambda e: print("signed in" if not e.error else e.error)
    page.login_sync(GitHubOAuthProvider(client_id, secret, "http://127.0.0.1:0/callback"))
    print(page.auth.user["login"])

The browser opens the provider's page; the redirect comes back to a one-shot listener on the
loopback `redirect_url` (port 0 picks a free port). With a store, the next login starts from
the saved token when it is still usable or can be refreshed, and every new token is saved.

Where no browser can be opened (over SSH, on a TV), `page.login_device(provider)` uses the
device authorization grant (RFC 8628) instead: it prints a code and a URL to enter it at on
another device, and waits.
"""

import inspect
import logging
from collections.abc import Awaitable
from typing import Any, Callable, Optional, Union

from flet_auth._core import (
    AuthError,
    ConfigurationError,
    LoopbackListener,
    OAuthError,
    OAuthToken,
)
from flet_auth._login_failure import event_fields, refused_in_redirect
from flet_auth._sync import run_sync
from flet_auth.authorization_service import AuthorizationService
from flet_auth.device_authorization import DeviceAuthorization
from flet_auth.login_event import LoginEvent
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.providers.openid_provider import ensure_discovered
from flet_auth.security import InvalidToken
from flet_auth.store import FileTokenStore

__all__ = ["AuthPage"]

_log = logging.getLogger("flet_auth")

Handler = Callable[[Any], Union[Awaitable[None], None]]


async def _call(handler: Optional[Callable[..., Any]], *args: Any) -> None:
    if handler is not None:
        result = handler(*args)
        if inspect.isawaitable(result):
            await result


class AuthPage:
    """`page.login`, `page.logout`, `page.auth`, `page.on_login` and `page.on_logout` of Flet,
    for apps that are not Flet apps."""

    def __init__(self, *, store: Optional[FileTokenStore] = None) -> None:
        self.store = store
        self.auth: Optional[AuthorizationService] = None
        self.on_login: Optional[Handler] = None
        self.on_logout: Optional[Handler] = None

    async def login(
        self,
        provider: OAuthProvider,
        fetch_user: bool = True,
        fetch_groups: bool = False,
        scope: Optional[list[str]] = None,
        saved_token: Optional[str] = None,
        on_open_authorization_url: Optional[Callable[[str], Any]] = None,
        complete_page_html: Optional[str] = None,
        timeout: float = 300,
    ) -> AuthorizationService:
        """Logs in and returns the service, also kept as `page.auth`.

        A provider's error (the user denied access, say) ends the login with a `LoginEvent`
        carrying it, and `page.auth` stays None. Failures of the exchange are reported to
        `on_login` too, then raised; so are a timeout and a redirect URL that is not loopback.
        """
        await ensure_discovered(provider)
        hook = self._save if self.store is not None else None
        if saved_token is None and self.store is not None:
            saved_token = self._load_saved()
        if saved_token is not None:
            service = AuthorizationService(
                provider, fetch_user, fetch_groups, scope, on_token_update=hook
            )
            if await self._resume(service, saved_token):
                return await self._logged_in(service)

        if not provider.redirect_url:
            raise ConfigurationError(
                "provider.redirect_url is required for a login through the browser"
            )
        listener = LoopbackListener(provider.redirect_url)
        try:
            service = AuthorizationService(
                provider,
                fetch_user,
                fetch_groups,
                scope,
                on_token_update=hook,
                redirect_url=listener.redirect_url,
            )
            url, state = await service.start_authorization()  # pushed first when PAR is on
            waiting = listener.wait(state, timeout, complete_page_html)
            if on_open_authorization_url is not None:
                await _call(on_open_authorization_url, url)
            else:
                import webbrowser

                webbrowser.open(url)
            redirect = await waiting
        finally:
            listener.close()

        try:
            await service.request_token(service.check_authorization_response(redirect))
        except AuthError as e:
            if refused_in_redirect(e):
                assert isinstance(e, OAuthError)
                await _call(self.on_login, LoginEvent(e.error, e.error_description or ""))
                return service
            await _call(self.on_login, LoginEvent(*event_fields(e)))
            raise
        return await self._logged_in(service)

    def login_sync(self, provider: OAuthProvider, **kwargs: Any) -> AuthorizationService:
        """`login` for code without an event loop; same arguments."""
        return run_sync(self.login(provider, **kwargs))

    async def login_device(
        self,
        provider: OAuthProvider,
        on_user_code: Optional[Callable[[DeviceAuthorization], Any]] = None,
        fetch_user: bool = True,
        fetch_groups: bool = False,
        scope: Optional[list[str]] = None,
        saved_token: Optional[str] = None,
    ) -> AuthorizationService:
        """Logs in with the device authorization grant (RFC 8628), for a program the user
        cannot browse from: prints the code and the URL to enter it at (or calls
        `on_user_code(flow)`, sync or async, with the `DeviceAuthorization`), waits for the
        user, and returns the service, also kept as `page.auth`. The store works as for `login`.

        A denial or expired codes end the login with a `LoginEvent` carrying the error, and
        `page.auth` stays None; other failures are reported to `on_login` too, then raised.
        """
        await ensure_discovered(provider)
        hook = self._save if self.store is not None else None
        if saved_token is None and self.store is not None:
            saved_token = self._load_saved()
        if saved_token is not None:
            saved = AuthorizationService(
                provider, fetch_user, fetch_groups, scope, on_token_update=hook
            )
            if await self._resume(saved, saved_token):
                return await self._logged_in(saved)
        service = AuthorizationService(
            provider, fetch_user, fetch_groups, scope, on_token_update=hook
        )
        try:
            flow = await service.start_device_login()
            if on_user_code is not None:
                await _call(on_user_code, flow)
            else:
                print(_device_instructions(flow), flush=True)
            await flow.wait()
        except AuthError as e:
            if isinstance(e, OAuthError) and e.error in ("access_denied", "expired_token"):
                await _call(self.on_login, LoginEvent(e.error, e.error_description or ""))
                return service
            await _call(self.on_login, LoginEvent(*event_fields(e)))
            raise
        return await self._logged_in(service)

    def login_device_sync(self, provider: OAuthProvider, **kwargs: Any) -> AuthorizationService:
        """`login_device` for code without an event loop; same arguments."""
        return run_sync(self.login_device(provider, **kwargs))

    def logout(self, revoke: bool = False) -> None:
        """Forgets the login and the saved token, then calls `on_logout`. With `revoke=True`
        the tokens are first revoked at the provider (RFC 7009); a failed revocation is raised
        once the login is forgotten and `on_logout` has run, as `flet_auth.flet.logout` and
        the web logouts do: the user is logged out here either way."""
        failure: Optional[AuthError] = None
        if self.auth is not None:
            if revoke:
                try:
                    self.auth.revoke_sync()
                except AuthError as e:
                    failure = e
            self.auth.clear()
        self.auth = None
        if self.store is not None:
            self.store.clear()
        run_sync(_call(self.on_logout, LoginEvent(name="logout")))
        if failure is not None:
            raise failure

    def _load_saved(self) -> Optional[str]:
        """The stored token, or None when there is none or it cannot be read: a changed key or
        a damaged file means a browser login, whose token then replaces the file."""
        assert self.store is not None
        try:
            return self.store.load()
        except InvalidToken as e:
            _log.warning("ignoring the saved login, logging in again: %s", e)
            return None

    async def _resume(self, service: AuthorizationService, saved_token: str) -> bool:
        """Logs in from a saved token when it is usable or refreshable."""
        if not OAuthToken.from_json(saved_token).is_usable():
            return False
        try:
            await service.dehydrate_token(saved_token)
        except OAuthError:
            return False  # the refresh token was revoked or expired: log in again
        return True

    async def _logged_in(self, service: AuthorizationService) -> AuthorizationService:
        self.auth = service
        if self.store is not None:
            token = await service.get_token()
            if token is not None:
                self.store.save(token.to_json())
        await _call(self.on_login, LoginEvent("", ""))
        return service

    def _save(self, token: OAuthToken) -> None:
        if self.store is not None:
            self.store.save(token.to_json())

    def __repr__(self) -> str:
        return f"AuthPage(logged_in={self.auth is not None}, store={self.store!r})"


def _device_instructions(flow: DeviceAuthorization) -> str:
    """What `login_device` prints: where to go and the code to enter."""
    text = f"To sign in, open {flow.verification_uri} and enter the code {flow.user_code}"
    if flow.verification_uri_complete:
        text += f"\n(or open {flow.verification_uri_complete})"
    return text
