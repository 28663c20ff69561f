"""The start-up warning of a Flask app whose `redirect_uri` would come from the request's
`Host` header: no `{NAME}_REDIRECT_URI`, `SERVER_NAME` or `TRUSTED_HOSTS`."""

import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flet_auth.flask import FletAuth

WARNING = "the request's Host header"


def start(caplog: pytest.LogCaptureFixture, tmp_path: Path, *names: str, **config: Any) -> Flask:
    """A real Flask app set up with `FletAuth` and GitHub logins under `names`, serving one
    request; the warnings logged meanwhile are in `caplog`."""
    caplog.set_level(logging.WARNING, logger="flet_auth")
    app = Flask("redirect_host_test", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="k", **config)
    auth = FletAuth(app)
    for name in names:
        app.config[f"{name.upper()}_CLIENT_ID"] = "id"
        app.config[f"{name.upper()}_CLIENT_SECRET"] = "secret"
        auth.register(name, **({} if name == "github" else {"fetch_user": True}))
    app.test_client().get("/login/github", base_url="http://attacker.example")
    return app


def host_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if WARNING in r.getMessage()]


def test_an_unpinned_redirect_host_is_warned_about_once_naming_the_providers(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    start(caplog, tmp_path, "github", "google")
    warnings = host_warnings(caplog)
    assert len(warnings) == 1
    assert "github" in warnings[0] and "GITHUB_REDIRECT_URI" in warnings[0]


@pytest.mark.parametrize(
    "config",
    [
        {"SERVER_NAME": "app.example"},
        {"TRUSTED_HOSTS": ["app.example"]},
        {"GITHUB_REDIRECT_URI": "https://app.example/login/github/callback"},
    ],
)
def test_a_pinned_redirect_host_is_not_warned_about(
    caplog: pytest.LogCaptureFixture, tmp_path: Path, config: dict[str, Any]
) -> None:
    start(caplog, tmp_path, "github", **config)
    assert host_warnings(caplog) == []
