"""examples/fastapi/flet_app.py loaded for a test, its settings (the bundled provider, a
SQLite store) in the environment first."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from flet_auth.testing import MockOAuthServer

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "fastapi" / "flet_app.py"


def load_flet_example(
    provider: MockOAuthServer, store: Path, monkeypatch: pytest.MonkeyPatch
) -> ModuleType:
    """A fresh copy of the example module, set up for `provider` and a store at `store`."""
    monkeypatch.setenv("APP_SECRET_KEY", "test-secret-key-of-the-flet-example")
    monkeypatch.setenv("AUTHGEAR_CLIENT_ID", provider.client_id)
    monkeypatch.setenv("AUTHGEAR_CLIENT_SECRET", provider.client_secret)
    monkeypatch.setenv("AUTHGEAR_SERVER_METADATA_URL", provider.discovery_url)
    monkeypatch.setenv("FLET_AUTH_STORE", f"sqlite:///{store}")
    spec = importlib.util.spec_from_file_location("fastapi_flet_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
