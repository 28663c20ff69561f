"""A browser's logout through the core against django-oauth-toolkit with its defaults: its
revocation endpoint is only in its RFC 8414 metadata, and the logout revokes there."""

from pathlib import Path
from typing import Any

import httpx

from flet_auth import OAuthToken
from flet_auth.web.browser_login import BrowserLogin
from flet_auth.web.clients import WebClient
from flet_auth.web.login_flow import complete_login, start_login
from flet_auth.web.logout import log_out
from flet_auth.web.stores import SQLiteStore
from third_party.server import HTTP_TIMEOUT, DjangoOAuthServer
from web.helpers import CALLBACK, AppContext, login_store


def test_logout_revokes_at_the_endpoint_of_the_rfc_8414_metadata(tmp_path: Path) -> None:
    logins = login_store(SQLiteStore(tmp_path / "store.sqlite3"))
    with DjangoOAuthServer([CALLBACK.format(name="dot")]) as dot:
        settings = {
            "client_id": dot.client_id,
            "client_secret": dot.client_secret,
            "server_metadata_url": dot.discovery_url,
            "client_kwargs": {"scope": "openid profile email"},
        }
        client = WebClient("dot", None, settings, overwrite=False, context=AppContext())
        session: dict[str, Any] = {}
        url = start_login(logins, client, session, redirect_uri=client.default_redirect_uri())
        done = complete_login(logins, client, session, dot.authorize(url))
        token = OAuthToken.from_json(done.login.token_json)
        bearer = {"Authorization": f"Bearer {token.access_token}"}
        assert httpx.get(dot.userinfo_endpoint, headers=bearer, timeout=HTTP_TIMEOUT).is_success

        out = log_out(BrowserLogin(logins, session, {"dot": client}), None, "http://127.0.0.1/")

        gone = httpx.get(dot.userinfo_endpoint, headers=bearer, timeout=HTTP_TIMEOUT)
        assert gone.status_code == 401
        assert out.revocation_error is None
