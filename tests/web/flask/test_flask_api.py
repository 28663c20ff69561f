"""flet_auth.flask in one process: a real Flask app (test client) against the bundled provider,
with the default SQLite store. Settings and bad input, hooks, refresh failures, the nonce of
OpenID Connect logins, and what must never show in files, reprs or logs."""

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, redirect, url_for
from flask.testing import FlaskClient

import flet_auth.flask as flask_layer
import flet_auth.flask.store as flask_store
from flask_apps.config import mock_client
from flask_apps.processes import free_port
from flet_auth import ConfigurationError, HTTPStatusError, OAuthToken
from flet_auth.flask import (
    AuthEvent,
    FletAuth,
    current_auth,
    login_required,
)
from flet_auth.flask.store import RedisStore, SQLiteStore
from flet_auth.testing import MockOAuthServer
from flet_auth.web import errors, events, redirects, stores


@pytest.fixture(scope="module")
def server() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as s:
        yield s


@pytest.fixture(autouse=True)
def clean_server(server: MockOAuthServer) -> Iterator[None]:
    server.reset_counts()
    yield
    server.clear_faults()
    server.access_token_ttl = 3600


def make_app(tmp_path: Path, server: MockOAuthServer, **config: Any) -> tuple[Flask, FletAuth]:
    """An app with the provider `mock` (plain OAuth 2.0 from config keys) and a few routes."""
    app = Flask("flask_api_test", instance_path=str(tmp_path / "instance"))
    app.testing = True
    app.config.update(
        SECRET_KEY="test-secret-key",
        MOCK_REVOCATION_ENDPOINT=f"{server.url}/revoke",
        **mock_client(server),
    )
    app.config.update(config)
    auth = FletAuth(app)
    auth.register("mock")

    @app.get("/me")
    @login_required
    def me() -> dict[str, Any]:
        token = current_auth.get_token()
        user = current_auth.user
        assert token is not None and user is not None
        return {
            "id": user.id,
            "access_token": token.access_token,
            "provider": current_auth.provider,
        }

    return app, auth


def log_in(client: FlaskClient, server: MockOAuthServer, user: str = "alice") -> Any:
    start = client.get("/login/mock")
    assert start.status_code == 302, start.get_data(as_text=True)
    assert start.location is not None
    return client.get("/login/mock/callback", query_string=server.authorize(start.location, user))


def csrf_of(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return str(session["_flet_auth_csrf"])


# -- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "9lives", "_private", "has-dash", "register", "init_app"])
def test_register_refuses_names_that_cannot_be_attributes(name: str) -> None:
    with pytest.raises(ConfigurationError):
        FletAuth().register(name)


def test_register_refuses_duplicates_unknown_settings_and_non_providers(
    server: MockOAuthServer,
) -> None:
    auth = FletAuth()
    auth.register("github")
    with pytest.raises(ConfigurationError, match="already registered"):
        auth.register("github")
    with pytest.raises(ConfigurationError, match="unknown settings"):
        auth.register("corp", client_idd="x")
    with pytest.raises(ConfigurationError, match="OAuthProvider"):
        auth.register("corp", provider="not a provider")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="only fetch_user"):
        auth.register("corp", server.provider(), client_id="x")
    with pytest.raises(AttributeError, match="no provider named 'corp'"):
        auth.corp  # noqa: B018


def test_init_app_twice_or_with_a_bad_prefix_is_refused(tmp_path: Path) -> None:
    app = Flask("twice")
    auth = FletAuth(app)
    with pytest.raises(ConfigurationError, match="already set up"):
        auth.init_app(app)
    with pytest.raises(ConfigurationError, match="prefix"):
        FletAuth(Flask("prefix"), url_prefix="auth")


