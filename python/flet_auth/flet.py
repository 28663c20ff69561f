"""Login for Flet apps on every platform: web, desktop and mobile.

Example::

    import flet_auth.flet

    async def login_click(e):
        await flet_auth.flet.login(page, provider, scope=["public_repo"])

    async def on_login(e):
        if not e.error:
            token = await page.auth.get_token()   # page.auth is a flet_auth.AuthorizationService

Which way a login goes depends on the page's transport:

- Flet web (`flet_web.fastapi`) has Flet's `/oauth_callback` route: the login is Flet's own
  `page.login(..., authorization=AuthorizationService)` (a popup, or the same tab with
  `redirect_to_page=True`).
- Flet desktop and mobile have no such route (Flet's own `page.login` raises
  `NotImplementedError` there), so the redirect comes back to a one-shot loopback listener at
  the provider's `redirect_url` (RFC 8252): `http://127.0.0.1:0/callback` picks a free port.
"""

import asyncio
import functools
import inspect
import logging
import math
import weakref
from collections.abc import Awaitable, Coroutine
from contextvars import ContextVar
from typing import Any, Callable, Optional, Union

import flet as ft
from flet.controls.context import _context_page
from flet.messaging.connection import Connection

from flet_auth._core import ConfigurationError, LoopbackListener, OAuthError
from flet_auth._login_failure import event_fields, refused_in_redirect
from flet_auth.authorization_service import AuthorizationService
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.providers.openid_provider import ensure_discovered
from flet_auth.store import FileTokenStore

__all__ = ["login", "logout"]

OpenAuthorizationURL = Callable[[str], Union[Awaitable[None], None]]

_log = logging.getLogger("flet_auth")

_MOBILE = ("ios", "android")  # the platforms Flet closes the in-app web view on
_CLIENT_CALL_TIMEOUT = 30.0  # how long bringing the app forward may wait for the client


async def login(
    page: ft.Page,
    provider: OAuthProvider,
    fetch_user: bool = True,
    fetch_groups: bool = False,
    scope: Optional[list[str]] = None,
    saved_token: Optional[str] = None,
    on_open_authorization_url: Optional[OpenAuthorizationURL] = None,
    complete_page_html: Optional[str] = None,
    redirect_to_page: Optional[bool] = False,
    timeout: float = 300,
) -> AuthorizationService:
    """Logs in on a Flet page with flet-auth's `AuthorizationService`; `page.auth` is the
    service it returns, and `page.on_login` fires once with a `LoginEvent`.

    The arguments are `page.login`'s. `on_open_authorization_url(url)` (sync or async)
    replaces Flet's `UrlLauncher`; `saved_token` restores a login without a browser.

    On Flet web the call returns once the provider's page is open, as Flet's does. On
    desktop and mobile it returns when the login is over: `timeout` seconds to wait for the
    redirect, `complete_page_html` for the browser's last page, `redirect_to_page` unused.
    A denial ends it with `LoginEvent(error="access_denied")`; a timeout or a failed code
    exchange fires `on_login` with the error, then raises it (a `flet_auth.AuthError`).
    Errors found before the browser opens (settings, OpenID discovery) are only raised. A
    second login on the page ends one that is still waiting: the first returns its service
    without a token and fires no event.
    """
    _check_page(page)
    _check_timeout(timeout)
    redirect_url = getattr(provider, "redirect_url", None)
    if not isinstance(redirect_url, str):
        raise ConfigurationError("provider must be an OAuthProvider with a redirect_url")
    if on_open_authorization_url is not None and not callable(on_open_authorization_url):
        raise ConfigurationError("on_open_authorization_url must be a callable")
    this = _PendingLogin()
    previous = _pending.get(page)
    _pending[page] = this
    try:
        if previous is not None:
            await previous.end()
        await ensure_discovered(provider)  # before the synchronous calls below
        new_service = functools.partial(
            AuthorizationService, provider, fetch_user, fetch_groups, scope
        )
        if saved_token is None and not _has_flet_callback(page):
            return await _loopback_login(
                page,
                redirect_url,
                new_service,
                on_open_authorization_url,
                complete_page_html,
                timeout,
                this,
            )
        this.ended.set()  # nothing to wait for: no listener, the rest is Flet's
        if this.ended_by_newer:
            return new_service()
        opener = None if on_open_authorization_url is None else _as_async(on_open_authorization_url)
        flet_page: Any = page  # Flet types `provider` and `authorization` as its own classes
        authorization: Callable[..., AuthorizationService] = AuthorizationService
        if saved_token is None:
            authorization = await _pushed_first(new_service)
        service: AuthorizationService = await flet_page.login(
            provider,
            fetch_user=fetch_user,
            fetch_groups=fetch_groups,
            scope=scope,
            saved_token=saved_token,
            on_open_authorization_url=opener,
            complete_page_html=complete_page_html,
            redirect_to_page=redirect_to_page,
            authorization=authorization,
        )
        return service
    finally:
        if _pending.get(page) is this:
            del _pending[page]
        this.ended.set()


