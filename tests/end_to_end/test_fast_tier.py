"""`pytest --fast`: the tier without a browser collects where selenium is not installed."""

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

WITHOUT_SELENIUM = """
import sys

import pytest


class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "selenium":
            raise ImportError("selenium is not installed here")
        return None


sys.meta_path.insert(0, Blocker())
sys.exit(pytest.main(sys.argv[1:]))
"""


def collect(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", WITHOUT_SELENIUM, "--collect-only", "-q", *args, str(TESTS)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=TESTS.parent)


def test_the_fast_tier_collects_without_selenium_and_leaves_out_the_browser_tests() -> None:
    fast = collect("--fast", "-p", "no:cacheprovider")
    assert fast.returncode == 0, fast.stdout[-2000:] + fast.stderr[-2000:]
    collected = [line for line in fast.stdout.splitlines() if "::" in line]
    assert len(collected) > 300
    assert not any("test_browser.py" in line or "test_flet_web.py" in line for line in collected)


def test_without_fast_the_browser_tests_need_selenium() -> None:
    full = collect("-p", "no:cacheprovider")
    assert full.returncode != 0
    assert "selenium is not installed here" in full.stdout + full.stderr
