"""What PyPI gets: tagged wheels auditwheel agrees with, a complete sdist, the metadata of the
project page, and a release workflow that builds what .ci/build-wheels builds."""

import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
import tomllib
import trove_classifiers
import yaml

import flet_auth

ROOT = Path(__file__).resolve().parents[2]
CHECK_WHEEL_TAG = ROOT / ".ci" / "check_wheel_tag.py"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


@pytest.fixture(scope="module")
def wheel() -> Path:
    path = os.environ.get("FLET_AUTH_WHEEL")
    if not path:
        pytest.skip("FLET_AUTH_WHEEL names the wheel to check; .ci/run builds it and sets it")
    return Path(path)


@pytest.fixture(scope="module")
def metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(zf.read(name).decode())


@pytest.fixture(scope="module")
def cargo() -> dict[str, Any]:
    """`cargo metadata` of the crate maturin builds (a workspace member or the root)."""
    done = subprocess.run(
        ["cargo", "metadata", "--format-version", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return dict(json.loads(done.stdout))


def extension_crate(cargo: dict[str, Any]) -> dict[str, Any]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    manifest = ROOT / pyproject["tool"]["maturin"].get("manifest-path", "Cargo.toml")
    return next(p for p in cargo["packages"] if Path(p["manifest_path"]) == manifest)


def local_crates(cargo: dict[str, Any]) -> list[dict[str, Any]]:
    """The extension crate and every crate it needs through a path dependency."""
    by_dir = {str(Path(p["manifest_path"]).parent): p for p in cargo["packages"]}
    found = [extension_crate(cargo)]
    for crate in found:
        for dep in crate["dependencies"]:
            needed = dep.get("path") and dep["kind"] in (None, "build")
            if needed and by_dir[dep["path"]] not in found:
                found.append(by_dir[dep["path"]])
    return found


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    maturin = Path(sys.executable).parent / "maturin"
    subprocess.run([maturin, "sdist", "--out", out], cwd=ROOT, check=True, timeout=300)
    return next(out.glob("*.tar.gz"))


def workflow() -> dict[Any, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text()))


def check_wheel_tag(wheel: Path, tag: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, CHECK_WHEEL_TAG, wheel, tag], capture_output=True, text=True, timeout=300
    )


def test_auditwheel_confirms_the_wheel_is_manylinux2014_for_this_machine(wheel: Path) -> None:
    done = check_wheel_tag(wheel, f"manylinux_2_17_{platform.machine()}")
    assert done.returncode == 0, done.stderr
    assert f"auditwheel agrees (manylinux_2_17_{platform.machine()})" in done.stdout


def test_the_tag_check_refuses_a_name_claiming_an_older_glibc_than_the_binary_needs(
    wheel: Path, tmp_path: Path
) -> None:
    claimed = f"manylinux_2_5_{platform.machine()}"
    renamed = tmp_path / f"flet_auth-{flet_auth.__version__}-cp39-abi3-{claimed}.whl"
    shutil.copy(wheel, renamed)
    done = check_wheel_tag(renamed, claimed)
    assert done.returncode == 1
    assert f"claims {claimed}, auditwheel finds manylinux_2_17_" in done.stderr


def test_the_tag_check_refuses_a_wheel_of_another_architecture(wheel: Path) -> None:
    other = "aarch64" if platform.machine() == "x86_64" else "x86_64"
    done = check_wheel_tag(wheel, f"manylinux_2_17_{other}")
    assert done.returncode == 1
    assert f"does not carry manylinux_2_17_{other}" in done.stderr


def test_the_version_is_cargo_toml_s_in_the_wheel_and_at_run_time(
    metadata: Message, cargo: dict[str, Any]
) -> None:
    version = extension_crate(cargo)["version"]
    assert metadata["Version"] == version
    assert flet_auth.__version__ == version


def test_the_wheel_offers_the_flask_redis_and_starlette_extras(metadata: Message) -> None:
    extras = metadata.get_all("Provides-Extra") or []
    assert {"flask", "redis", "starlette"} <= set(extras)
    requires = metadata.get_all("Requires-Dist") or []
    for extra, package in [("flask", "flask"), ("redis", "redis"), ("starlette", "starlette")]:
        assert any(r.startswith(package) and f"extra == '{extra}'" in r for r in requires)
    assert not [r for r in requires if "extra ==" not in r], "the core needs no dependency"


def test_the_project_urls_lead_to_the_source_the_issues_and_the_changelog(
    metadata: Message, cargo: dict[str, Any]
) -> None:
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    assert {"Source", "Issues", "Changelog"} <= set(urls)
    assert urls["Source"] == extension_crate(cargo)["repository"]
    assert urls["Changelog"].endswith("/CHANGELOG.md")
    assert metadata["License-Expression"] == extension_crate(cargo)["license"]


