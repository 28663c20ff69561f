"""The scenarios of issue 8, each returning plain data for results.json.

Login cells run interleaved: round after round, every scenario, every peer (the order rotates
each round), one fresh process per cell; the summary is the median over rounds.
"""

import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import ceiling
import importtime_bench
import tls
from harness import Bench
from nginx import SLOW_REFRESH, read_log

OURS, FLET, CEILING = "flet-auth", "flet.auth", "rust-ceiling"
PEERS = [OURS, FLET, "authlib-shared", "authlib-per-login", "httpx-raw", CEILING]
LOGIN_SCENARIOS = [
    {"id": "http-c1", "scheme": "http", "concurrency": 1, "shape": "login"},
    {"id": "http-c50", "scheme": "http", "concurrency": 50, "shape": "login"},
    {"id": "https-c1", "scheme": "https", "concurrency": 1, "shape": "login"},
    {"id": "https-c50", "scheme": "https", "concurrency": 50, "shape": "login"},
    {"id": "github-https-c50", "scheme": "https", "concurrency": 50, "shape": "github"},
]
METRICS = [
    "logins_per_s",
    "p50_ms",
    "p99_ms",
    "cpu_ms_per_login",
    "new_conns_per_login",
    "requests_per_login",
    "loop_cpu_ms_per_login",
    "switches_per_login",
    "threads",
    "server_cpu_ms_per_request",
]
Log = Callable[[str], None]


@dataclass
class Config:
    """How long and how often; `quick()` is the smoke-test size."""

    rounds: int = 5
    seconds: float = 1.5
    warmup: float = 0.3
    max_logins: int = 200_000
    httpx_pool: int = 0
    storm_callers: int = 1000
    storm_rounds: int = 3
    storm_timeout: float = 90.0
    storm_delay_ms: float = 50.0
    memory_services: int = 10_000
    memory_rounds: int = 2
    import_repeats: int = 9
    crypto_rounds: int = 5
    crypto_seconds: float = 1.5
    probe_count: int = 3000
    profile_seconds: float = 6.0
    soak_logins: int = 100_000
    soak_seconds: float = 240.0

    @classmethod
    def quick(cls) -> "Config":
        return cls(
            rounds=1,
            seconds=1.0,
            storm_rounds=1,
            storm_timeout=30.0,
            memory_services=2_000,
            memory_rounds=1,
            import_repeats=3,
            crypto_rounds=2,
            crypto_seconds=0.7,
            probe_count=500,
            profile_seconds=2.0,
            soak_logins=10_000,
            soak_seconds=60.0,
        )


