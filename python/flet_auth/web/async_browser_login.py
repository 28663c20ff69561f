"""`AsyncBrowserLogin`: `BrowserLogin` for async apps. `await load()` reads the login once;
then `login`, `user` and `provider` are plain attributes, and `await get_token()` refreshes
the token when it is due (once for all workers)."""

from collections.abc import Mapping
from typing import Optional

import flet_auth.web.session as browser_session
from flet_auth._core import OAuthToken
from flet_auth.user import User
from flet_auth.web.async_login_store import AsyncLoginStore
from flet_auth.web.async_refresh import refresh_in_flight, refresh_with_engine_async
from flet_auth.web.clients import WebClient
from flet_auth.web.logins import StoredLogin

__all__ = ["AsyncBrowserLogin"]


class AsyncBrowserLogin:
    """The login named by the browser's `session`, read from `logins` by `load()`; its token
    is refreshed with the provider registered in `clients` when it is due."""

    def __init__(
        self,
        logins: AsyncLoginStore,
        session: browser_session.Session,
        clients: Mapping[str, WebClient],
    ) -> None:
        self.logins = logins
        self.session = session
        self.clients = clients
        self.loaded = False
        self.login: Optional[StoredLogin] = None
        """The stored login (after `load()`), or None when nobody is logged in."""
        self.login_id: Optional[str] = None
        """The id of the login the session names (after `load()`; it may be gone)."""
        self._usable: Optional[tuple[StoredLogin, OAuthToken]] = None  # this request's

    async def load(self, *, fresh: bool = False) -> Optional[StoredLogin]:
        """Reads the login the session names (once, from this worker's cache when it has a
        copy; again from the store when `fresh`); forgets an id the store no longer has."""
        if not self.loaded or fresh:
            self.loaded = True
            self.login_id = browser_session.login_id(self.session)
            if self.login_id is not None:
                read = self.logins.read if fresh else self.logins.read_cached
                self.login = await read(self.login_id)
                if self.login is None:
                    browser_session.forget_login(self.session)
        return self.login

    @property
    def is_authenticated(self) -> bool:
        """Whether someone is logged in (their token may still need a refresh)."""
        return self.login is not None

    @property
    def provider(self) -> Optional[str]:
        """The registered name of the provider of the login."""
        return self.login.client if self.login is not None else None

    @property
    def user(self) -> Optional[User]:
        """The logged-in user (a new object on each call), or None."""
        return self.login.to_user() if self.login is not None else None

    async def get_token(self) -> Optional[OAuthToken]:
        """`BrowserLogin.get_token`: the access token, refreshed first when it is due; None
        when nobody is logged in or the token is gone for good (the login is forgotten)."""
        login = await self.load()
        if login is None or self.login_id is None:
            return None
        if self._usable is not None and self._usable[0] is login:
            return self._usable[1]  # checked earlier in this request (the dependency)
        token = login.token
        if token.needs_refresh():
            return await self._refresh(login, self.login_id)
        if not token.is_usable():
            await self.forget()
            return None
        self._usable = (login, token)
        return token

    async def _refresh(self, login: StoredLogin, login_id: str) -> Optional[OAuthToken]:
        client = self.clients.get(login.client)
        if client is None:
            await self.forget()
            return None

        async def refresh(fresh: StoredLogin) -> Optional[StoredLogin]:
            return await refresh_with_engine_async(client, self.logins, login_id, fresh)

        # Shared with this process's other requests that find the login due at once.
        new = await refresh_in_flight(
            self.logins, login_id, lock_ttl=client.lock_ttl, refresh=refresh
        )
        if new is None:
            await self.forget()  # refused or gone: this browser is logged out
            return None
        self.login = new
        return new.token

    async def forget(self) -> None:
        """Forgets the login: deleted from the store and dropped from the session."""
        await self.load()
        if self.login_id is not None:
            await self.logins.delete(self.login_id)
        browser_session.forget_login(self.session)
        self.login = None

    def __repr__(self) -> str:
        return f"AsyncBrowserLogin(provider={self.provider!r})"
