"""The wheel users install: one abi3 wheel that runs the quickstart with no Rust around."""

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel() -> Path:
    path = os.environ.get("FLET_AUTH_WHEEL")
    if not path:
        pytest.skip("FLET_AUTH_WHEEL names the wheel to check; .ci/run builds it and sets it")
    return Path(path)


def test_the_wheel_is_abi3_and_carries_stubs_and_the_pytest_plugin(wheel: Path) -> None:
    assert "-abi3-" in wheel.name and "cp39" in wheel.name
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        lines = zf.read(entry_points).decode().replace(" ", "").splitlines()
        assert lines[lines.index("[pytest11]") + 1] == "flet_auth=flet_auth.testing"
    for needed in ["flet_auth/_core.pyi", "flet_auth/py.typed", "flet_auth/testing.py"]:
        assert needed in names
    assert any(n.startswith("flet_auth/_core.") and n.endswith(".so") for n in names)


def test_the_quickstart_runs_from_the_wheel_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", wheel],
        check=True,
        timeout=300,
    )
    # No cargo, rustc or source tree within reach: only the venv and the system's basics.
    clean_env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    assert shutil.which("cargo", path=clean_env["PATH"]) is None
    assert shutil.which("rustc", path=clean_env["PATH"]) is None
    result = subprocess.run(
        [python, ROOT / "examples" / "quickstart.py"],
        cwd=tmp_path,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "logged in as Alice Liddell" in result.stdout
    assert result.stdout.strip().endswith("Login complete.")
    where = subprocess.run(
        [python, "-c", "import flet_auth; print(flet_auth.__file__)"],
        cwd=tmp_path,
        env=clean_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(env_dir) in where
    assert sys.executable not in where
