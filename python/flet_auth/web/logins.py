"""The records a web login keeps server side: a browser's login (`StoredLogin`) and a login
in progress (`PendingLogin`), with their JSON forms."""

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Optional

from flet_auth._core import OAuthToken
from flet_auth.group import Group
from flet_auth.user import User

__all__ = ["PendingLogin", "StoredLogin"]


@dataclass(frozen=True)
class StoredLogin:
    """One logged-in browser: the registered provider's name, the token JSON and the user."""

    client: str
    token_json: str
    user: Optional[dict[str, Any]]

    @staticmethod
    def of(client: str, token: OAuthToken, user: Optional[User]) -> "StoredLogin":
        """The login of `user` with `token` at the provider registered as `client`."""
        record = None
        if user is not None:
            groups = [{"name": g.name, "data": dict(g)} for g in getattr(user, "groups", [])]
            record = {"id": user.id, "data": dict(user), "groups": groups}
        return StoredLogin(client, token.to_json(), record)

    @property
    def token(self) -> OAuthToken:
        """The token (a new object on each call: a worker's cached copy of a login serves many
        requests, and an `OAuthToken` can be changed)."""
        return self._parsed_token.__copy__()

    @cached_property
    def _parsed_token(self) -> OAuthToken:
        # Read once per login record; never handed out, only copied.
        return OAuthToken.from_json(self.token_json)

    def with_token(self, token: OAuthToken) -> "StoredLogin":
        """The same login with a new token (after a refresh)."""
        return StoredLogin(self.client, token.to_json(), self.user)

    def to_user(self) -> Optional[User]:
        """The user, rebuilt (a new object on each call)."""
        if self.user is None:
            return None
        user = User(self.user.get("data", {}), str(self.user.get("id", "")))
        user.groups = [Group(g.get("data", {}), name=g["name"]) for g in self.user["groups"]]
        return user

    def dumps(self) -> str:
        """JSON of the login."""
        data = {"v": 1, "client": self.client, "token": self.token_json, "user": self.user}
        return json.dumps(data, separators=(",", ":"), default=str)

    @staticmethod
    def loads(text: str) -> "StoredLogin":
        """Reads what `dumps` wrote; raises ValueError, KeyError or TypeError when damaged."""
        data = json.loads(text)
        return StoredLogin(data["client"], data["token"], data.get("user"))

    def __repr__(self) -> str:
        return f"StoredLogin(client={self.client!r})"


@dataclass(frozen=True)
class PendingLogin:
    """A login in progress, kept for whichever worker gets the redirect back: the provider's
    registered name, the `redirect_uri` sent, the engine's saved login (`state`, PKCE
    verifier, OpenID nonce; None when another version started it), the `next` path and the
    Unix time it started."""

    client: str
    redirect_uri: str
    saved_login: Optional[str]
    next_url: Optional[str]
    issued_at: float

    def dumps(self) -> str:
        """JSON of the login in progress."""
        data = {
            "client": self.client,
            "redirect_uri": self.redirect_uri,
            "login": self.saved_login,
            "next": self.next_url,
            "issued_at": self.issued_at,
        }
        return json.dumps(data)

    @staticmethod
    def loads(text: str) -> "PendingLogin":
        """Reads what `dumps` wrote; raises ValueError when it is damaged."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a login in progress is a JSON object")
        client, redirect_uri = data.get("client"), data.get("redirect_uri")
        if not isinstance(client, str) or not isinstance(redirect_uri, str):
            raise ValueError("a login in progress names its provider and redirect_uri")
        saved, next_url = data.get("login"), data.get("next")
        try:
            issued_at = float(data["issued_at"])
        except (KeyError, TypeError) as e:
            raise ValueError("a login in progress has its start time") from e
        return PendingLogin(
            client,
            redirect_uri,
            saved if isinstance(saved, str) else None,
            next_url if isinstance(next_url, str) else None,
            issued_at,
        )

    def __repr__(self) -> str:
        return f"PendingLogin(client={self.client!r})"
