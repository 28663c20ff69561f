"""Flet's desktop runtime without its Flutter window, for tests.

`DesktopClient` starts Flet's own desktop transport the way `ft.run(main)` does for a native
window (`flet.app.__run_socket_server`: a `FletSocketServer` on a Unix socket, Flet's
`Session` and `Page`, `main(page)` run by Flet), connects to it and speaks Flet's wire
protocol as the Flutter desktop client does: it registers the page (`web=False`, a
`platform`), answers every invoke-method call (`launch_url`, `to_front`, ...) and records
what it was sent. `SystemBrowser` plays the browser that `launch_url` opens: consent at the
bundled provider, then the redirect to the app's loopback listener.
"""

import asyncio
import contextlib
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Awaitable
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qs, urlencode, urlsplit

import flet as ft
import flet.app
import msgpack
from flet.messaging.protocol import MessageAction, decode_ext_from_msgpack

from flet_auth.testing import MockOAuthServer

Main = Callable[[ft.Page], Union[Awaitable[None], None]]

_run_socket_server = getattr(flet.app, "__run_socket_server")  # what ft.run(main) calls


class Call:
    """One invoke-method call the client received."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.control_id: int = body["control_id"]
        self.call_id: str = body["call_id"]
        self.name: str = body["name"]
        self.args: dict[str, Any] = body.get("args") or {}

    def __repr__(self) -> str:
        return f"Call({self.name!r})"


class DesktopClient:
    """The Flutter desktop client of one Flet app session, played over Flet's socket."""

    def __init__(self, platform: str = "linux", hold: tuple[str, ...] = ()) -> None:
        self.platform = platform
        self.hold = set(hold)  # methods left unanswered until `answer()`
        self.calls: list[Call] = []
        self.patches: list[Any] = []
        self.crashes: list[str] = []
        self.on_launch_url: Optional[Callable[[str], None]] = None
        self._changed = asyncio.Condition()
        self._page: Optional[ft.Page] = None
        self._conn: Any = None
        self._writer: Optional[asyncio.StreamWriter] = None
        self._reading: Optional[asyncio.Task[None]] = None

    async def start(self, main: Optional[Main] = None) -> ft.Page:
        """Runs `main` in a new Flet desktop session and returns its page."""

        async def run_main(page: ft.Page) -> None:
            if main is not None:
                result = main(page)
                if result is not None:
                    await result
            self._page = page
            async with self._changed:
                self._changed.notify_all()

        self._conn = await _run_socket_server(0, run_main)
        reader, self._writer = await asyncio.open_unix_connection(self._conn.page_url)
        self._reading = asyncio.create_task(self._read(reader))
        page_props = {"route": "/", "web": False, "platform": self.platform}
        self._send(
            MessageAction.REGISTER_CLIENT, {"session_id": None, "page_name": "", "page": page_props}
        )
        await self.wait_until(lambda: self._page is not None)
        assert self._page is not None
        return self._page

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading
        if self._conn is not None:
            await self._conn.close()
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._conn.page_url)  # the Unix socket

    def named(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.name == name]

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 60) -> None:
        """Waits until `condition()` holds, checking whenever the client receives something
        and every 50 ms (for conditions on things outside the session)."""
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._changed:
            while not condition():
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    raise AssertionError(f"still not true after {timeout} s: {condition}")
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(left, 0.05))

    def click(self, control: ft.Control) -> None:
        """What the client sends when the user clicks `control`."""
        self._send(
            MessageAction.CONTROL_EVENT, {"target": control._i, "name": "click", "data": None}
        )

    def answer(self, call: Call, result: Any = None) -> None:
        self._send(
            MessageAction.INVOKE_METHOD,
            {
                "control_id": call.control_id,
                "call_id": call.call_id,
                "result": result,
                "error": None,
            },
        )

    def shown(self, text: str) -> bool:
        """Whether the client was sent `text` (in a new control or in a changed property)."""

        def walk(node: Any) -> bool:
            if isinstance(node, str):
                return text in node
            if isinstance(node, dict):
                return any(walk(v) for v in node.values())
            if isinstance(node, list):
                return any(walk(v) for v in node)
            return False

        return walk(self.patches)

    def kind_of(self, control_id: int) -> Optional[str]:
        """The type (`_c`) of the control with `control_id`, as the client was sent it."""
        return next((c["_c"] for c in self._controls() if c.get("_i") == control_id), None)

    def _controls(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if "_c" in node:
                    found.append(node)
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.patches)
        return found

    def _send(self, action: MessageAction, body: Any) -> None:
        assert self._writer is not None
        packet = b"\x00" + msgpack.packb([action.value, body])
        self._writer.write(len(packet).to_bytes(4, "little") + packet)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                header = await reader.readexactly(4)
                packet = await reader.readexactly(int.from_bytes(header, "little"))
            except asyncio.IncompleteReadError:
                return
            if packet[:1] != b"\x00":
                continue
            action, body = msgpack.unpackb(
                packet[1:], ext_hook=decode_ext_from_msgpack, strict_map_key=False
            )
            self._receive(MessageAction(action), body)
            async with self._changed:
                self._changed.notify_all()

    def _receive(self, action: MessageAction, body: Any) -> None:
        if action == MessageAction.INVOKE_METHOD:
            call = Call(body)
            self.calls.append(call)
            if call.name == "launch_url" and self.on_launch_url is not None:
                self.on_launch_url(call.args["url"])
            if call.name not in self.hold:
                self.answer(call)
        elif action in (MessageAction.REGISTER_CLIENT, MessageAction.PATCH_CONTROL):
            self.patches.append(body)
        elif action == MessageAction.SESSION_CRASHED:
            self.crashes.append(body["message"])


class SystemBrowser:
    """The browser `launch_url` opens: consents at the provider as `user` (or denies), then
    follows the redirect to the app's listener, each visit on a thread of its own."""

    def __init__(self, server: MockOAuthServer, user: str = "alice", approve: bool = True) -> None:
        self.server, self.user, self.approve = server, user, approve
        self.opened: list[str] = []
        self.pages: list[tuple[int, str]] = []
        self.visits: list[tuple[threading.Thread, asyncio.Future[None]]] = []

    def __call__(self, url: str) -> None:
        """Opens `url`; called on the event loop, as the client's `launch_url`."""
        self.opened.append(url)
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        visit = threading.Thread(target=self._visit, args=(url, loop, done), name="browser")
        self.visits.append((visit, done))
        visit.start()

    async def finished(self) -> list[tuple[int, str]]:
        """The pages the browser showed, once every visit is over (its thread ended)."""
        for visit, done in self.visits:
            await asyncio.wait_for(done, 60)
            visit.join()
        return self.pages

    def _visit(
        self, url: str, loop: asyncio.AbstractEventLoop, done: "asyncio.Future[None]"
    ) -> None:
        try:
            query = self.server.authorize(url, user=self.user, approve=self.approve)
            self.pages.append(get(f"{redirect_uri_of(url)}?{urlencode(query)}"))
        finally:
            loop.call_soon_threadsafe(done.set_result, None)


def redirect_uri_of(authorization_url: str) -> str:
    return parse_qs(urlsplit(authorization_url).query)["redirect_uri"][0]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def listening_sockets() -> set[int]:
    """The inodes of this process's TCP sockets in the LISTEN state (Linux /proc)."""
    mine: set[int] = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                mine.add(int(target[8:-1]))
    listening: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[9]) in mine:  # 0A: TCP_LISTEN
                    listening.add(int(fields[9]))
    return listening
