"""`GitHubOAuthProvider`: GitHub (and GitHub Enterprise) login, user, emails and teams."""

import asyncio
from typing import Any, Optional

from flet_auth._core import fetch_json
from flet_auth.group import Group
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.user import User

__all__ = ["GITHUB_API_BASE_URL", "GitHubOAuthProvider"]

GITHUB_API_BASE_URL = "https://api.github.com"
"""The REST API used when no `api_base_url` is given; read at call time, as Flet does."""


class GitHubOAuthProvider(OAuthProvider):
    """GitHub OAuth app login; the user comes from `/user` and `/user/emails`, groups are teams.

    `base_url` (default `https://github.com`) and `api_base_url` point it at GitHub
    Enterprise or at a local test server.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_url: str,
        *,
        base_url: str = "https://github.com",
        api_base_url: Optional[str] = None,
        **settings: Any,
    ) -> None:
        base = base_url.rstrip("/")
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            authorization_endpoint=f"{base}/login/oauth/authorize",
            token_endpoint=f"{base}/login/oauth/access_token",
            redirect_url=redirect_url,
            user_scopes=["read:user", "user:email"],
            group_scopes=["read:org"],
            **settings,
        )
        self.api_base_url = api_base_url

    @property
    def api_base_url(self) -> str:
        """The REST API's base: the one given, else `GITHUB_API_BASE_URL` (read now); what a
        relative URL of `service.fetch()` is appended to."""
        return self._api_base_url or GITHUB_API_BASE_URL

    @api_base_url.setter
    def api_base_url(self, value: Optional[str]) -> None:
        self._api_base_url = value

    def _name(self) -> str:
        return "github"

    def _api(self, path: str) -> str:
        return f"{self.api_base_url.rstrip('/')}{path}"

    def _get(self, path: str, access_token: str) -> Any:
        return fetch_json(
            self._api(path),
            access_token,
            timeout=self.timeout,
            allow_insecure_http=self.allow_insecure_http,
            max_response_size=self.max_response_size,
        )

    async def _fetch_user(self, access_token: str) -> Optional[User]:
        """`/user`, with `email` set to the primary address of `/user/emails`."""
        user, emails = await asyncio.gather(
            self._get("/user", access_token), self._get("/user/emails", access_token)
        )
        for e in emails:
            if e.get("primary"):
                user["email"] = e.get("email")
                break
        return User(user, id=str(user["id"]))

    async def _fetch_groups(self, access_token: str) -> list[Group]:
        """The user's teams, as groups named after them."""
        teams = await self._get("/user/teams", access_token)
        return [Group(t, name=t["name"]) for t in teams]
