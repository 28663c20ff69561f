"""Builds and runs the pure-Rust ceiling (`benchmarks/rust_ceiling`, its own Cargo project).

Its target directory is `$CEILING_TARGET_DIR`, else one in the user's cache, so the build
never locks the engine's target directory.
"""

import os
import subprocess
from pathlib import Path
from typing import Any

from harness import Bench, run_json

PROJECT = Path(__file__).resolve().parent / "rust_ceiling"


def target_dir() -> str:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.environ.get("CEILING_TARGET_DIR") or os.path.join(cache, "flet-auth", "ceiling")


def build() -> str:
    """`cargo build --release` of the ceiling; the binary's path."""
    env = {**os.environ, "CARGO_TARGET_DIR": target_dir()}
    manifest = str(PROJECT / "Cargo.toml")
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--manifest-path", manifest], check=True, env=env
    )
    return os.path.join(target_dir(), "release", "rust-ceiling")


def run(bench: Bench, binary: str, spec: dict[str, Any], cert_file: str = "") -> dict[str, Any]:
    """One ceiling run with the worker's login spec (base, shape, concurrency, count...)."""
    warmup = spec["concurrency"] * 2 if spec.get("warmup", 0) > 0 else 0
    cmd = [binary, spec["base"], str(spec["concurrency"]), str(spec["count"])]
    cmd += ["--seconds", str(spec["seconds"]), "--warmup", str(warmup)]
    cmd += ["--shape", spec["shape"], "--log", bench.server.access_log]
    return run_json(cmd, bench.env(cert_file or None), timeout=spec["seconds"] + 120)
