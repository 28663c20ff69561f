"""Encrypt/decrypt against flet.security, 1 and 2 threads, with bench_crypto.py's helpers.

Thread scaling is measured in several short interleaved trials, each with the CPUs the
process actually got: on a shared machine a second thread often finds no free core, and
then its throughput says nothing about the GIL.
"""

import statistics
import time
from typing import Any, Callable

from bench_crypto import KEY, TEXT, flet_security, ours, throughput, timed


def _with_cpus(fn: Callable[[], object], threads: int, seconds: float) -> tuple[float, float]:
    """Throughput of `threads` threads and the CPUs the process got meanwhile."""
    cpu, started = time.process_time(), time.perf_counter()
    rate = throughput(fn, threads, seconds)
    return rate, (time.process_time() - cpu) / (time.perf_counter() - started)


def scaling(fn: Callable[[], object], trials: int, seconds: float) -> dict[str, Any]:
    """Median and best of 2-thread/1-thread throughput over `trials` trials."""
    ratios, cpus = [], []
    for _ in range(trials):
        one, _ = _with_cpus(fn, 1, seconds)
        two, got = _with_cpus(fn, 2, seconds)
        ratios.append(two / one)
        cpus.append(got)
    return {
        "scaling": statistics.median(ratios),
        "best_scaling": max(ratios),
        "cpus_used_by_two": statistics.median(cpus),
        "trials": [{"scaling": r, "cpus": c} for r, c in zip(ratios, cpus)],
    }


def run(rounds: int, seconds: float) -> dict[str, Any]:
    """Median times (interleaved), ours/flet ratios, and 2-thread/1-thread scaling."""
    ours_data, flet_data = ours.encrypt(TEXT, KEY), flet_security.encrypt(TEXT, KEY)
    cases = {
        "encrypt": (lambda: ours.encrypt(TEXT, KEY), lambda: flet_security.encrypt(TEXT, KEY)),
        "decrypt": (
            lambda: ours.decrypt(ours_data, KEY),
            lambda: flet_security.decrypt(flet_data, KEY),
        ),
    }
    result: dict[str, Any] = {}
    for name, (mine, theirs) in cases.items():
        a, b = [], []
        for _ in range(rounds):
            a.append(timed(mine))
            b.append(timed(theirs))
        ma, mb = statistics.median(a), statistics.median(b)
        result[name] = {"ours_ms": ma * 1000, "flet_ms": mb * 1000, "ratio": ma / mb}
    trials = max(3, rounds)
    result["threads_ours"] = scaling(cases["encrypt"][0], trials, seconds)
    result["threads_flet"] = scaling(cases["encrypt"][1], trials, seconds)
    return result
