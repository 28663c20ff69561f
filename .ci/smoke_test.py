#!/usr/bin/env python3
"""Install a built distribution the way a user would and run the quickstart from it.

    python .ci/smoke_test.py DIST

DIST is a wheel (installed with --no-index: pip must accept its tags on this interpreter) or
the sdist (built by pip through maturin; cargo must be on PATH for that step, and
CARGO_TARGET_DIR is passed on). The fresh virtual environment is made by the Python running
this script. Afterwards only that environment and the system's own directories are on PATH --
no cargo, no rustc, no source tree -- and `import flet_auth, flet_auth.testing` and
examples/quickstart.py must work from it. Runs on Linux, macOS and Windows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart.py"
IMPORT_CHECK = (
    "import sys, sysconfig, flet_auth, flet_auth.testing; "
    "assert flet_auth.testing.MockOAuthServer; "
    "print(flet_auth.__version__, sysconfig.get_platform(), sys.version.split()[0]); "
    "print(flet_auth.__file__)"
)


def environment_python(env_dir: Path) -> Path:
    if os.name == "nt":
        return env_dir / "Scripts" / "python.exe"
    return env_dir / "bin" / "python"


def clean_environment(env_dir: Path, home: Path) -> dict[str, str]:
    """PATH with the environment and the system's directories only, so no Rust is in reach."""
    if os.name == "nt":
        system_root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        dirs = [env_dir / "Scripts", Path(system_root) / "System32", Path(system_root)]
        env = {"SYSTEMROOT": system_root, "USERPROFILE": str(home), "TEMP": str(home)}
    else:
        dirs = [env_dir / "bin", Path("/usr/bin"), Path("/bin")]
        env = {"HOME": str(home)}
    env["PATH"] = os.pathsep.join(map(str, dirs))
    env["PYTHONIOENCODING"] = "utf-8"  # the quickstart prints non-ASCII text
    for tool in ("cargo", "rustc"):
        found = shutil.which(tool, path=env["PATH"])
        if found:
            sys.exit(f"{tool} is on the clean PATH ({found}): the check would prove nothing")
    return env


def install(python: Path, dist: Path) -> None:
    command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if dist.name.endswith(".whl"):
        command += ["--no-index", "--no-deps", str(dist)]
    elif dist.name.endswith(".tar.gz"):
        command += ["--no-deps", str(dist)]  # maturin comes from the index, as for a user
    else:
        sys.exit(f"{dist.name}: neither a wheel nor an sdist")
    if subprocess.run(command, timeout=3600).returncode != 0:
        sys.exit(f"pip did not install {dist.name} into a fresh {sys.version.split()[0]}")


def run(python: Path, args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [str(python), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        encoding="utf-8",
        timeout=600,
    )
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)[:60]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def smoke_test(dist: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="flet-auth-smoke-") as tmp:
        work = Path(tmp)
        env_dir = work / "venv"
        venv.EnvBuilder(with_pip=True).create(env_dir)
        python = environment_python(env_dir)
        install(python, dist)
        env = clean_environment(env_dir, work)
        version, location = run(python, ["-c", IMPORT_CHECK], env, work).splitlines()
        if not Path(location).resolve().is_relative_to(env_dir.resolve()):
            sys.exit(f"flet_auth was imported from {location}, not from the fresh environment")
        output = run(python, [str(QUICKSTART)], env, work)
        if not output.rstrip().endswith("Login complete."):
            sys.exit(f"the quickstart did not finish its login:\n{output}")
        print(f"{dist.name}: installs and runs the quickstart ({version})")


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    smoke_test(Path(sys.argv[1]).resolve())


if __name__ == "__main__":
    main()