async def _pushed_first(
    new_service: Callable[..., AuthorizationService],
) -> Callable[..., AuthorizationService]:
    """What Flet's `page.login` builds its service with. Flet calls the synchronous
    `get_authorization_data()`, which cannot push an authorization request (RFC 9126): for a
    provider that pushes, the request is pushed here and Flet gets that service, whose
    `get_authorization_data()` then hands out the pushed URL."""
    service = new_service()
    if not service.uses_par:
        return AuthorizationService
    await service.start_authorization()
    return lambda *args, **kwargs: service


async def logout(
    page: ft.Page, *, revoke: bool = False, store: Optional[FileTokenStore] = None
) -> None:
    """Ends the page's login: a login still waiting for its redirect, the token (revoked at
    the provider first with `revoke=True`, RFC 7009), the saved token in `store`; then
    `page.logout()`, which fires `on_logout`. A failed revocation is raised after all that."""
    _check_page(page)
    auth = page.auth
    if revoke and auth is not None and not isinstance(auth, AuthorizationService):
        raise ConfigurationError("revoke=True needs a login made by flet_auth.flet.login")
    pending = _pending.get(page)
    if pending is not None:
        await pending.end()
    try:
        if revoke and isinstance(auth, AuthorizationService):
            await auth.revoke()
    finally:
        if isinstance(auth, AuthorizationService):
            auth.clear()
        if store is not None:
            store.clear()
        page.logout()


async def _loopback_login(
    page: ft.Page,
    redirect_url: str,
    new_service: Callable[..., AuthorizationService],
    on_open_authorization_url: Optional[OpenAuthorizationURL],
    complete_page_html: Optional[str],
    timeout: float,
    this: "_PendingLogin",
) -> AuthorizationService:
    """The login of a page without Flet's callback: RFC 8252 on the loopback listener."""
    if this.ended_by_newer:
        return new_service()  # a newer login took over before this one began
    listener = LoopbackListener(redirect_url)  # an ended login's close() gave the port back
    try:
        service = new_service(redirect_url=listener.redirect_url)
        _set_auth(page, service)
        url, state = await service.start_authorization()  # pushed first when PAR is on
        this.redirect = asyncio.ensure_future(listener.wait(state, timeout, complete_page_html))
        try:
            redirect = await _open_and_wait(
                _open(page, url, on_open_authorization_url), this.redirect
            )
        except asyncio.CancelledError:
            if this.ended_by_newer and not _cancelling():
                return service
            raise
        except Exception as e:
            await _fire_login(page, *event_fields(e))
            raise
    finally:
        listener.close()
        this.ended.set()

    _bring_app_forward(page)
    try:
        await service.request_token(service.check_authorization_response(redirect))
    except Exception as e:
        if refused_in_redirect(e):
            assert isinstance(e, OAuthError)
            await _fire_login(page, e.error, e.error_description)
            return service
        await _fire_login(page, *event_fields(e))
        raise
    if page.auth is None:
        _set_auth(page, service)  # page.logout() ran while the code was exchanged
    await _fire_login(page, None, None)
    return service


class _PendingLogin:
    """The latest login started on a page. A newer login (or a logout) ends it: it stops
    waiting for its redirect, and `ended` is set once its listener is closed."""

    def __init__(self) -> None:
        self.redirect: Optional[asyncio.Future[dict[str, str]]] = None
        self.ended_by_newer = False
        self.ended = asyncio.Event()

    async def end(self) -> None:
        """Stops the wait for the redirect; returns once the listener is closed."""
        self.ended_by_newer = True
        if self.redirect is not None:
            self.redirect.cancel()
        await self.ended.wait()


