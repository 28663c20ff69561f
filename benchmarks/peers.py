"""The Python peers, each able to make one whole login against the canned server.

A login is the code exchange plus the user fetch; the GitHub shape adds `/user/emails` and
`/user/teams`. Services (ours, flet.auth) get a new `AuthorizationService` per login, as
`page.login` makes one per user; the shared clients are built once, before the clock starts.
Each peer imports its library only when it is built, so a worker pays for one library only.
"""

import asyncio
import os
from typing import Any

from payloads import CLIENT_ID, CLIENT_SECRET, CODE, REDIRECT_URL

GITHUB_TOKEN_PATH = "/login/oauth/access_token"


class Peer:
    """Base of the peers: endpoints for `base` and the shape of the login."""

    name = ""

    def __init__(self, base: str, shape: str, concurrency: int) -> None:
        self.base = base.rstrip("/")
        self.github = shape == "github"
        self.concurrency = concurrency
        self.token_url = self.base + (GITHUB_TOKEN_PATH if self.github else "/token")
        self.user_url = self.base + "/userinfo"

    async def login(self) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Releases shared clients."""


class Ours(Peer):
    """`flet_auth.AuthorizationService` with our `OAuthProvider` / `GitHubOAuthProvider`."""

    name = "flet-auth"

    def __init__(self, base: str, shape: str, concurrency: int) -> None:
        super().__init__(base, shape, concurrency)
        from flet_auth import AuthorizationService, OAuthProvider
        from flet_auth.providers import GitHubOAuthProvider

        self.service_class = AuthorizationService
        self.provider: Any
        if self.github:
            self.provider = GitHubOAuthProvider(
                CLIENT_ID, CLIENT_SECRET, REDIRECT_URL, base_url=self.base, api_base_url=self.base
            )
        else:
            self.provider = OAuthProvider(
                CLIENT_ID,
                CLIENT_SECRET,
                self.base + "/authorize",
                self.token_url,
                REDIRECT_URL,
                user_endpoint=self.user_url,
                user_id_fn=lambda u: u["sub"],
            )

    async def login(self) -> None:
        service = self.service_class(self.provider, fetch_user=True, fetch_groups=self.github)
        await service.request_token(CODE)
        check_user(service.user, self.github)


class Flet(Peer):
    """flet.auth's `AuthorizationService` (flet==1.0.5) with its own providers."""

    name = "flet.auth"

    def __init__(self, base: str, shape: str, concurrency: int) -> None:
        super().__init__(base, shape, concurrency)
        if base.startswith("http://"):
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # oauthlib refuses http:// otherwise
        from flet.auth import OAuthProvider
        from flet.auth.authorization_service import AuthorizationService

        self.service_class = AuthorizationService
        self.provider: Any
        if self.github:
            import flet.auth.providers.github_oauth_provider as github

            github.GITHUB_API_BASE_URL = self.base  # read at call time
            self.provider = github.GitHubOAuthProvider(CLIENT_ID, CLIENT_SECRET, REDIRECT_URL)
            self.provider.token_endpoint = self.token_url
        else:
            self.provider = OAuthProvider(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                authorization_endpoint=self.base + "/authorize",
                token_endpoint=self.token_url,
                redirect_url=REDIRECT_URL,
                user_endpoint=self.user_url,
                user_id_fn=lambda u: u["sub"],
            )

    async def login(self) -> None:
        service = self.service_class(self.provider, fetch_user=True, fetch_groups=self.github)
        await service.request_token(CODE)
        check_user(service.user, self.github)


HTTPX_POOL = 0
"""Pool size of the httpx-based peers (max and kept-alive connections); 0: httpx's defaults
(100 and 20), which are faster at concurrency 50 than a pool of 50 with httpx 0.28."""


def _limits() -> Any:
    import httpx

    if HTTPX_POOL:
        return httpx.Limits(max_connections=HTTPX_POOL, max_keepalive_connections=HTTPX_POOL)
    return httpx.Limits(max_connections=100, max_keepalive_connections=20)  # the defaults


async def github_user(client: Any, base: str, bearer: dict[str, str]) -> dict[str, Any]:
    """GitHub's user with its primary email and teams, as our provider fetches them."""
    user_resp, emails_resp = await asyncio.gather(
        client.get(base + "/user", headers=bearer),
        client.get(base + "/user/emails", headers=bearer),
    )
    user_resp.raise_for_status()
    emails_resp.raise_for_status()
    user: dict[str, Any] = user_resp.json()
    user["email"] = next(e["email"] for e in emails_resp.json() if e["primary"])
    teams = await client.get(base + "/user/teams", headers=bearer)
    teams.raise_for_status()
    user["teams"] = [t["name"] for t in teams.json()]
    return user


class AuthlibShared(Peer):
    """Authlib's `AsyncOAuth2Client`, one for every login (the best case): `fetch_token` and
    `get(user_endpoint)` with the client's token."""

    name = "authlib-shared"

    def __init__(self, base: str, shape: str, concurrency: int) -> None:
        super().__init__(base, shape, concurrency)
        self.client = new_authlib_client()

    async def login(self) -> None:
        await authlib_login(self, self.client)

    async def aclose(self) -> None:
        await self.client.aclose()


class AuthlibPerLogin(Peer):
    """Authlib with a new `AsyncOAuth2Client` for each login."""

    name = "authlib-per-login"

    async def login(self) -> None:
        async with new_authlib_client() as client:
            await authlib_login(self, client)


def new_authlib_client() -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # authlib warns that it runs on httpx, not httpx2
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    return AsyncOAuth2Client(
        CLIENT_ID,
        CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_post",
        redirect_uri=REDIRECT_URL,
        limits=_limits(),
    )


async def authlib_login(peer: Peer, client: Any) -> None:
    token = await client.fetch_token(peer.token_url, code=CODE)
    if peer.github:
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        check_dict(await github_user(client, peer.base, bearer), True)
        return
    response = await client.get(peer.user_url)
    response.raise_for_status()
    check_dict(response.json(), False)


class HttpxRaw(Peer):
    """A reused `httpx.AsyncClient`: the POST and the GET written by hand."""

    name = "httpx-raw"

    def __init__(self, base: str, shape: str, concurrency: int) -> None:
        super().__init__(base, shape, concurrency)
        import httpx

        self.client = httpx.AsyncClient(limits=_limits())

    async def login(self) -> None:
        form = {
            "grant_type": "authorization_code",
            "code": CODE,
            "redirect_uri": REDIRECT_URL,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
        response = await self.client.post(
            self.token_url, data=form, headers={"Accept": "application/json"}
        )
        response.raise_for_status()
        bearer = {"Authorization": f"Bearer {response.json()['access_token']}"}
        if self.github:
            check_dict(await github_user(self.client, self.base, bearer), True)
            return
        user = await self.client.get(self.user_url, headers=bearer)
        user.raise_for_status()
        check_dict(user.json(), False)

    async def aclose(self) -> None:
        await self.client.aclose()


def check_user(user: Any, github: bool) -> None:
    """Fails unless the login produced the canned user."""
    expected = "583231" if github else "1001"
    if user is None or str(user.id) != expected:
        raise AssertionError(f"unexpected user {user!r}")
    if github and not (user["email"] and user.groups):
        raise AssertionError("GitHub user without email or teams")


def check_dict(user: dict[str, Any], github: bool) -> None:
    if str(user.get("id" if github else "sub")) != ("583231" if github else "1001"):
        raise AssertionError("unexpected user")


PEERS: dict[str, type[Peer]] = {
    p.name: p for p in (Ours, Flet, AuthlibShared, AuthlibPerLogin, HttpxRaw)
}
