"""`import flet_auth` stays light: heavy modules load only when a feature needs them."""

import subprocess
import sys

PROBE = """
import sys
before = set(sys.modules)
import flet_auth
from flet_auth import AuthorizationService, OAuthProvider, OAuthToken, User
print(" ".join(sorted(m for m in set(sys.modules) - before if not m.startswith("flet_auth"))))
"""

HEAVY = {"typing", "logging", "asyncio", "json", "tempfile", "pathlib", "inspect", "urllib"}


def test_import_loads_no_heavy_module() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert not HEAVY & set(out), out
    assert "atexit" in out  # the engine stops before the interpreter finalizes


def test_lazy_names_load_on_first_use() -> None:
    probe = (
        "import sys, flet_auth\n"
        "assert 'flet_auth.page' not in sys.modules\n"
        "from flet_auth import AuthPage, FileTokenStore, GitHubOAuthProvider\n"
        "print(AuthPage.__module__, FileTokenStore.__module__, GitHubOAuthProvider.__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out == ["flet_auth.page", "flet_auth.store", "GitHubOAuthProvider"]