_pending: "weakref.WeakKeyDictionary[ft.Page, _PendingLogin]" = weakref.WeakKeyDictionary()
_background: set["asyncio.Task[Any]"] = set()


async def _open_and_wait(
    opening: Coroutine[Any, Any, None], redirect: "asyncio.Future[dict[str, str]]"
) -> dict[str, str]:
    """Opens the authorization URL while the redirect is awaited: a failure to open ends the
    login, a redirect (or the timeout) ends it whether the opening has finished or not."""
    opener = asyncio.ensure_future(opening)
    either: set[asyncio.Future[Any]] = {opener, redirect}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if opener.done():
            opener.result()
        return await redirect
    finally:
        opener.cancel()
        redirect.cancel()


async def _open(page: ft.Page, url: str, on_open: Optional[OpenAuthorizationURL]) -> None:
    """Opens the authorization URL with the app's callable, else as Flet opens it."""
    if on_open is not None:
        await _as_async(on_open)(url)
    else:
        await _service_of(page, ft.UrlLauncher).launch_url(url)


def _bring_app_forward(page: ft.Page) -> None:
    """Raises the desktop window or closes the mobile in-app web view, as Flet's callback
    does, in the background: a client that is slow to answer never delays the login."""
    if page.web:
        return
    platform = getattr(page.platform, "value", page.platform)
    call: Coroutine[Any, Any, Any]
    if platform in _MOBILE:
        call = _service_of(page, ft.UrlLauncher).close_in_app_web_view()
    else:
        window: Any = page.window  # Flet leaves `to_front` unannotated
        call = window.to_front()
    task = asyncio.ensure_future(asyncio.wait_for(call, _CLIENT_CALL_TIMEOUT))
    _background.add(task)
    task.add_done_callback(_forget)


def _forget(task: "asyncio.Task[Any]") -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        _log.debug("could not bring the Flet app forward: %r", task.exception())


async def _fire_login(page: ft.Page, error: Optional[str], description: Optional[str]) -> None:
    """`page.on_login`, dispatched by Flet's session as Flet dispatches its events."""
    data = {"error": error, "error_description": description}
    await page.session.dispatch_event(page._i, "login", data)


def _service_of(page: ft.Page, kind: Callable[[], Any]) -> Any:
    """A Flet service (`ft.UrlLauncher()`) registered with `page`, which Flet does for the
    page of the current event; a login may also run outside one."""
    current_page: ContextVar[Any] = _context_page
    context_token = current_page.set(page)
    try:
        return kind()
    finally:
        current_page.reset(context_token)


def _has_flet_callback(page: ft.Page) -> bool:
    """Whether the page's transport implements Flet's OAuth callback (Flet web does)."""
    method = getattr(type(page.session.connection), "oauth_authorize", None)
    return method is not None and method is not Connection.oauth_authorize


def _set_auth(page: ft.Page, service: AuthorizationService) -> None:
    vars(page)["_Page__authorization"] = service  # Flet's `page.auth` has no setter


def _check_page(page: Any) -> None:
    if not isinstance(page, ft.Page):
        raise ConfigurationError(f"page must be a flet.Page, not {type(page).__name__}")
    if not hasattr(page, "_Page__authorization"):
        raise ConfigurationError(f"flet {ft.__version__} keeps page.auth where flet_auth cannot")


def _check_timeout(timeout: Any) -> None:
    valid = isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
    if not valid or not math.isfinite(timeout) or timeout <= 0:
        raise ConfigurationError("timeout must be a positive number of seconds")


def _as_async(on_open: OpenAuthorizationURL) -> Callable[[str], Coroutine[Any, Any, None]]:
    """Flet awaits `on_open_authorization_url`; this accepts a sync one too."""

    async def opener(url: str) -> None:
        result = on_open(url)
        if inspect.isawaitable(result):
            await result

    return opener


def _cancelling() -> bool:
    """Whether the current task is being cancelled (not just a future it awaited)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling()) if cancelling is not None else False
