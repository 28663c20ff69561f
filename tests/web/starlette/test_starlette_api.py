"""flet_auth.starlette through FastAPI's TestClient and the bundled provider: the built-in
routes, the dependencies' answers, settings from a mapping, a `starlette.config.Config` or the
environment, bad input, the cookie, the hooks, and an unreachable store."""

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.config import Config
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from flask_apps.config import mock_client
from flask_apps.processes import free_port
from flet_auth import ConfigurationError
from flet_auth.starlette import AuthEvent, FletAuth, Login
from flet_auth.testing import MockOAuthServer
from flet_auth.web.stores import AsyncMemoryStore, AsyncRedisStore

SECRET = "test-secret-key-of-the-starlette-layer"
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def provider() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as server:
        yield server


def make_app(provider: MockOAuthServer, **kwargs: Any) -> tuple[FastAPI, FletAuth]:
    """A FastAPI app with the bundled provider registered as `mock` and two protected routes."""
    app = FastAPI()
    kwargs.setdefault("store", AsyncMemoryStore())
    kwargs.setdefault("config", mock_client(provider))
    auth = FletAuth(app, secret_key=SECRET, **kwargs)
    auth.register("mock")

    @app.get("/")
    async def home(login: Optional[Login] = Depends(auth.current)) -> dict[str, Any]:
        return {"user": login.user.id if login and login.user else None}

    @app.get("/me")
    async def me(login: Login = Depends(auth.login_required)) -> dict[str, Any]:
        token = await login.get_token()
        assert token is not None and login.user is not None
        return {
            "id": login.user.id,
            "provider": login.provider_name,
            "csrf": login.csrf_token,
            "expires_at": token.expires_at,
        }

    return app, auth


@pytest.fixture
def client(provider: MockOAuthServer) -> Iterator[TestClient]:
    app, _ = make_app(provider)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def log_in(
    client: TestClient, provider: MockOAuthServer, next_path: str = "/me", user: str = "alice"
) -> Response:
    start = client.get("/login/mock", params={"next": next_path})
    assert start.status_code == 302, start.text
    redirect = provider.authorize(start.headers["location"], user=user)
    return client.get("/login/mock/callback", params=redirect)  # type: ignore[return-value]


# -- the login and the dependencies ----------------------------------------------------------


def test_a_login_through_the_built_in_routes_reaches_login_required(
    client: TestClient, provider: MockOAuthServer
) -> None:
    done = log_in(client, provider, user="bob")
    assert done.status_code == 302 and done.headers["location"] == "/me"
    me = client.get("/me", headers=JSON)
    assert me.status_code == 200
    assert me.json()["provider"] == "mock" and me.json()["id"]
    assert client.get("/").json()["user"] == me.json()["id"]


def test_login_required_answers_api_clients_with_401_json(client: TestClient) -> None:
    answer = client.get("/me", headers=JSON)
    assert answer.status_code == 401
    assert answer.json() == {"error": "login_required", "error_description": "Log in first."}


def test_login_required_sends_browsers_to_the_login_with_next(client: TestClient) -> None:
    answer = client.get("/me?tab=1", headers={"Accept": "text/html"})
    assert answer.status_code == 302
    assert answer.headers["location"] == "/login/mock?next=%2Fme%3Ftab%3D1"


def test_login_url_is_where_login_required_sends_browsers(provider: MockOAuthServer) -> None:
    app, _ = make_app(provider, login_url="/signin")
    with TestClient(app, follow_redirects=False) as c:
        assert c.get("/me").headers["location"] == "/signin?next=%2Fme"


def test_current_is_none_without_a_login(client: TestClient) -> None:
    assert client.get("/").json() == {"user": None}


def test_a_tampered_cookie_counts_as_logged_out(
    client: TestClient, provider: MockOAuthServer
) -> None:
    log_in(client, provider)
    cookie = client.cookies["flet_auth"]
    data, signature = cookie.rsplit(".", 1)
    client.cookies.set("flet_auth", f"{data}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}")
    assert client.get("/me", headers=JSON).status_code == 401
    client.cookies.set("flet_auth", cookie)
    assert client.get("/me", headers=JSON).status_code == 200


