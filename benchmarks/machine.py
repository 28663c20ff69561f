"""What the numbers were measured on: machine, software versions, date, engine build."""

import datetime
import os
import platform
import subprocess
import sys
from importlib import metadata
from typing import Any, Optional


def _first(path: str, prefix: str) -> Optional[str]:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _os_release() -> Optional[str]:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return None


def _version(package: str) -> Optional[str]:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _output(cmd: list[str], cwd: Optional[str] = None) -> Optional[str]:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout or out.stderr).strip() or None


def describe(nginx_version: str) -> dict[str, Any]:
    """Machine, versions and date for the report header."""
    import flet_auth
    from flet_auth import _core

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commit = _output(["git", "rev-parse", "--short", "HEAD"], cwd=repo)
    dirty = _output(["git", "status", "--porcelain", "--", "src", "python"], cwd=repo)
    so_mtime = os.path.getmtime(_core.__file__)
    mem_kib = _first("/proc/meminfo", "MemTotal")
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor(),
        "cores": os.cpu_count(),
        "memory": mem_kib,
        "kernel": platform.release(),
        "os": _os_release() or platform.platform(),
        "python": sys.version.split()[0],
        "flet_auth": flet_auth.__version__,
        "engine_build": datetime.datetime.fromtimestamp(so_mtime).strftime("%Y-%m-%d %H:%M"),
        "repo_commit": (commit or "?") + (" + uncommitted engine changes" if dirty else ""),
        "flet": _version("flet"),
        "authlib": _version("authlib"),
        "httpx": _version("httpx"),
        "oauthlib": _version("oauthlib"),
        "cryptography": _version("cryptography"),
        "nginx": nginx_version,
        "rustc": _output(["rustc", "--version"]),
    }