def _median(values: list[Any]) -> Optional[float]:
    present = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(present) if present else None


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of every metric over the rounds, the spread of logins/s, errors in all."""
    rates = [r["logins_per_s"] for r in runs if "logins_per_s" in r]
    summary: dict[str, Any] = {m: _median([r.get(m) for r in runs]) for m in METRICS}
    summary["rounds"] = len(rates)
    summary["logins_per_s_min"] = min(rates) if rates else None
    summary["logins_per_s_max"] = max(rates) if rates else None
    summary["logins"] = sum(r.get("logins", 0) for r in runs)
    summary["errors"] = sum(r.get("errors", 0) for r in runs) + sum(1 for r in runs if "error" in r)
    summary["crashed_at_exit"] = sum(1 for r in runs if r.get("exit_status"))
    errors = [r.get("first_error") or r.get("error") for r in runs]
    summary["first_error"] = next((e for e in errors if e), None)
    return summary


def logins(bench: Bench, cfg: Config, binary: str, peers: list[str], log: Log) -> dict[str, Any]:
    """The login matrix: every scenario x peer, `cfg.rounds` interleaved rounds."""
    cells: dict[str, dict[str, list[dict[str, Any]]]] = {
        s["id"]: {p: [] for p in peers} for s in LOGIN_SCENARIOS
    }
    for r in range(cfg.rounds):
        for i, scenario in enumerate(LOGIN_SCENARIOS):
            shift = (r + i) % len(peers)
            for peer in peers[shift:] + peers[:shift]:
                spec = {
                    "task": "login",
                    "peer": peer,
                    "base": bench.base(scenario["scheme"]),
                    "shape": scenario["shape"],
                    "concurrency": scenario["concurrency"],
                    "count": cfg.max_logins,
                    "seconds": cfg.seconds,
                    "warmup": cfg.warmup,
                    "httpx_pool": cfg.httpx_pool,
                }
                server_cpu, log_start = bench.server.cpu_seconds(), bench.server.log_size()
                if peer == CEILING:
                    result = ceiling.run(bench, binary, spec)
                else:
                    result = bench.worker(spec, timeout=cfg.seconds + 120)
                result.update(bench.connections(result))
                result["server_cpu_ms_per_request"] = server_cpu_per_request(
                    bench, server_cpu, log_start
                )
                cells[scenario["id"]][peer].append(result)
                rate = result.get("logins_per_s")
                shown = f"{rate:9.1f} logins/s" if rate is not None else result.get("error", "?")
                if result.get("exit_status"):
                    shown += f" (then died at exit, status {result['exit_status']})"
                log(f"  round {r + 1} {scenario['id']:<17} {peer:<18} {shown}")
    summary = {
        sid: {p: summarize(runs) for p, runs in by_peer.items()} for sid, by_peer in cells.items()
    }
    return {"scenarios": LOGIN_SCENARIOS, "peers": peers, "summary": summary, "cells": cells}


def server_cpu_per_request(bench: Bench, cpu_start: float, log_start: int) -> Optional[float]:
    """nginx's CPU per request over a whole cell (warm-up included), in ms."""
    requests = len(read_log(bench.server.access_log, log_start))
    cpu = bench.server.cpu_seconds() - cpu_start
    return cpu * 1000 / requests if requests else None


def tls_check(bench: Bench, binary: str, peers: list[str]) -> dict[str, Any]:
    """One HTTPS login per peer trusting only the system store: every peer must refuse."""
    system = tls.system_bundle()
    checks: dict[str, Any] = {}
    for peer in peers:
        spec = {"task": "tls", "peer": peer, "base": bench.base("https"), "shape": "login"}
        if peer == CEILING:
            run = {"concurrency": 1, "count": 1, "seconds": 10, **spec}
            out = ceiling.run(bench, binary, run, cert_file=system)
            result = {"ok": out.get("logins") == 1, "error": out.get("first_error")}
        else:
            result = bench.worker(spec, timeout=60, cert_file=system)
        checks[peer] = {
            "refused_without_ca": result.get("ok") is False,
            "error": (result.get("error") or "")[:200],
        }
    return checks


def storm(bench: Bench, cfg: Config, log: Log) -> dict[str, Any]:
    """The refresh storm for ours, flet.auth (first round only: it is slow) and Authlib, at two
    latencies, interleaved: a provider answering a refresh after `cfg.storm_delay_ms`
    (`/refresh_slow`, under "slow") and nginx answering at once (`/refresh`, at the top level,
    where earlier results.json files have it). `storm_delay_ms <= 0` skips the slow one."""
    latencies = [(SLOW_REFRESH, cfg.storm_delay_ms)] if cfg.storm_delay_ms > 0 else []
    latencies.append(("/refresh", 0.0))
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        path: {OURS: [], FLET: [], "authlib-shared": []} for path, _ in latencies
    }
    for r in range(cfg.storm_rounds):
        for i, (path, delay) in enumerate(latencies):
            peers = list(runs[path])
            shift = (r + i) % len(peers)
            for peer in peers[shift:] + peers[:shift]:
                if peer == FLET and r > 0:
                    continue
                spec = {
                    "task": "storm",
                    "peer": peer,
                    "base": bench.base("https"),
                    "token_path": path,
                    "callers": cfg.storm_callers,
                    "timeout": cfg.storm_timeout,
                }
                result = bench.worker(spec, timeout=cfg.storm_timeout + 120)
                runs[path][peer].append(result)
                shown = _brief(
                    result,
                    "refresh_requests",
                    "one_refresh_ms",
                    "all_answered_ms",
                    "ratio_to_one_refresh",
                    "valid_token_calls_ms",
                    "asyncio_floor_ms",
                )
                log(f"  round {r + 1} storm {f'{delay:g} ms':<6} {peer:<16} {shown}")
    fast = runs["/refresh"]
    out: dict[str, Any] = {
        "callers": cfg.storm_callers,
        "summary": {peer: _storm_summary(results) for peer, results in fast.items()},
        "runs": fast,
    }
    if SLOW_REFRESH in runs:
        slow = runs[SLOW_REFRESH]
        out["slow"] = {
            "delay_ms": cfg.storm_delay_ms,
            "token_path": SLOW_REFRESH,
            "summary": {peer: _storm_summary(results) for peer, results in slow.items()},
            "runs": slow,
        }
    return out


