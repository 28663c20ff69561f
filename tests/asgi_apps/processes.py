"""The FastAPI example apps under a real uvicorn with 3 worker processes, on a free loopback
port, logging to a file in their own temporary directory, stopped (then killed) by `stop()`."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

from flask_apps.processes import (
    TESTS,
    free_port,
    wait_for,
    wait_or_kill,
    wait_until_answering,
)

__all__ = ["UvicornApp"]


class UvicornApp:
    """An app (`asgi_apps.authgear_asgi:app`) under `uvicorn --workers 3`, with `env` added to
    the environment."""

    def __init__(self, app: str, env: dict[str, str], workers: int = 3) -> None:
        self.app = app
        self.env = env
        self.workers = workers
        self.dir = Path(tempfile.mkdtemp(prefix="uvicorn-"))
        self.log = self.dir / "uvicorn.log"
        self.url = ""
        self.process: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> None:
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(TESTS), **self.env}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--workers",
                    str(self.workers),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-access-log",
                    "--timeout-graceful-shutdown",
                    "5",
                    self.app,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.dir,
            )

        def started() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited:\n{self.read_log()}")
            return self.read_log().count("Application startup complete.") >= self.workers

        wait_for(started, "uvicorn with all workers started", 60, self.log)
        self.url = f"http://127.0.0.1:{port}"
        wait_until_answering(self.url, self.log)

    def read_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def worker_pids(self) -> set[int]:
        """The pids of the workers started so far."""
        return {int(p) for p in re.findall(r"Started server process \[(\d+)\]", self.read_log())}

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGINT)
        wait_or_kill(process, 20)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