def test_every_classifier_is_one_pypi_accepts(metadata: Message) -> None:
    classifiers = metadata.get_all("Classifier") or []
    assert "Framework :: Flask" in classifiers
    assert [c for c in classifiers if c not in trove_classifiers.classifiers] == []
    assert not [c for c in classifiers if c in trove_classifiers.deprecated_classifiers]


def test_the_python_classifiers_start_at_requires_python(metadata: Message) -> None:
    assert metadata["Requires-Python"] == ">=3.9"
    minors = sorted(
        int(c.rsplit(".", 1)[1])
        for c in metadata.get_all("Classifier") or []
        if c.startswith("Programming Language :: Python :: 3.")
    )
    assert minors[0] == 9
    assert minors == list(range(9, minors[-1] + 1))
    assert minors[-1] >= sys.version_info.minor


def test_the_changelog_has_a_section_for_this_version(cargo: dict[str, Any]) -> None:
    version = extension_crate(cargo)["version"]
    headings = [
        line for line in (ROOT / "CHANGELOG.md").read_text().splitlines() if line.startswith("## ")
    ]
    assert any(h.startswith(f"## [{version}]") for h in headings), headings


def test_the_sdist_carries_every_crate_it_builds_and_the_lock_file(
    sdist: Path, cargo: dict[str, Any]
) -> None:
    top = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.removeprefix(f"{top}/") for n in tar.getnames()}
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    manifests = {Path(f).parent for f in tracked if Path(f).name == "Cargo.toml"}

    def crate_of(file: Path) -> Path:
        """The crate a file belongs to: the nearest directory above it with a Cargo.toml."""
        return next(d for d in file.parents if d in manifests)

    needed = {"Cargo.toml", "Cargo.lock", "pyproject.toml", "README.md", "LICENSE"}
    for crate in local_crates(cargo):
        crate_dir = Path(crate["manifest_path"]).parent.relative_to(ROOT)
        needed.add((crate_dir / "Cargo.toml").as_posix())
        needed |= {f for f in tracked if f.endswith(".rs") and crate_of(Path(f)) == crate_dir}
    needed |= {f for f in tracked if f.startswith("python/flet_auth/")}
    assert sorted(needed - names) == []


@pytest.mark.timeout(1800)
def test_the_sdist_builds_in_a_fresh_venv_that_then_imports_flet_auth_and_its_testing_module(
    sdist: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # pip fetches maturin for the build as it does for a user; cargo reuses .ci/run's target
    # directory (CARGO_TARGET_DIR), so only the crates whose settings differ are compiled.
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", sdist], check=True, timeout=1700
    )
    clean_env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    assert shutil.which("cargo", path=clean_env["PATH"]) is None
    imported = subprocess.run(
        [
            python,
            "-c",
            "import flet_auth, flet_auth.testing; print(flet_auth.__version__); "
            "print(flet_auth.testing.__file__)",
        ],
        cwd=tmp_path,
        env=clean_env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.splitlines()
    assert imported[0] == flet_auth.__version__
    assert Path(imported[1]).is_relative_to(env_dir)


def test_the_release_workflow_builds_every_target_of_build_wheels() -> None:
    listed = subprocess.run(
        ["bash", ROOT / ".ci" / "build-wheels", "--list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    matrix = workflow()["jobs"]["linux"]["strategy"]["matrix"]["include"]
    assert sorted(entry["target"] for entry in matrix) == sorted(listed)
    for entry in matrix:
        arch = entry["target"].rsplit("-", 1)[-1]
        assert entry["runner"].endswith("-arm") == (arch == "aarch64"), entry


def test_the_release_workflow_uses_the_maturin_the_scripts_pin() -> None:
    pins = (ROOT / "tests" / "requirements.txt").read_text().splitlines()
    maturin = next(p.split("==")[1] for p in pins if p.startswith("maturin=="))
    steps = workflow()["jobs"]["macos-windows"]["steps"]
    action = next(s for s in steps if s.get("uses", "").startswith("PyO3/maturin-action@"))
    assert action["with"]["maturin-version"] == f"v{maturin}"


def test_the_release_workflow_publishes_only_a_version_tag_by_trusted_publishing() -> None:
    flow = workflow()
    triggers = flow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"] == {"tags": ["v*"]}
    publish = flow["jobs"]["publish"]
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert publish["permissions"] == {"id-token": "write"}
    assert set(publish["needs"]) == set(flow["jobs"]) - {"publish"}
    upload = publish["steps"][-1]
    assert upload["uses"] == "pypa/gh-action-pypi-publish@release/v1"
    assert "password" not in upload.get("with", {})
