#!/usr/bin/env python3
"""Fail unless auditwheel agrees with the platform tag a wheel's file name claims.

    python .ci/check_wheel_tag.py WHEEL PLATFORM_TAG      e.g. manylinux_2_17_x86_64

The wheel must be abi3 for CPython >= 3.9, its name must carry PLATFORM_TAG, and
`auditwheel show` must find the binaries inside fit for every platform tag the name claims
(same family and architecture, a glibc or musl version no older than the one they need).
auditwheel judges the wheel alone: its library search path is an empty directory, so a cross
wheel is not compared with this machine's libraries. Run it with the Python that has auditwheel.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# PEP 600 names for the legacy manylinux aliases.
LEGACY = {
    "manylinux1": "manylinux_2_5",
    "manylinux2010": "manylinux_2_12",
    "manylinux2014": "manylinux_2_17",
}
TAG = re.compile(r"^(manylinux|musllinux)_(\d+)_(\d+)_(\w+)$")


def pep600(tag: str) -> str:
    for old, new in LEGACY.items():
        if tag.startswith(old + "_"):
            return new + tag[len(old) :]
    return tag


def parse(tag: str) -> tuple[str, tuple[int, int], str] | None:
    match = TAG.match(pep600(tag))
    if match is None:
        return None
    family, major, minor, arch = match.groups()
    return family, (int(major), int(minor)), arch


def auditwheel_tag(wheel: Path) -> tuple[str, dict[str, object]]:
    with tempfile.TemporaryDirectory() as no_libraries:
        shown = subprocess.run(
            [
                sys.executable,
                "-m",
                "auditwheel",
                "show",
                "--json",
                "--ldpaths",
                no_libraries,
                str(wheel),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    if shown.returncode != 0:
        sys.exit(f"{wheel.name}: auditwheel show failed:\n{shown.stderr.strip()}")
    report = json.loads(shown.stdout)
    return str(report["overall_tag"]), report


def check(wheel: Path, expected: str) -> str:
    """The tag auditwheel found; exits with the reason when it disagrees with the name."""
    parts = wheel.name[: -len(".whl")].split("-")
    if not wheel.name.endswith(".whl") or len(parts) not in (5, 6):
        sys.exit(f"{wheel.name}: not a wheel file name")
    python, abi, platforms = parts[-3], parts[-2], parts[-1].split(".")
    if (python, abi) != ("cp39", "abi3"):
        sys.exit(f"{wheel.name}: built for {python}-{abi}, not the one cp39-abi3 wheel")
    if expected not in map(pep600, platforms):
        sys.exit(f"{wheel.name}: the name does not carry {expected}")
    found, report = auditwheel_tag(wheel)
    fit = parse(found)
    if fit is None:
        sys.exit(
            f"{wheel.name}: auditwheel finds it fit only for {found}, not {expected} "
            f"(libraries outside the policy: {sorted(report.get('external_libs') or {})})"
        )
    for claimed in platforms:
        tag = parse(claimed)
        if tag is None or tag[0] != fit[0] or tag[2] != fit[2] or tag[1] < fit[1]:
            sys.exit(f"{wheel.name}: the name claims {claimed}, auditwheel finds {found}")
    return found


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    wheel, expected = Path(sys.argv[1]), sys.argv[2]
    print(f"{wheel.name}: auditwheel agrees ({check(wheel, expected)})")


if __name__ == "__main__":
    main()
