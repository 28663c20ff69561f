"""The canned answers nginx serves, by path, and the client settings every peer uses."""

import json

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret-0123456789abcdef"
REDIRECT_URL = "http://localhost:8550/oauth_callback"
CODE = "bench-code-0123456789"

TOKEN = {
    "access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    "token_type": "Bearer",
    "expires_in": 3600,
    "refresh_token": "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B",
    "scope": "read",
}
REFRESHED = {
    **TOKEN,
    "access_token": "gho_R3fr35h3d0000000000000000000000000000a",
    "refresh_token": "ghr_R0tat3d000000000000000000000000000000000000000000000000000000b",
}
USERINFO = {
    "sub": "1001",
    "name": "Alice Example",
    "given_name": "Alice",
    "family_name": "Example",
    "email": "alice@example.com",
    "email_verified": True,
    "picture": "https://example.com/alice.png",
    "locale": "en",
}
GITHUB_USER = {
    "login": "octocat",
    "id": 583231,
    "node_id": "MDQ6VXNlcjU4MzIzMQ==",
    "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
    "type": "User",
    "site_admin": False,
    "name": "The Octocat",
    "company": "@github",
    "blog": "https://github.blog",
    "location": "San Francisco",
    "email": None,
    "bio": None,
    "public_repos": 8,
    "followers": 20000,
    "following": 9,
    "created_at": "2011-01-25T18:44:36Z",
    "updated_at": "2024-01-22T12:12:34Z",
}
GITHUB_EMAILS = [
    {"email": "octocat@github.com", "primary": True, "verified": True, "visibility": "public"},
    {"email": "octocat@users.noreply.github.com", "primary": False, "verified": True},
]
GITHUB_TEAMS = [
    {
        "id": 1,
        "node_id": "MDQ6VGVhbTE=",
        "name": "Justice League",
        "slug": "justice-league",
        "permission": "admin",
        "organization": {"login": "github", "id": 1},
    },
    {
        "id": 2,
        "node_id": "MDQ6VGVhbTI=",
        "name": "Octo Team",
        "slug": "octo-team",
        "permission": "pull",
        "organization": {"login": "github", "id": 1},
    },
]

ROUTES = {
    "/token": TOKEN,
    "/refresh": REFRESHED,
    "/login/oauth/access_token": TOKEN,
    "/userinfo": USERINFO,
    "/user": GITHUB_USER,
    "/user/emails": GITHUB_EMAILS,
    "/user/teams": GITHUB_TEAMS,
}
"""Path -> JSON body. Every path answers any method (POST included) with 200."""


def body(path: str) -> str:
    """The compact JSON text served at `path`."""
    return json.dumps(ROUTES[path], separators=(",", ":"))
