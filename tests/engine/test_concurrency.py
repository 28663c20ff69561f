"""Many callers, threads, event loops and processes sharing the engine."""

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import login, login_sync
from flet_auth import AuthorizationService, OAuthToken
from flet_auth.testing import MockOAuthServer


async def test_100_concurrent_get_token_on_an_expired_token_make_one_refresh(
    server: MockOAuthServer,
) -> None:
    service = await login(server)
    token = await service.get_token()
    assert token is not None
    old = token.access_token
    token.expires_at = 0
    server.fail("token", delay=0.2)  # keep the refresh in flight while everyone asks
    tokens = await asyncio.gather(*(service.get_token() for _ in range(100)))
    assert server.count("token.refresh_token") == 1
    assert {t.access_token for t in tokens if t is not None} == {tokens[0].access_token}
    assert tokens[0].access_token != old


def test_concurrent_sync_callers_in_threads_share_one_refresh(server: MockOAuthServer) -> None:
    service = login_sync(server)
    token = service.get_token_sync()
    assert token is not None
    token.expires_at = 0
    server.fail("token", delay=0.2)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            t = service.get_token_sync()
            assert t is not None
            results.append(t.access_token)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors
    assert len(results) == 8 and len(set(results)) == 1
    assert server.count("token.refresh_token") == 1


def test_8_threads_log_in_at_once_with_sync_methods(server: MockOAuthServer) -> None:
    users: list[str] = []
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            service = login_sync(server, user=name)
            assert service.user is not None
            users.append(service.user["preferred_username"])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(["alice", "bob"][i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors
    assert sorted(users) == ["alice"] * 4 + ["bob"] * 4
    assert server.count("token.authorization_code") == 8


def test_services_work_on_several_event_loops_at_once(server: MockOAuthServer) -> None:
    service = login_sync(server)
    found: list[str] = []

    def run_loop() -> None:
        async def main() -> None:
            for _ in range(5):
                t = await service.get_token()
                assert t is not None
                found.append(t.access_token)

        asyncio.run(main())

    threads = [threading.Thread(target=run_loop) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(found) == 20


async def test_cancelling_the_awaiting_task_cancels_the_request(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), True, False)
    url, _ = service.get_authorization_data()
    code = server.authorize(url)["code"]
    server.fail("token", delay=30)
    task = asyncio.ensure_future(service.request_token(code))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 1
    # the engine is free for other work at once
    server.clear_faults()
    other = await login(server)
    assert other.user is not None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_logs_in(server: MockOAuthServer) -> None:
    login_sync(server)  # the parent's engine is running before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a new engine must be built here
        code = 1
        try:
            service = login_sync(server, user="bob")
            token = service.get_token_sync()
            ok = service.user is not None and service.user.id == "1002" and token is not None
            code = 0 if ok else 2
        finally:
            os.write(write, bytes([code]))
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"\x00"
    assert os.waitstatus_to_exitcode(status) == 0
    # and the parent still works
    assert login_sync(server).user is not None


def test_hook_sees_each_refreshed_token_once_under_concurrency(server: MockOAuthServer) -> None:
    seen: list[str] = []
    service = login_sync(server, on_token_update=lambda t: seen.append(t.access_token))
    token = service.get_token_sync()
    assert token is not None
    token.expires_at = 0
    server.fail("token", delay=0.2)

    async def many() -> list[OAuthToken | None]:
        return await asyncio.gather(*(service.get_token() for _ in range(20)))

    results = asyncio.run(many())
    assert len(seen) == 2
    assert all(r is not None and r.access_token == seen[1] for r in results)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_logs_in_with_the_async_api(server: MockOAuthServer) -> None:
    asyncio.run(login(server))  # the parent's loop channel exists before the fork
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            service = asyncio.run(login(server, user="bob"))
            code = 0 if service.user is not None and service.user.id == "1002" else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert asyncio.run(login(server)).user is not None


EXIT_WITH_WORK_IN_FLIGHT = """
import asyncio, logging, sys, threading, time
from flet_auth import AuthorizationService
from flet_auth.testing import MockOAuthServer

logging.basicConfig(level=logging.INFO, stream=sys.stdout)  # engine threads log to Python
server = MockOAuthServer().__enter__()
server.fail("token", delay=0.03, times=1000)
provider = server.provider()

async def hook(token):
    await asyncio.sleep(0)

def spin():  # another Python thread wants the GIL too
    deadline = time.monotonic() + 0.2
    while time.monotonic() < deadline:
        pass

async def main():
    threading.Thread(target=spin).start()
    for i in range(30):
        service = AuthorizationService(provider, True, False, on_token_update=hook)
        url, _ = service.get_authorization_data()
        code = server.authorize(url)["code"]
        asyncio.ensure_future(service.request_token(code))
        await asyncio.sleep(0.001 * (i % 3))

loop = asyncio.new_event_loop()
loop.run_until_complete(main())
# exit with requests, hooks and log records still in flight and the loop never closed
"""


def test_the_process_exits_cleanly_with_engine_work_in_flight(tmp_path: Path) -> None:
    script = tmp_path / "exit_in_flight.py"
    script.write_text(EXIT_WITH_WORK_IN_FLIGHT)
    for _ in range(8):
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Fatal Python error" not in done.stderr
        assert "panicked" not in done.stderr
