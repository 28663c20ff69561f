"""A desktop / command-line login that opens the browser and remembers the user.

    python examples/desktop_login.py            # against the bundled local provider
    GITHUB_CLIENT_ID=... GITHUB_CLIENT_SECRET=... python examples/desktop_login.py

With GitHub settings it logs in with GitHub (register `http://127.0.0.1:8550/callback` as the
OAuth app's callback URL) in your browser. Without them it starts the local provider and, unless
`--browser` is given, plays the browser itself so the example runs anywhere. The token is saved
encrypted (FLET_AUTH_EXAMPLE_KEY, or a demo key) in the file given by `--store`; the next run
logs in from it without a browser (the local provider forgets its tokens when it stops, so
there the saved token is refused and the login goes through the provider again, as it would
with a revoked token). `--logout` forgets it.
"""

import argparse
import os
from pathlib import Path

from flet_auth import AuthPage, FileTokenStore, OAuthProvider
from flet_auth.providers import GitHubOAuthProvider
from flet_auth.testing import MockOAuthServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default=str(Path.home() / ".flet-auth-example" / "token"))
    parser.add_argument("--browser", action="store_true", help="use the system browser")
    parser.add_argument("--logout", action="store_true", help="forget the saved login")
    args = parser.parse_args()

    store = FileTokenStore(args.store, os.getenv("FLET_AUTH_EXAMPLE_KEY", "demo key, not secret"))
    page = AuthPage(store=store)
    page.on_login = lambda e: print("Login failed:", e.error) if e.error else None
    if args.logout:
        page.logout()
        print("Logged out; the saved token is gone.")
        return

    server = None
    open_url = None
    if os.getenv("GITHUB_CLIENT_ID"):
        provider: OAuthProvider = GitHubOAuthProvider(
            os.environ["GITHUB_CLIENT_ID"],
            os.environ["GITHUB_CLIENT_SECRET"],
            "http://127.0.0.1:8550/callback",
        )
    else:
        server = MockOAuthServer(login_form=args.browser)
        server.start()
        provider = server.provider("http://127.0.0.1:0/callback")
        if not args.browser:
            open_url = server.browser()
        print(f"Using the local provider at {server.url}")

    try:
        page.login_sync(provider, on_open_authorization_url=open_url)
        if page.auth is not None and page.auth.user is not None:
            user = page.auth.user
            print(f"Logged in as {user.get('name') or user.get('login')} (id {user.id}).")
            if server is not None and server.count("authorize") == 0:
                print("No browser needed: the saved token was used.")
            print(f"The token is saved in {store.path}.")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