def test_the_cookie_holds_only_opaque_ids_and_is_http_only_and_same_site(
    client: TestClient, provider: MockOAuthServer
) -> None:
    done = log_in(client, provider)
    header = done.headers["set-cookie"]
    assert header.startswith("flet_auth=") and "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # plain http
    values = URLSafeTimedSerializer(SECRET, salt="flet_auth.starlette.session").loads(
        client.cookies["flet_auth"]
    )
    assert set(values) == {"_flet_auth_login", "_flet_auth_csrf"}  # ids, never a token
    assert all(len(v) >= 32 for v in values.values())


def test_the_cookie_is_secure_on_https(provider: MockOAuthServer) -> None:
    app, _ = make_app(provider)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        assert "Secure" in c.get("/login/mock").headers["set-cookie"]


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_next_pointing_elsewhere_is_not_followed(
    client: TestClient, provider: MockOAuthServer, next_path: str
) -> None:
    done = log_in(client, provider, next_path=next_path)
    assert done.status_code == 302 and done.headers["location"] == "/"


def test_a_redirect_delivered_to_another_browser_is_refused(
    provider: MockOAuthServer,
) -> None:
    app, _ = make_app(provider)
    with (
        TestClient(app, follow_redirects=False) as victim,
        TestClient(app, follow_redirects=False) as attacker,
    ):
        attacker.get("/login/mock")
        start = victim.get("/login/mock")
        redirect = provider.authorize(start.headers["location"])
        refused = attacker.get("/login/mock/callback", params=redirect)
        assert refused.status_code == 400 and "state" in refused.text
        assert victim.get("/login/mock/callback", params=redirect).status_code == 302


def test_a_login_refused_at_the_provider_is_a_401_page(
    client: TestClient, provider: MockOAuthServer
) -> None:
    start = client.get("/login/mock")
    redirect = provider.authorize(start.headers["location"], approve=False)
    answer = client.get("/login/mock/callback", params=redirect)
    assert answer.status_code == 401 and "access_denied" in answer.text


def test_an_unknown_provider_is_404(client: TestClient) -> None:
    assert client.get("/login/nobody").status_code == 404
    assert client.get("/login/nobody/callback").status_code == 404


# -- logout -------------------------------------------------------------------------------------


def test_logout_needs_post_and_the_csrf_token(
    client: TestClient, provider: MockOAuthServer
) -> None:
    log_in(client, provider)
    csrf = client.get("/me", headers=JSON).json()["csrf"]
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/me", headers=JSON).status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf, "next": "/bye"})
    assert out.status_code == 303 and out.headers["location"] == "/bye"
    assert client.get("/me", headers=JSON).status_code == 401