def _storm_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over a peer's storm rounds; the worst round's refresh requests."""
    keys = ["refresh_requests", "all_answered_ms", "one_refresh_ms", "ratio_to_one_refresh"]
    summary: dict[str, Any] = {k: _median([x.get(k) for x in results]) for k in keys}
    for key in ("valid_token_calls_ms", "asyncio_floor_ms"):
        summary[key] = _median([x.get(key) for x in results])
    summary["max_refresh_requests"] = max(
        (x.get("refresh_requests", 0) for x in results), default=None
    )
    summary["all_fresh"] = all(x.get("all_fresh") for x in results)
    summary["timed_out"] = any(x.get("timed_out") or "error" in x for x in results)
    return summary


def memory(bench: Bench, cfg: Config, log: Log) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {OURS: [], FLET: [], "secrets-only": []}
    for _ in range(cfg.memory_rounds):
        for peer in runs:
            spec = {
                "task": "memory",
                "peer": peer,
                "base": bench.base("https"),
                "count": cfg.memory_services,
            }
            runs[peer].append(bench.worker(spec))
            log(f"  memory {peer:<10} {_brief(runs[peer][-1], 'bytes_per_service')}")
    summary = {
        p: {"bytes_per_service": _median([x.get("bytes_per_service") for x in r])}
        for p, r in runs.items()
    }
    return {"services": cfg.memory_services, "summary": summary, "runs": runs}


def imports(cfg: Config, log: Log) -> dict[str, Any]:
    result = importtime_bench.run(cfg.import_repeats)
    for name, r in result.items():
        log(f"  import {name:<10} {r['median_ms']:.1f} ms")
    return result


def crypto(bench: Bench, cfg: Config, log: Log) -> dict[str, Any]:
    spec = {"task": "crypto", "rounds": cfg.crypto_rounds, "seconds": cfg.crypto_seconds}
    result = bench.worker(spec)
    log(f"  crypto {result}")
    return result


def probe(bench: Bench, cfg: Config, log: Log) -> dict[str, Any]:
    """flet-auth's login taken apart (see probes.py), over HTTPS."""
    result = bench.worker({"task": "probe", "base": bench.base("https"), "count": cfg.probe_count})
    log(f"  probe {_brief(result, 'error')}" if "error" in result else "  probe done")
    return result


def profile(bench: Bench, cfg: Config, log: Log) -> dict[str, Any]:
    """perf profile of flet-auth at HTTPS concurrency 50 (see profiling.py)."""
    import profiling

    spec = {"peer": OURS, "base": bench.base("https"), "shape": "login", "concurrency": 50}
    result = profiling.capture(bench, {**spec, "seconds": cfg.profile_seconds})
    log(f"  profile {_brief(result, 'samples', 'error')}")
    return result


def soak(bench: Bench, cfg: Config, log: Log) -> dict[str, Any]:
    spec = {
        "task": "soak",
        "base": bench.base("https"),
        "count": cfg.soak_logins,
        "concurrency": 50,
        "seconds": cfg.soak_seconds,
    }
    started = time.monotonic()
    result = bench.worker(spec, timeout=cfg.soak_seconds + 120)
    result["wall_s"] = time.monotonic() - started
    log(f"  soak {_brief(result, 'logins', 'errors', 'rss_growth', 'fd_change')}")
    return result


def _brief(result: dict[str, Any], *keys: str) -> str:
    if "error" in result:
        return f"ERROR {result['error'][-300:]}"
    return " ".join(f"{k}={result.get(k)!r:.12}" for k in keys)
