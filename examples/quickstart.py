"""A whole OAuth 2.0 login, offline, against the bundled local provider.

    pip install . && python examples/quickstart.py

Starts the local provider, builds the authorization URL (fresh state and PKCE), approves it
as a user would in the browser, checks the state, exchanges the code, fetches the user,
forces a refresh and prints what an app would keep.
"""

import time

from flet_auth import AuthorizationService
from flet_auth.testing import MockOAuthServer


def main() -> None:
    with MockOAuthServer() as server:
        saved: list[str] = []
        service = AuthorizationService(
            server.provider(),
            fetch_user=True,
            fetch_groups=False,
            on_token_update=lambda token: saved.append(token.to_json()),
        )

        url, state = service.get_authorization_data()
        print(f"1. authorization URL: {url.split('?')[0]}?…&state={state[:6]}…")

        redirect = server.authorize(url, user="alice")  # what the browser would bring back
        service.check_state(redirect["state"])
        print("2. redirect came back with a code; state checked")

        service.request_token_sync(redirect["code"])
        token = service.get_token_sync()
        user = service.user
        assert token is not None and user is not None
        print(f"3. logged in as {user['name']} (id {user.id}, {user['email']})")

        first_access_token = token.access_token
        token.expires_at = time.time()  # pretend it is about to expire
        token = service.get_token_sync()
        assert token is not None and token.expires_at is not None
        assert token.access_token != first_access_token
        print("4. token refreshed before expiry; the refresh token was rotated")

        expires = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(token.expires_at))
        print(f"   token type {token.token_type}, scope {' '.join(token.scope or [])}")
        print(f"   expires at {expires} (in {token.expires_in} s)")
        print(f"   on_token_update saved {len(saved)} tokens; requests made: {server.counts()}")
        print(f"User: {dict(service.user)}")
        print("Login complete.")


if __name__ == "__main__":
    main()
