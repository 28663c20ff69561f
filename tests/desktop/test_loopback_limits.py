"""The loopback listener against another process of the same machine: one listening on the
IPv6 loopback at the app's `localhost` port, one holding connections open to starve it, and
connections left half-sent (issue 13, items 7 and 8). Real sockets on 127.0.0.1 and ::1."""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from desktop_browser import get
from flet_auth import TransportError
from flet_auth._core import LoopbackListener

LOOPBACK = "http://127.0.0.1:0/callback"
HALF_OPEN = 1100
"""Connections the other process holds: more than a default limit of 1,024 descriptors."""


def connect(port: int, host: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection((host, port), timeout=10)


def answer_of(sock: socket.socket) -> bytes:
    """Everything the listener sends until it closes the connection (a reset counts as
    closed); a listener that never closes it fails the read after 10 s."""
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def ipv4_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture
def ipv6_squatter() -> Iterator[int]:
    """Another socket listening on [::1]:PORT, 127.0.0.1:PORT left free; yields PORT."""
    for _ in range(20):
        squatter = socket.socket(socket.AF_INET6)
        squatter.bind(("::1", 0))
        squatter.listen()
        port: int = squatter.getsockname()[1]
        if ipv4_free(port):
            break
        squatter.close()
    else:
        pytest.fail("no port free on 127.0.0.1 next to one on ::1")
    with squatter:
        yield port


# --- item 7: `localhost` listens on both loopback addresses


def test_localhost_listener_refuses_to_start_when_the_ipv6_loopback_port_is_taken(
    ipv6_squatter: int,
) -> None:
    with pytest.raises(TransportError, match=r"\[::1\]"):
        LoopbackListener(f"http://localhost:{ipv6_squatter}/callback")


async def test_localhost_redirect_through_the_ipv6_loopback_is_delivered() -> None:
    listener = LoopbackListener("http://localhost:0/callback")
    try:
        waiting = listener.wait("the state", timeout=30)
        url = f"http://[::1]:{listener.port}/callback?code=the+code&state=the+state"
        status, _ = await asyncio.to_thread(get, url)
        assert status == 200
        assert await waiting == {"code": "the code", "state": "the state"}
    finally:
        listener.close()


# --- item 8: limits a local process cannot exhaust


def test_a_connection_that_sends_half_a_request_line_is_closed_after_the_header_timeout() -> None:
    listener = LoopbackListener(LOOPBACK, _header_timeout=0.5)
    try:
        with connect(listener.port) as sock:
            sock.sendall(b"GET /callb")
            assert answer_of(sock) == b""
    finally:
        listener.close()


LOCAL_PROCESS = f"""
import resource, selectors, socket, sys, time, urllib.request
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held, connecting = [], selectors.DefaultSelector()
for _ in range({HALF_OPEN}):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", int(sys.argv[1])))
    held.append(s)
    connecting.register(s, selectors.EVENT_WRITE)
deadline = time.monotonic() + 10
while connecting.get_map() and time.monotonic() < deadline:
    for key, _ in connecting.select(deadline - time.monotonic()):
        connecting.unregister(key.fileobj)
print("ready", flush=True)
try:  # then the browser's redirect, from this process: the app may have no descriptor left
    print(urllib.request.urlopen(sys.stdin.readline().strip(), timeout=10).status, flush=True)
except OSError as e:
    print(repr(e), flush=True)
sys.stdin.read()
"""
"""Another local process: holds HALF_OPEN connections to the listener, sending nothing, then
sends the redirect URL it reads and prints the answer's status."""


@pytest.fixture
def descriptor_limit() -> Iterator[None]:
    """This process gets a soft limit a few hundred descriptors above what it has open, as a
    desktop app under the usual limit of 1,024 would."""
    resource = pytest.importorskip("resource", reason="POSIX descriptor limits")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    in_use = len(os.listdir("/dev/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(in_use + 300, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def test_the_redirect_gets_in_past_1100_half_open_connections_of_another_process(
    descriptor_limit: None,
) -> None:
    listener = LoopbackListener(LOOPBACK)
    local = subprocess.Popen(
        [sys.executable, "-c", LOCAL_PROCESS, str(listener.port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert local.stdin is not None and local.stdout is not None
    try:
        waiting = listener.wait("the state", timeout=60)
        assert await asyncio.to_thread(local.stdout.readline) == "ready\n"
        url = f"http://127.0.0.1:{listener.port}/callback?code=the+code&state=the+state"
        local.stdin.write(url + "\n")
        local.stdin.flush()
        assert await asyncio.to_thread(local.stdout.readline) == "200\n"
        assert await waiting == {"code": "the code", "state": "the state"}
    finally:
        listener.close()
        local.kill()
        local.communicate()


async def test_after_close_a_half_sent_connection_gets_no_answer_and_is_closed() -> None:
    listener = LoopbackListener(LOOPBACK)
    with connect(listener.port) as sock:
        sock.sendall(b"GET /callback?state=the+state")
        # Connections are accepted in order: once this one is answered, the first is in.
        assert (await asyncio.to_thread(get, f"http://127.0.0.1:{listener.port}/other"))[0] == 404
        listener.close()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert answer_of(sock) == b""


async def test_close_ends_a_wait_in_progress() -> None:
    listener = LoopbackListener(LOOPBACK)
    waiting = asyncio.ensure_future(listener.wait("the state", timeout=60))
    await asyncio.sleep(0)
    listener.close()
    with pytest.raises(TransportError, match="closed"):
        await asyncio.wait_for(waiting, 10)


async def test_the_port_is_free_again_when_close_returns_during_a_wait() -> None:
    first = LoopbackListener(LOOPBACK)
    waiting = asyncio.ensure_future(first.wait("the state", timeout=60))
    first.close()
    second = LoopbackListener(first.redirect_url)
    second.close()
    assert second.port == first.port
    with pytest.raises(TransportError):
        await waiting
