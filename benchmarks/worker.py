"""One measurement in a fresh process: `python worker.py '<json spec>'` prints a JSON result.

The runner starts a worker per cell so that every peer has the process to itself: its CPU
time, RSS and file descriptors are its own. Tasks: login, storm, memory, soak, crypto, probe, tls.
"""

import asyncio
import json
import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peers
from loadgen import drive
from peers import PEERS


async def login(spec: dict[str, Any]) -> dict[str, Any]:
    """Warm-up (two logins per lane, time-capped), then the measured logins, with the log
    offsets around the measured part."""
    peer = PEERS[spec["peer"]](spec["base"], spec["shape"], spec["concurrency"])
    try:
        if spec["warmup"] > 0:
            await drive(peer.login, spec["concurrency"], 2 * spec["concurrency"], spec["warmup"])
        log_start = os.path.getsize(spec["log"])
        result = await drive(peer.login, spec["concurrency"], spec["count"], spec["seconds"])
        return {**result, "log_start": log_start, "log_end": os.path.getsize(spec["log"])}
    finally:
        await peer.aclose()


async def tls(spec: dict[str, Any]) -> dict[str, Any]:
    """One login; the runner calls it with and without the CA to prove verification."""
    peer = PEERS[spec["peer"]](spec["base"], spec["shape"], 1)
    try:
        await peer.login()
        return {"ok": True, "error": None}
    except Exception as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"[:300]}
    finally:
        await peer.aclose()


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    task = spec["task"]
    peers.HTTPX_POOL = spec.get("httpx_pool", 0)
    if task == "login":
        return await login(spec)
    if task == "tls":
        return await tls(spec)
    if task == "storm":
        import storm

        return await storm.run(
            spec["peer"],
            spec["base"],
            spec["log"],
            spec["callers"],
            spec["timeout"],
            spec.get("token_path", "/refresh"),
        )
    if task == "memory":
        import memory

        return await memory.run(spec["peer"], spec["base"], spec["count"])
    if task == "soak":
        import soak

        return await soak.run(spec["base"], spec["count"], spec["concurrency"], spec["seconds"])
    if task == "probe":
        import probes

        return await probes.run(spec["base"], spec["count"])
    if task == "crypto":
        import crypto_bench

        return crypto_bench.run(spec["rounds"], spec["seconds"])
    raise SystemExit(f"unknown task {task!r}")


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