def test_a_provider_that_cannot_be_built_says_which_setting_is_missing(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app, auth = make_app(tmp_path, server)
    auth.register("corp")
    auth.register("google")
    client = app.test_client()
    with pytest.raises(ConfigurationError, match="CORP_CLIENT_ID"):
        client.get("/login/corp")
    app.config["CORP_CLIENT_ID"] = "x"
    with pytest.raises(ConfigurationError, match="CORP_SERVER_METADATA_URL"):
        client.get("/login/corp")
    app.config["GOOGLE_CLIENT_ID"] = "x"
    with pytest.raises(ConfigurationError, match="GOOGLE_CLIENT_SECRET"):
        client.get("/login/google")
    assert client.get("/login/nobody").status_code == 404


def test_without_a_secret_key_logins_fail_with_a_clear_error(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app, _ = make_app(tmp_path, server, SECRET_KEY=None)
    app.secret_key = None
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        app.test_client().get("/login/mock")


def test_authorize_redirect_refuses_a_relative_redirect_uri_and_an_offsite_next(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app, auth = make_app(tmp_path, server)
    with app.test_request_context("/"):
        with pytest.raises(ConfigurationError, match="redirect_uri"):
            auth.mock.authorize_redirect("/callback")
        with pytest.raises(ConfigurationError, match="next_url"):
            auth.mock.authorize_redirect(next_url="https://evil.example/")


def test_the_flask_names_of_the_core_s_parts_are_the_core_s() -> None:
    assert flask_layer.safe_next is redirects.safe_next
    assert flask_layer.AuthEvent is events.AuthEvent
    assert flask_layer.StoreUnavailableError is errors.StoreUnavailableError
    assert flask_store.open_store is stores.open_store
    assert (flask_store.RedisStore, flask_store.SQLiteStore, flask_store.TokenStore) == (
        stores.RedisStore,
        stores.SQLiteStore,
        stores.TokenStore,
    )


# -- logins -------------------------------------------------------------------------------------


def test_the_built_in_routes_log_in_with_pkce_and_send_the_user_back(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app, _ = make_app(tmp_path, server)
    client = app.test_client()
    start = client.get("/login/mock?next=/me")
    assert start.location is not None
    assert "code_challenge_method=S256" in start.location
    done = client.get(
        "/login/mock/callback", query_string=server.authorize(start.location, user="bob")
    )
    assert done.status_code == 302 and done.location == "/me"
    answer = client.get("/me").get_json()
    assert answer["id"] == "1002" and answer["provider"] == "mock"


def test_authlib_style_routes_with_a_url_prefix(tmp_path: Path, server: MockOAuthServer) -> None:
    app = Flask("authlib_style")
    app.testing = True
    app.secret_key = "k"
    app.config["FLET_AUTH_STORE"] = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    auth = FletAuth(app, url_prefix="/auth")
    auth.register("mock", server.provider())
    tokens: list[OAuthToken] = []

    @app.get("/signin")
    def signin() -> Any:
        return auth.mock.authorize_redirect(url_for("authorized", _external=True))

    @app.get("/authorized")
    def authorized() -> Any:
        tokens.append(auth.mock.authorize_access_token())
        return redirect("/")

    client = app.test_client()
    start = client.get("/signin")
    assert start.location is not None and "redirect_uri=http%3A%2F%2Flocalhost%2Fauthorized" in (
        start.location
    )
    assert client.get("/authorized", query_string=server.authorize(start.location)).status_code == (
        302
    )
    assert tokens and tokens[0].access_token
    assert client.get("/auth/login/mock").status_code == 302
    assert client.get("/login/mock").status_code == 404


def test_login_required_answers_json_with_401_and_pages_with_a_redirect(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app, _ = make_app(tmp_path, server)
    client = app.test_client()
    api = client.get("/me?x=1", headers={"Accept": "application/json"})
    assert api.status_code == 401 and api.get_json()["error"] == "login_required"
    page = client.get("/me?x=1", headers={"Accept": "text/html"})
    assert page.status_code == 302 and page.location == "/login/mock?next=/me?x%3D1"


def test_handlers_see_logins_denials_and_logouts(tmp_path: Path, server: MockOAuthServer) -> None:
    app, auth = make_app(tmp_path, server)
    events: list[AuthEvent] = []
    auth.on_login(events.append)
    auth.on_logout(events.append)
    client = app.test_client()
    start = client.get("/login/mock")
    assert start.location is not None
    denied = client.get(
        "/login/mock/callback", query_string=server.authorize(start.location, approve=False)
    )
    assert denied.status_code == 401 and "access_denied" in denied.get_data(as_text=True)
    log_in(client, server, "alice")
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert [(e.name, e.error, e.user.id if e.user else None) for e in events] == [
        ("login", "access_denied", None),
        ("login", "", "1001"),
        ("logout", "", "1001"),
    ]
    assert all(e.provider == "mock" for e in events)
    assert server.count("revoke") == 2  # the refresh token, then the access token
    assert events[-1].revocation_error is None


def test_a_failed_revocation_at_logout_is_in_the_logout_event(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app, auth = make_app(tmp_path, server)
    events: list[AuthEvent] = []
    auth.on_logout(events.append)
    client = app.test_client()
    log_in(client, server, "alice")
    server.fail("revoke", 503, "busy", times=2)
    out = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert out.status_code == 302 and client.get("/me").status_code != 200
    [event] = events
    assert isinstance(event.revocation_error, HTTPStatusError)
    assert event.revocation_error.status == 503 and event.user is not None


def test_a_login_handler_may_answer_instead_of_the_default_redirect(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app, auth = make_app(tmp_path, server)

    @auth.on_login
    def welcome(event: AuthEvent) -> Any:
        return redirect("/welcome") if not event.error else None

    assert log_in(app.test_client(), server).location == "/welcome"


@pytest.mark.parametrize("forgery", ["wrong_nonce", "missing_nonce"])
def test_an_id_token_with_another_nonce_is_refused(
    tmp_path: Path, server: MockOAuthServer, forgery: str
) -> None:
    app, auth = make_app(tmp_path, server, OIDC_SERVER_METADATA_URL=server.discovery_url)
    app.config.update(OIDC_CLIENT_ID=server.client_id, OIDC_CLIENT_SECRET=server.client_secret)
    auth.register("oidc")
    client = app.test_client()
    start = client.get("/login/oidc")
    assert start.location is not None and "nonce=" in start.location
    server.forge_id_token(forgery)  # type: ignore[attr-defined]
    done = client.get("/login/oidc/callback", query_string=server.authorize(start.location))
    assert done.status_code == 401 and "nonce" in done.get_data(as_text=True)
    assert client.get("/me", headers={"Accept": "application/json"}).status_code == 401
    # ... while a login with the right nonce goes through.
    start = client.get("/login/oidc")
    assert start.location is not None
    done = client.get("/login/oidc/callback", query_string=server.authorize(start.location))
    assert done.status_code == 302
    assert client.get("/me").get_json()["provider"] == "oidc"


def test_a_session_naming_an_unknown_login_or_signed_with_another_key_is_logged_out(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app, _ = make_app(tmp_path, server)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_flet_auth_login"] = "made-up-login-id"
    assert client.get("/me", headers={"Accept": "application/json"}).status_code == 401
    with client.session_transaction() as session:
        assert "_flet_auth_login" not in session  # forgotten, not looked up again

    log_in(client, server)
    forger = Flask("forger")
    forger.secret_key = "another-key"
    with client.session_transaction() as session:
        stolen = dict(session)
    with forger.test_request_context("/"):
        interface = forger.session_interface
        forged = interface.get_signing_serializer(forger).dumps(stolen)  # type: ignore[attr-defined]
    other = app.test_client()
    other.set_cookie("session", forged)
    assert other.get("/me", headers={"Accept": "application/json"}).status_code == 401
    assert client.get("/me").status_code == 200


# -- tokens ---------------------------------------------------------------------------------------


def test_the_default_store_is_an_encrypted_private_sqlite_file_in_the_instance_folder(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app, _ = make_app(tmp_path, server)
    client = app.test_client()
    log_in(client, server, "alice")
    access_token = client.get("/me").get_json()["access_token"]
    path = tmp_path / "instance" / "flet_auth.sqlite3"
    assert path.stat().st_mode & 0o777 == 0o600
    stored = b"".join(p.read_bytes() for p in path.parent.glob("flet_auth.sqlite3*"))
    for secret in (access_token, "alice@example.com", server.client_secret):
        assert secret.encode() not in stored


def test_a_refused_refresh_logs_the_user_out(tmp_path: Path, server: MockOAuthServer) -> None:
    app, _ = make_app(tmp_path, server)
    client = app.test_client()
    server.access_token_ttl = 30  # inside the 60 s leeway: every request wants a refresh
    log_in(client, server)
    server.fail("token", 400, '{"error": "invalid_grant"}')
    assert client.get("/me", headers={"Accept": "application/json"}).status_code == 401
    assert client.get("/me", headers={"Accept": "application/json"}).status_code == 401
    db = sqlite3.connect(tmp_path / "instance" / "flet_auth.sqlite3")
    try:
        rows = db.execute("SELECT COUNT(*) FROM flet_auth_entries WHERE key LIKE '%login:%'")
        assert rows.fetchone() == (0,)
    finally:
        db.close()


def test_an_unreachable_provider_during_refresh_gives_502_and_keeps_the_login(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    app, _ = make_app(tmp_path, server)
    client = app.test_client()
    server.access_token_ttl = 30
    log_in(client, server)
    first = client.get("/me").get_json()["access_token"]  # refreshed once already
    server.fail("token", 503, "busy")
    answer = client.get("/me", headers={"Accept": "application/json"})
    assert answer.status_code == 502
    assert answer.get_json()["error"] == "temporarily_unavailable"
    assert client.get("/me").get_json()["access_token"] not in (first, "")


def test_an_unreachable_token_endpoint_gives_a_generic_502_page_and_logs_the_details(
    tmp_path: Path, server: MockOAuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flet_auth")
    token_url = f"http://127.0.0.1:{free_port()}/internal/token"
    app, _ = make_app(tmp_path, server, MOCK_ACCESS_TOKEN_URL=token_url)
    client = app.test_client()
    start = client.get("/login/mock")
    assert start.location is not None
    page = client.get("/login/mock/callback", query_string=server.authorize(start.location))
    text = page.get_data(as_text=True)
    assert page.status_code == 502 and "try again" in text
    for internal in ("/internal/token", "127.0.0.1", "connect", "os error"):
        assert internal not in text
    assert "/internal/token" in caplog.text and "TransportError" in caplog.text


def test_a_token_endpoint_answering_503_gives_a_generic_502_page(
    tmp_path: Path, server: MockOAuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flet_auth")
    app, _ = make_app(tmp_path, server)
    client = app.test_client()
    start = client.get("/login/mock")
    assert start.location is not None
    server.fail("token", 503, "busy")
    page = client.get("/login/mock/callback", query_string=server.authorize(start.location))
    text = page.get_data(as_text=True)
    assert page.status_code == 502
    assert "/token" not in text and "HTTP 503" not in text
    assert "answered HTTP 503" in caplog.text


def test_a_store_that_cannot_be_opened_gives_a_503_page(
    tmp_path: Path, server: MockOAuthServer
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app, _ = make_app(
        tmp_path, server, FLET_AUTH_STORE=f"sqlite:///{blocker / 'flet_auth.sqlite3'}"
    )
    page = app.test_client().get("/login/mock")
    assert page.status_code == 503
    assert "unavailable" in page.get_data(as_text=True)


def test_the_warning_of_an_unreachable_redis_store_hides_its_url_password(
    tmp_path: Path, server: MockOAuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="flet_auth")
    url = f"redis://127.0.0.1:{free_port()}/0?password=hunter2"
    app, _ = make_app(tmp_path, server, FLET_AUTH_STORE=url)
    page = app.test_client().get("/login/mock")
    assert page.status_code == 503
    assert "login store unavailable" in caplog.text
    assert "hunter2" not in caplog.text and "***" in caplog.text


# -- secrets --------------------------------------------------------------------------------------


def test_no_token_secret_or_cookie_in_logs_or_reprs(
    tmp_path: Path, server: MockOAuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="flet_auth")
    app, auth = make_app(tmp_path, server)
    client = app.test_client()
    server.access_token_ttl = 30
    start = client.get("/login/mock")
    assert start.location is not None
    redirect_query = server.authorize(start.location)
    client.get("/login/mock/callback", query_string=redirect_query)
    access_token = client.get("/me").get_json()["access_token"]  # after a refresh
    with app.test_request_context("/"):
        reprs = [repr(auth), repr(auth.mock), repr(current_auth)]
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert "flask: login with mock completed" in caplog.text
    assert "token refreshed" in caplog.text
    secrets_ = [access_token, server.client_secret, redirect_query["code"], cookie.value]
    for text in [caplog.text, *reprs]:
        for secret in secrets_:
            assert secret not in text
    store = RedisStore("redis://:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in repr(store) and "***" in repr(store)
    path = tmp_path / "s.sqlite3"
    assert repr(SQLiteStore(path)) == f"SQLiteStore({str(path)!r})"
