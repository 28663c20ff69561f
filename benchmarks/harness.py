"""The bench: a temporary directory, the throw-away CA, nginx, and the way to start workers.

Every worker and the Rust ceiling get `SSL_CERT_FILE` pointing at the bundle with the CA, so
each peer verifies the server's certificate the way it would in production.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import nginx
import tls

HERE = Path(__file__).resolve().parent
WORKER = HERE / "worker.py"


class Bench:
    """Owns the temporary directory and nginx; use it as a context manager."""

    def __init__(self, http2: bool = False, refresh_delay: Optional[float] = None) -> None:
        """`refresh_delay` (seconds): also serve `/refresh_slow`, answering after it."""
        self.directory = Path(tempfile.mkdtemp(prefix="flet-auth-bench-"))
        self.certs = tls.make_certificates(self.directory)
        self.server = nginx.Nginx(
            self.directory, self.certs, http2=http2, refresh_delay=refresh_delay
        )

    def __enter__(self) -> "Bench":
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def base(self, scheme: str) -> str:
        return self.server.https_url if scheme == "https" else self.server.http_url

    def env(self, cert_file: Optional[str] = None) -> dict[str, str]:
        """The environment of a client: the trust bundle, no proxy for loopback."""
        env = dict(os.environ)
        env["SSL_CERT_FILE"] = cert_file or self.certs["bundle.pem"]
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        env.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
        return env

    def worker(
        self, spec: dict[str, Any], timeout: float = 600, cert_file: Optional[str] = None
    ) -> dict[str, Any]:
        """Runs `worker.py` with `spec` in a fresh interpreter; its JSON result, or an error."""
        spec = {"log": self.server.access_log, **spec}
        return run_json(
            [sys.executable, str(WORKER), json.dumps(spec)], self.env(cert_file), timeout
        )

    def connections(self, result: dict[str, Any]) -> dict[str, Any]:
        """New connections and requests per login in the measured part of a run."""
        start, end = result.get("log_start"), result.get("log_end")
        logins = result.get("logins") or 0
        if start is None or end is None or not logins:
            return {}
        stats = nginx.connection_stats(nginx.read_log(self.server.access_log, start, end))
        return {
            "new_conns_per_login": stats["new_connections"] / logins,
            "requests_per_login": stats["requests"] / logins,
            "server_non_200": stats["non_200"],
        }


def run_json(cmd: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Runs `cmd` and parses the last line of its stdout as JSON."""
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = out.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        return {"error": (out.stderr.strip() or f"exit {out.returncode}")[-800:]}
    parsed: dict[str, Any] = json.loads(lines[-1])
    if out.returncode != 0:  # it measured, then died (at exit): keep both
        parsed["exit_status"] = out.returncode
        parsed["exit_stderr"] = out.stderr.strip()[-800:]
    return parsed
