"""The user's browser in desktop-login tests: consent at the bundled provider, then the
redirect to the app's loopback listener, in a thread."""

import asyncio
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from flet_auth.testing import MockOAuthServer


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def redirect_url_of(authorization_url: str) -> str:
    query = dict(p.split("=", 1) for p in urlsplit(authorization_url).query.split("&"))
    return urllib.request.unquote(query["redirect_uri"])


class Browser:
    """Plays the user's browser: consent at the provider, then the redirect to the app."""

    def __init__(self, server: MockOAuthServer, approve: bool = True) -> None:
        self.server, self.approve, self.opened = server, approve, 0
        self.pages: list[tuple[int, str]] = []
        self.visits: list[asyncio.Future[None]] = []

    async def __call__(self, url: str) -> None:
        self.opened += 1
        self.visits.append(asyncio.get_running_loop().run_in_executor(None, self._visit, url))

    async def finished(self) -> list[tuple[int, str]]:
        """The pages the browser was shown, once it has read them all."""
        await asyncio.gather(*self.visits)
        return self.pages

    def _visit(self, url: str) -> None:
        query = self.server.authorize(url, approve=self.approve)
        self.pages.append(get(f"{redirect_url_of(url)}?{urlencode(query)}"))
