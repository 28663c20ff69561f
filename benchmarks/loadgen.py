"""Runs a login coroutine on N concurrent lanes, bounded in count and in time, and measures it."""

import asyncio
import os
import resource
import time
from typing import Any, Awaitable, Callable, Optional

Login = Callable[[], Awaitable[object]]


def percentile(values: list[float], q: float) -> Optional[float]:
    """The `q` quantile (0..1) of `values`, nearest rank; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def drive(login: Login, concurrency: int, count: int, seconds: float) -> dict[str, Any]:
    """Up to `count` logins on `concurrency` lanes; no lane starts one after `seconds`.

    Returns logins/s, p50/p99 latency (ms), CPU per login (ms) of the whole process (every
    thread: `time.process_time()`) and of the event loop's thread alone, context switches of
    the process per login, its thread count, the number of errors and the first error's text.
    """
    latencies: list[float] = []
    errors: list[str] = []
    issued = 0
    deadline = time.perf_counter() + seconds

    async def lane() -> None:
        nonlocal issued
        while issued < count and time.perf_counter() < deadline:
            issued += 1
            started = time.perf_counter()
            try:
                await login()
            except Exception as e:  # every failure counts; the first one is reported
                errors.append(f"{type(e).__name__}: {e}")
            else:
                latencies.append(time.perf_counter() - started)

    switches, loop_cpu = context_switches(), time.thread_time()
    cpu_start, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_start
    loop_cpu, switches = time.thread_time() - loop_cpu, context_switches() - switches
    done = len(latencies)
    return {
        "logins": done,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "seconds": elapsed,
        "logins_per_s": done / elapsed if elapsed > 0 else 0.0,
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "cpu_ms_per_login": cpu * 1000 / done if done else None,
        "loop_cpu_ms_per_login": loop_cpu * 1000 / done if done else None,
        "switches_per_login": switches / done if done else None,
        "threads": len(os.listdir("/proc/self/task")),
    }


def context_switches() -> int:
    """Voluntary and involuntary context switches of every thread of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_nvcsw + usage.ru_nivcsw


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else seconds * 1000
