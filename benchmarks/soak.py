"""The soak: many logins with our service in one process; RSS and open file descriptors.

The first 5% of the logins are the warm-up; samples are taken after it and after every
further tenth, so the growth is measured from a warm process.
"""

import os
import time
from typing import Any

from loadgen import drive
from memory import rss_kib
from peers import Ours


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def sample(logins: int, seconds: float) -> dict[str, Any]:
    threads = len(os.listdir("/proc/self/task"))
    return {
        "logins": logins,
        "rss_kib": rss_kib(),
        "fds": open_fds(),
        "threads": threads,
        "s": seconds,
    }


async def run(base: str, logins: int, concurrency: int, seconds: float) -> dict[str, Any]:
    peer = Ours(base, "login", concurrency)
    deadline = time.monotonic() + seconds
    warmup = max(concurrency, logins // 20)
    first = await drive(peer.login, concurrency, warmup, seconds)
    done, errors, samples = first["logins"], first["errors"], []
    first_error = first["first_error"]
    started = time.monotonic()
    samples.append(sample(done, 0.0))
    step = max(1, (logins - warmup) // 10)
    while done + errors < logins and time.monotonic() < deadline:
        part = await drive(
            peer.login, concurrency, min(step, logins - done - errors), deadline - time.monotonic()
        )
        done, errors = done + part["logins"], errors + part["errors"]
        first_error = first_error or part["first_error"]
        samples.append(sample(done, time.monotonic() - started))
    start, end = samples[0], samples[-1]
    middle = min(samples, key=lambda s: abs(s["logins"] - (start["logins"] + end["logins"]) / 2))
    elapsed = end["s"] or 1e-9
    return {
        "target_logins": logins,
        "logins": done,
        "errors": errors,
        "first_error": first_error,
        "logins_per_s": (end["logins"] - start["logins"]) / elapsed,
        "start": start,
        "middle": middle,
        "end": end,
        "rss_growth": (end["rss_kib"] - start["rss_kib"]) / start["rss_kib"],
        "fd_change": end["fds"] - start["fds"],
        "samples": samples,
    }
