"""`BrowserLogin`: the login of the browser whose request is being handled."""

from collections.abc import Mapping
from typing import Optional

import flet_auth.web.session as browser_session
from flet_auth._core import OAuthToken
from flet_auth.user import User
from flet_auth.web.clients import WebClient
from flet_auth.web.login_store import LoginStore
from flet_auth.web.logins import StoredLogin
from flet_auth.web.refresh import refresh_once, refresh_with_engine

__all__ = ["BrowserLogin"]


class BrowserLogin:
    """The login named by the browser's `session`, read from `logins` on first use; its token
    is refreshed with the provider registered in `clients` when it is due."""

    def __init__(
        self,
        logins: LoginStore,
        session: browser_session.Session,
        clients: Mapping[str, WebClient],
    ) -> None:
        self.logins = logins
        self.session = session
        self.clients = clients
        self._loaded = False
        self._login: Optional[StoredLogin] = None
        self._login_id: Optional[str] = None
        self._usable: Optional[tuple[StoredLogin, OAuthToken]] = None  # this request's

    @property
    def login_id(self) -> Optional[str]:
        """The id of the login the session names (it may be gone from the store)."""
        self._load()
        return self._login_id

    @property
    def login(self) -> Optional[StoredLogin]:
        """The stored login, or None when nobody is logged in."""
        return self._load()

    def _load(self, *, fresh: bool = False) -> Optional[StoredLogin]:
        if not self._loaded or fresh:
            self._loaded = True
            self._login_id = browser_session.login_id(self.session)
            if self._login_id is not None:
                read = self.logins.read if fresh else self.logins.read_cached
                self._login = read(self._login_id)
                if self._login is None:
                    browser_session.forget_login(self.session)
        return self._login

    def reload(self) -> Optional[StoredLogin]:
        """The login as the store has it now (not this worker's copy), or None."""
        return self._load(fresh=True)

    @property
    def is_authenticated(self) -> bool:
        """Whether someone is logged in (their token may still need a refresh)."""
        return self._load() is not None

    @property
    def provider(self) -> Optional[str]:
        """The registered name of the provider of the login."""
        login = self._load()
        return login.client if login is not None else None

    @property
    def user(self) -> Optional[User]:
        """The logged-in user (a new object on each call), or None."""
        login = self._load()
        return login.to_user() if login is not None else None

    def get_token(self) -> Optional[OAuthToken]:
        """The access token, refreshed first when it is due (once for all workers); None
        when nobody is logged in, or the token expired for good or its refresh was refused
        (the login is then forgotten)."""
        login = self._load()
        if login is None or self._login_id is None:
            return None
        if self._usable is not None and self._usable[0] is login:
            return self._usable[1]  # checked earlier in this request (`login_required`)
        token = login.token
        if token.needs_refresh():
            return self._refresh(login, self._login_id)
        if not token.is_usable():
            self.forget()
            return None
        self._usable = (login, token)
        return token

    def _refresh(self, login: StoredLogin, login_id: str) -> Optional[OAuthToken]:
        client = self.clients.get(login.client)
        if client is None:
            self.forget()
            return None

        def refresh(fresh: StoredLogin) -> Optional[StoredLogin]:
            new = refresh_with_engine(client, self.logins, login_id, fresh)
            if new is None:
                self.forget()
            return new

        self._login = refresh_once(self.logins, login_id, lock_ttl=client.lock_ttl, refresh=refresh)
        return self._login.token if self._login is not None else None

    def forget(self) -> None:
        """Forgets the login: deleted from the store and dropped from the session."""
        self._load()
        if self._login_id is not None:
            self.logins.delete(self._login_id)
        browser_session.forget_login(self.session)
        self._login = None

    def __repr__(self) -> str:
        return f"BrowserLogin(provider={self.provider!r})"
