"""Where the core sends browsers: only same-site `next` paths, absolute redirect URIs."""

from typing import Any

import pytest

from flet_auth import ConfigurationError
from flet_auth.web.redirects import check_redirect_uri, home_path, request_path, safe_next


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/page", "/page"),
        ("/page?x=1#top", "/page?x=1#top"),
        ("https://evil.example/", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("/page\r\nSet-Cookie: x=1", None),
        ("page", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next_keeps_only_same_site_paths(value: Any, expected: Any) -> None:
    assert safe_next(value) == expected


def test_safe_next_refuses_paths_longer_than_2048_characters() -> None:
    assert safe_next("/" + "a" * 2047) is not None
    assert safe_next("/" + "a" * 2048) is None


@pytest.mark.parametrize(
    "uri", ["/callback", "callback", "ftp://host/cb", "javascript:alert(1)", "http://"]
)
def test_a_redirect_uri_must_be_an_absolute_http_url(uri: str) -> None:
    with pytest.raises(ConfigurationError, match="redirect_uri"):
        check_redirect_uri(uri)


def test_an_absolute_http_redirect_uri_is_kept() -> None:
    assert check_redirect_uri("https://app.example/cb?x=1") == "https://app.example/cb?x=1"


def test_paths_are_under_the_app_s_mount_point() -> None:
    assert home_path("") == "/" and home_path("/app") == "/app/"
    assert request_path("/app", "/me", "x=1") == "/app/me?x=1"
    assert request_path("", "/me", "") == "/me"
