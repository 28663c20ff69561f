"""The processes of the Flask tests: a real `redis-server` and a real gunicorn with 3 workers.

Both bind 127.0.0.1 only, log to a file in their own temporary directory, wait for readiness
in bounded loops and are stopped (then killed if they must be) by `stop()`.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import httpx
import redis

TESTS = Path(__file__).resolve().parents[1]
EXAMPLES = TESTS.parent / "examples" / "flask"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
HTTP_TIMEOUT = 10.0


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    check: Callable[[], bool], what: str, timeout: float, log: Optional[Path] = None
) -> None:
    """Calls `check()` until it is true, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
    raise RuntimeError(f"{what} did not happen within {timeout} s\n{tail}")


def wait_or_kill(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Waits `timeout` seconds for a process asked to stop, then kills it."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def wait_until_answering(url: str, log: Path) -> None:
    """Waits (30 s at most) until the app at `url` answers `GET /` with 200."""

    def answering() -> bool:
        try:
            return httpx.get(url + "/", timeout=HTTP_TIMEOUT).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(answering, "the app answering GET /", 30, log)


class RedisServer:
    """`redis-server` on a loopback port, without automatic persistence (`--save ""`,
    `--appendonly no`), in its own directory. `stop(save=True)` shuts it down the way an
    operator restarts Redis (`SHUTDOWN SAVE`), so `start()` brings the data back."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="flask-redis-"))
        self.port = free_port()
        self.process: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> "redis.Redis[bytes]":
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        log = (self.dir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--daemonize",
                "no",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        client = self.client()

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError((self.dir / "redis.log").read_text(errors="replace"))
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(ready, "redis-server answering PING", 10, self.dir / "redis.log")

    def stop(self, save: bool = False) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if save:
            with contextlib.suppress(redis.ConnectionError):  # it closes as it exits
                self.client().shutdown(save=True)
        else:
            process.terminate()
        wait_or_kill(process, 10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class GunicornApp:
    """An app module (`flask_apps.github_wsgi:app`) under gunicorn: 3 workers with 4 threads
    each on a free loopback port, with `env` added to the environment."""

    def __init__(self, app: str, env: dict[str, str], workers: int = 3) -> None:
        self.app = app
        self.env = env
        self.workers = workers
        self.dir = Path(tempfile.mkdtemp(prefix="flask-gunicorn-"))
        self.log = self.dir / "gunicorn.log"
        self.url = ""
        self.process: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> None:
        env = {**os.environ, **self.env}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    "4",
                    "--bind",
                    "127.0.0.1:0",
                    "--no-control-socket",
                    "--graceful-timeout",
                    "5",
                    "--timeout",
                    "60",
                    "--pythonpath",
                    f"{TESTS},{EXAMPLES}",
                    "--chdir",
                    str(self.dir),
                    self.app,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        port: list[int] = []

        def listening() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text(errors='replace')}")
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.read_log())
            if found:
                port.append(int(found.group(1)))
            return bool(port) and len(self.worker_pids()) >= self.workers

        wait_for(listening, "gunicorn listening with all workers", 30, self.log)
        self.url = f"http://127.0.0.1:{port[0]}"
        wait_until_answering(self.url, self.log)

    def read_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def worker_pids(self) -> set[int]:
        """The pids of the workers booted so far."""
        return {int(p) for p in re.findall(r"Booting worker with pid: (\d+)", self.read_log())}

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGINT)  # quick shutdown; nothing here needs a graceful one
        wait_or_kill(process, 15)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