def test_logout_takes_the_csrf_token_in_a_header_and_revokes(
    client: TestClient, provider: MockOAuthServer
) -> None:
    log_in(client, provider)
    csrf = client.get("/me", headers=JSON).json()["csrf"]
    provider.reset_counts()
    out = client.post("/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert client.get("/me", headers=JSON).status_code == 401


# -- hooks and own routes ---------------------------------------------------------------------


def test_login_and_logout_handlers_run_sync_or_async_and_may_answer(
    provider: MockOAuthServer,
) -> None:
    app, auth = make_app(provider)
    events: list[tuple[str, str, str]] = []

    @auth.on_login
    def plain(event: AuthEvent) -> None:
        events.append((event.name, event.provider, event.error))

    @auth.on_login
    async def answer(event: AuthEvent) -> Response:
        return PlainTextResponse(f"hello {event.user.id if event.user else ''}")

    @auth.on_logout
    async def out(event: AuthEvent) -> None:
        events.append((event.name, event.provider, event.error))

    with TestClient(app, follow_redirects=False) as c:
        done = log_in(c, provider)
        assert done.status_code == 200 and done.text.startswith("hello ")
        csrf = c.get("/me", headers=JSON).json()["csrf"]
        c.post("/logout", data={"csrf_token": csrf})
    assert events == [("login", "mock", ""), ("logout", "mock", "")]


def test_apps_may_write_their_own_routes_as_with_authlib(provider: MockOAuthServer) -> None:
    app, auth = make_app(provider)

    @app.get("/signin")
    async def signin(request: Request) -> Response:
        return await auth.mock.authorize_redirect(request, str(request.url_for("back")))

    @app.get("/back")
    async def back(request: Request) -> dict[str, Any]:
        token = await auth.mock.authorize_access_token(request)
        return {"has_token": bool(token.access_token)}

    with TestClient(app, follow_redirects=False) as c:
        start = c.get("/signin")
        assert "redirect_uri=http%3A%2F%2Ftestserver%2Fback" in start.headers["location"]
        redirect = provider.authorize(start.headers["location"])
        assert c.get("/back", params=redirect).json() == {"has_token": True}
        assert c.get("/me", headers=JSON).status_code == 200


def test_plain_starlette_apps_await_the_dependencies(provider: MockOAuthServer) -> None:
    async def me(request: Request) -> Response:
        login = await auth.login_required(request)
        return JSONResponse({"provider": login.provider_name})

    app = Starlette(routes=[Route("/me", me)])
    auth = FletAuth(app, secret_key=SECRET, store=AsyncMemoryStore(), config=mock_client(provider))
    auth.register("mock")
    with TestClient(app, follow_redirects=False) as c:
        assert c.get("/me", headers=JSON).status_code == 401
        log_in(c, provider)
        assert c.get("/me", headers=JSON).json() == {"provider": "mock"}


def test_it_works_beside_session_middleware(provider: MockOAuthServer) -> None:
    app, _ = make_app(provider)
    app.add_middleware(SessionMiddleware, secret_key="another-secret")

    @app.get("/visit")
    async def visit(request: Request) -> dict[str, int]:
        request.session["visits"] = request.session.get("visits", 0) + 1
        return {"visits": request.session["visits"]}

    with TestClient(app, follow_redirects=False) as c:
        assert c.get("/visit").json() == {"visits": 1}
        log_in(c, provider)
        assert c.get("/visit").json() == {"visits": 2}  # the app's session survived the login
        assert c.get("/me", headers=JSON).status_code == 200
        assert {"session", "flet_auth"} <= set(c.cookies.keys())


# -- settings and bad input -------------------------------------------------------------------


def test_settings_come_from_a_starlette_config(provider: MockOAuthServer) -> None:
    environ = {
        k: v if isinstance(v, str) else '{"scope": "openid profile"}'
        for k, v in mock_client(provider).items()
    }
    app, _ = make_app(provider, config=Config(environ=environ))
    with TestClient(app, follow_redirects=False) as c:
        start = c.get("/login/mock")
        assert "scope=openid+profile" in start.headers["location"]


def test_settings_come_from_the_environment(
    provider: MockOAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in mock_client(provider).items():
        monkeypatch.setenv(key, value if isinstance(value, str) else '{"scope": "openid email"}')
    app, _ = make_app(provider, config=None)
    with TestClient(app, follow_redirects=False) as c:
        assert "scope=openid+email" in c.get("/login/mock").headers["location"]


def test_a_missing_client_id_is_named(provider: MockOAuthServer) -> None:
    app, auth = make_app(provider)
    auth.register("other")
    with (
        TestClient(app, follow_redirects=False) as c,
        pytest.raises(ConfigurationError, match="OTHER_CLIENT_ID"),
    ):
        c.get("/login/other")


def test_a_client_kwargs_setting_that_is_not_json_is_refused_when_registered(
    provider: MockOAuthServer,
) -> None:
    config = {**mock_client(provider), "MOCK_CLIENT_KWARGS": "scope=openid"}
    with pytest.raises(ConfigurationError, match="MOCK_CLIENT_KWARGS"):
        make_app(provider, config=config)


@pytest.mark.parametrize("name", ["current", "login_required", "2fa", "_private", "mock"])
def test_names_that_cannot_be_registered_are_refused(provider: MockOAuthServer, name: str) -> None:
    _, auth = make_app(provider)
    with pytest.raises(ConfigurationError):
        auth.register(name)


def test_a_secret_key_is_required() -> None:
    with pytest.raises(ConfigurationError, match="secret_key"):
        FletAuth(FastAPI(), secret_key="")


def test_init_app_refuses_a_second_app_and_what_is_not_an_app(
    provider: MockOAuthServer,
) -> None:
    _, auth = make_app(provider)
    with pytest.raises(ConfigurationError):
        auth.init_app(FastAPI())
    with pytest.raises(ConfigurationError):
        FletAuth(object(), secret_key=SECRET, store=AsyncMemoryStore())


def test_the_default_store_is_sqlite_in_the_working_directory(
    provider: MockOAuthServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app, _ = make_app(provider, store=None)
    with TestClient(app, follow_redirects=False) as c:
        log_in(c, provider)
        assert c.get("/me", headers=JSON).status_code == 200
    assert (tmp_path / "flet_auth.sqlite3").exists()


def test_an_unreachable_store_gives_503(provider: MockOAuthServer) -> None:
    store = AsyncRedisStore(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=1.0)
    app, _ = make_app(provider, store=store)
    with TestClient(app, follow_redirects=False) as c:
        c.cookies.set("flet_auth", signed({"_flet_auth_login": "x" * 43}))
        api = c.get("/me", headers=JSON)
        assert api.status_code == 503 and api.headers["Retry-After"] == "5"
        assert api.json()["error"] == "temporarily_unavailable"
        page = c.get("/login/mock")
        assert page.status_code == 503 and "unavailable" in page.text


def signed(values: dict[str, str]) -> str:
    return URLSafeTimedSerializer(SECRET, salt="flet_auth.starlette.session").dumps(values)


HOST_WARNING = "the request's Host header"


def host_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if HOST_WARNING in r.getMessage()]


def test_an_unpinned_redirect_host_is_warned_about_once_at_the_first_login(
    provider: MockOAuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="flet_auth")
    app, _ = make_app(provider)
    with TestClient(app, base_url="http://attacker.example", follow_redirects=False) as c:
        c.get("/login/mock")
        c.get("/login/mock")
    [warning] = host_warnings(caplog)
    assert "MOCK_REDIRECT_URI" in warning and "TrustedHostMiddleware" in warning


@pytest.mark.parametrize("pin", ["redirect_uri", "trusted_hosts"])
def test_a_pinned_redirect_host_is_not_warned_about(
    provider: MockOAuthServer, caplog: pytest.LogCaptureFixture, pin: str
) -> None:
    caplog.set_level(logging.WARNING, logger="flet_auth")
    config = dict(mock_client(provider))
    if pin == "redirect_uri":
        config["MOCK_REDIRECT_URI"] = "http://testserver/login/mock/callback"
    app, _ = make_app(provider, config=config)
    if pin == "trusted_hosts":
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=["testserver"])
    with TestClient(app, follow_redirects=False) as c:
        assert c.get("/login/mock").status_code == 302
    assert host_warnings(caplog) == []


def test_an_app_mounted_under_a_path_keeps_its_routes_and_cookie_there(
    provider: MockOAuthServer,
) -> None:
    inner, _ = make_app(provider)
    outer = Starlette(routes=[Mount("/sub", app=inner)])
    with TestClient(outer, follow_redirects=False) as c:
        assert c.get("/sub/me").headers["location"] == "/sub/login/mock?next=%2Fsub%2Fme"
        start = c.get("/sub/login/mock", params={"next": "/sub/me"})
        assert "Path=/sub;" in start.headers["set-cookie"]
        assert (
            "redirect_uri=http%3A%2F%2Ftestserver%2Fsub%2Flogin%2Fmock%2Fcallback"
            in (start.headers["location"])
        )
        redirect = provider.authorize(start.headers["location"])
        done = c.get("/sub/login/mock/callback", params=redirect)
        assert done.headers["location"] == "/sub/me"
        assert c.get("/sub/me", headers=JSON).status_code == 200


def test_a_provider_that_cannot_be_reached_at_the_login_gives_502(
    provider: MockOAuthServer,
) -> None:
    app, auth = make_app(provider)
    auth.register(
        "away",
        client_id="id",
        server_metadata_url=f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration",
        allow_insecure_http=True,
        timeout=2.0,
    )
    with TestClient(app, follow_redirects=False) as c:
        answer = c.get("/login/away")
        assert answer.status_code == 502 and "cannot be reached" in answer.text


def test_a_refresh_the_provider_cannot_answer_gives_502_and_keeps_the_login(
    client: TestClient, provider: MockOAuthServer
) -> None:
    provider.access_token_ttl = 30  # due at once (60 s leeway)
    try:
        log_in(client, provider)
    finally:
        provider.access_token_ttl = 3600
    provider.fail("token", 503, "busy")
    try:
        answer = client.get("/me", headers=JSON)
    finally:
        provider.clear_faults()
    assert answer.status_code == 502 and answer.json()["error"] == "temporarily_unavailable"
    assert client.get("/me", headers=JSON).status_code == 200  # refreshed on the next request
