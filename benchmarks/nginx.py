"""The neutral server: Debian's nginx on 127.0.0.1 serving canned JSON over HTTP and HTTPS.

The configuration lives in a temporary directory (never the system's, never port 80). Every
request is logged with `$connection` and `$connection_requests`, so the connections a client
opened in a window of the log can be counted: a line with `$connection_requests == 1` is a
new connection.

`/refresh_slow` (when asked for) answers like `/refresh`, byte for byte, after a fixed delay:
a provider with a realistic latency. It needs the echo module (Debian's
`libnginx-mod-http-echo`, installed with apt-get when missing), whose `echo_sleep` is a timer:
nginx keeps serving other requests meanwhile.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import NamedTuple, Optional

import payloads

NGINX = "/usr/sbin/nginx"
SYSTEM_PID = "/run/nginx.pid"


SLOW_REFRESH = "/refresh_slow"
ECHO_PACKAGE = "libnginx-mod-http-echo"
ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"


def _apt_install(package: str) -> None:
    """Installs Debian's `package` with apt-get (as root, non-interactive); stops the system
    nginx again if the package started it."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"{package} is missing: install it (apt-get install {package})")
    print(f"installing {package} with apt-get ...", flush=True)
    had_system_nginx = os.path.exists(SYSTEM_PID)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "RUNLEVEL": "1"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", package], check=True, env=env, stdout=subprocess.DEVNULL
    )
    if not had_system_nginx and os.path.exists(SYSTEM_PID):
        # The package started the system service (no policy-rc.d here): stop what we caused.
        pid = int(Path(SYSTEM_PID).read_text().strip() or 0)
        if pid > 0:
            os.kill(pid, signal.SIGQUIT)


def ensure_installed() -> str:
    """The nginx binary; installs Debian's package with apt-get when it is missing."""
    found = shutil.which("nginx") or (NGINX if os.path.exists(NGINX) else None)
    if found:
        return found
    _apt_install("nginx")
    return shutil.which("nginx") or NGINX


def ensure_echo_module() -> str:
    """The echo module's shared object; installs Debian's package when it is missing."""
    if not os.path.exists(ECHO_MODULE):
        _apt_install(ECHO_PACKAGE)
    if not os.path.exists(ECHO_MODULE):
        raise SystemExit(f"{ECHO_PACKAGE} is installed but {ECHO_MODULE} is missing")
    return ECHO_MODULE


def version(binary: str) -> str:
    """`nginx/1.22.1`, as `nginx -v` prints it."""
    out = subprocess.run([binary, "-v"], capture_output=True, text=True)
    return (out.stderr or out.stdout).strip().split(": ", 1)[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _locations() -> str:
    blocks = []
    for path in payloads.ROUTES:
        text = payloads.body(path)
        if any(c in text for c in "'$\\"):
            raise ValueError(f"canned body of {path} cannot be quoted for nginx")
        blocks.append(
            f"        location = {path} {{\n"
            f"            default_type application/json;\n"
            f"            return 200 '{text}';\n"
            f"        }}\n"
        )
    return "".join(blocks)


def _slow_refresh(delay: float) -> str:
    """`/refresh`'s answer after `delay` seconds, any method (POST included): `echo_sleep` (a
    timer, not blocking the worker), then a jump to a named location with the same `return 200`
    as `/refresh`, so headers and body are the same (Content-Length, no chunks) and the log
    still shows `/refresh_slow` (a named location keeps the URI)."""
    return (
        f"        location = {SLOW_REFRESH} {{\n"
        f"            echo_sleep {delay:.3f};\n"
        f"            echo_exec @refresh_slow_answer;\n"
        f"        }}\n"
        f"        location @refresh_slow_answer {{\n"
        f"            default_type application/json;\n"
        f"            return 200 '{payloads.body('/refresh')}';\n"
        f"        }}\n"
    )


def config(
    directory: Path,
    certs: dict[str, str],
    http: int,
    https: int,
    http2: bool,
    refresh_delay: Optional[float] = None,
) -> str:
    """The whole nginx.conf: one worker, keep-alive on, canned JSON on both listeners; with
    `refresh_delay` (seconds), also `/refresh_slow` through the echo module."""
    h2 = " http2" if http2 else ""
    modules, slow = "", ""
    if refresh_delay is not None:
        modules = f"load_module {ensure_echo_module()};\n"
        slow = _slow_refresh(refresh_delay)
    return f"""
{modules}worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    log_format bench '$msec $connection $connection_requests $request_method $uri $status';
    access_log {directory}/access.log bench;
    client_body_temp_path {directory}/tmp-body;
    proxy_temp_path {directory}/tmp-proxy;
    fastcgi_temp_path {directory}/tmp-fastcgi;
    uwsgi_temp_path {directory}/tmp-uwsgi;
    scgi_temp_path {directory}/tmp-scgi;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    server_tokens off;
    server {{
        listen 127.0.0.1:{http} backlog=4096;
        listen 127.0.0.1:{https} ssl{h2} backlog=4096;
        ssl_certificate {certs["server.pem"]};
        ssl_certificate_key {certs["server.key"]};
{_locations()}{slow}        location / {{ return 404; }}
    }}
}}
"""


class LogLine(NamedTuple):
    connection: int
    connection_requests: int
    method: str
    uri: str
    status: int


class Nginx:
    """A running nginx of ours; `with Nginx(dir, certs) as server:` starts and stops it."""

    def __init__(
        self,
        directory: Path,
        certs: dict[str, str],
        http2: bool = False,
        refresh_delay: Optional[float] = None,
    ) -> None:
        self.binary = ensure_installed()
        self.directory = directory
        self.http_port, self.https_port = free_port(), free_port()
        self.conf = directory / "nginx.conf"
        self.refresh_delay = refresh_delay
        self.conf.write_text(
            config(directory, certs, self.http_port, self.https_port, http2, refresh_delay)
        )
        self.access_log = str(directory / "access.log")
        self.process: Optional[subprocess.Popen[bytes]] = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def start(self) -> None:
        os.chmod(self.directory, 0o755)  # the worker (nobody) may need its temp paths
        cmd = [self.binary, "-p", str(self.directory), "-e", str(self.directory / "error.log")]
        subprocess.run([*cmd, "-t", "-q", "-c", str(self.conf)], check=True)
        self.process = subprocess.Popen([*cmd, "-c", str(self.conf)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("nginx exited at start") from None
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful: the workers finish and exit
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "Nginx":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_size(self) -> int:
        return os.path.getsize(self.access_log)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the master and its workers."""
        if self.process is None:
            return 0.0
        master, total = self.process.pid, 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry) == master or int(fields[1]) == master:  # fields[1]: the parent
                total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        return total / os.sysconf("SC_CLK_TCK")


def read_log(path: str, start: int, end: Optional[int] = None) -> list[LogLine]:
    """The access log lines between byte offsets `start` and `end` (the end of file)."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read() if end is None else f.read(max(0, end - start))
    lines = []
    for raw in data.decode().splitlines():
        parts = raw.split()
        if len(parts) == 6:
            _, conn, reqs, method, uri, status = parts
            lines.append(LogLine(int(conn), int(reqs), method, uri, int(status)))
    return lines


def connection_stats(lines: list[LogLine]) -> dict[str, int]:
    """Requests, new connections and non-200 answers in a window of the log."""
    return {
        "requests": len(lines),
        "new_connections": sum(1 for line in lines if line.connection_requests == 1),
        "non_200": sum(1 for line in lines if line.status != 200),
    }
