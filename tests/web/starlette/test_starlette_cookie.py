"""The login cookie's memory of values it verified: a remembered value still expires at its
max age, and a tampered copy of it is still refused."""

import time

from flet_auth.starlette._cookie import CookieSession, SessionCookie

SECRET = "test-secret-key-of-the-cookie"


def signed(cookie: SessionCookie, values: dict[str, str]) -> str:
    session = CookieSession(values)
    header = cookie.header(session, {"scheme": "http"})
    return header.split("=", 1)[1].split(";", 1)[0]


def test_a_remembered_cookie_past_its_max_age_reads_as_empty() -> None:
    cookie = SessionCookie(SECRET, name="flet_auth", max_age=1, secure=None)
    value = signed(cookie, {"_flet_auth_login": "abc"})
    assert dict(cookie.load(value)) == {"_flet_auth_login": "abc"}
    time.sleep(2.1)
    assert dict(cookie.load(value)) == {}


def test_a_tampered_copy_of_a_remembered_cookie_reads_as_empty() -> None:
    cookie = SessionCookie(SECRET, name="flet_auth", max_age=3600, secure=None)
    value = signed(cookie, {"_flet_auth_login": "abc"})
    assert dict(cookie.load(value)) == {"_flet_auth_login": "abc"}
    data, signature = value.rsplit(".", 1)
    tampered = f"{data}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    assert dict(cookie.load(tampered)) == {}
