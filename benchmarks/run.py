"""The benchmark of issue 8 in one command: `python benchmarks/run.py [--quick] [--only ...]`.

Starts nginx on 127.0.0.1 (installing Debian's package if needed), builds the Rust ceiling,
runs the chosen scenarios and writes results.json, BENCHMARKS.md and logins_per_second.png
next to this file. Stops nginx and removes its temporary directory at the end.
"""

import argparse
import json
import os
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ceiling
import machine
import nginx
import report
import scenarios
import targets
from harness import Bench

HERE = Path(__file__).resolve().parent
SECTIONS = ["tls", "logins", "storm", "imports", "memory", "crypto", "probe", "profile", "soak"]
NOTES = [
    "nginx 1 worker, HTTP/1.1 on both listeners (`--http2` offers h2 on HTTPS), keep-alive "
    "300 s and 1,000,000 requests per connection, `return 200` of canned JSON for every path.",
    "`SSL_CERT_FILE` is the system trust store plus the throw-away CA (ECDSA P-256), for "
    "every peer: a client that builds a TLS context per connection pays what it pays in "
    "production.",
    "Authlib and httpx use httpx's default pool (100 connections, 20 kept alive) unless "
    "`--httpx-pool N` is given: httpx 0.28's pool costs grow with the number of connections, "
    "so a pool of 50 is slower at concurrency 50 than the defaults, and a pool of 10 is up to "
    "1.5x faster (try `--only logins --httpx-pool 10`).",
    "A cell's nginx CPU per request is in results.json (`server_cpu_ms_per_request`); the "
    "client and nginx share the 2 cores, so a client's CPU per login bounds its logins/s.",
    "flet.auth over plain HTTP runs with `OAUTHLIB_INSECURE_TRANSPORT=1`; its GitHub provider "
    "gets the server through `GITHUB_API_BASE_URL` and `token_endpoint`.",
    "The storm's provider with a latency: `/refresh_slow`, `echo_sleep` of nginx's echo module "
    "(Debian's libnginx-mod-http-echo; a timer, the worker keeps serving), then the same "
    "`return 200` as `/refresh` (same headers and body, Content-Length, keep-alive).",
    "Authlib shared: one `AsyncOAuth2Client`, `fetch_token` then `get(user_endpoint)` with "
    "the client's token (the fastest way, not one a multi-user app could use).",
]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="one short round of everything")
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {SECTIONS}")
    p.add_argument("--peers", default=",".join(scenarios.PEERS), help="login peers to run")
    p.add_argument("--rounds", type=int, help="login rounds (median of them)")
    p.add_argument("--seconds", type=float, help="measured seconds per login cell")
    p.add_argument("--soak-logins", type=int, help="logins of the soak")
    p.add_argument(
        "--storm-delay-ms",
        type=float,
        help="latency of the slow storm's provider (default 50; 0: only the zero-latency storm)",
    )
    p.add_argument("--httpx-pool", type=int, help="pool size of the httpx-based peers")
    p.add_argument("--http2", action="store_true", help="offer HTTP/2 on the HTTPS listener")
    p.add_argument("--output", default=str(HERE / "results.json"), help="report goes next to it")
    return p.parse_args()


def main() -> None:
    # nginx and the temporary directory are cleaned up on Ctrl-C and on `kill` alike.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_args()
    cfg = scenarios.Config.quick() if args.quick else scenarios.Config()
    if args.rounds:
        cfg.rounds = cfg.storm_rounds = args.rounds
    if args.seconds:
        cfg.seconds = args.seconds
    if args.httpx_pool:
        cfg.httpx_pool = args.httpx_pool
    if args.soak_logins:
        cfg.soak_logins = args.soak_logins
    if args.storm_delay_ms is not None:
        cfg.storm_delay_ms = args.storm_delay_ms
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    started = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)

    binary = ceiling.build() if {"tls", "logins"} & set(only) else ""
    results: dict[str, Any] = {}
    slow = "storm" in only and cfg.storm_delay_ms > 0  # the echo module, only when needed
    with Bench(
        http2=args.http2, refresh_delay=cfg.storm_delay_ms / 1000 if slow else None
    ) as bench:
        log(f"nginx on {bench.server.http_url} and {bench.server.https_url}")
        load: dict[str, list[float]] = {}
        for section in only:
            load[section] = [round(x, 2) for x in os.getloadavg()]
            log(f"{section} ... (load average {load[section][0]:.2f})")
            if section == "tls":
                results["tls"] = scenarios.tls_check(bench, binary, peers)
            elif section == "logins":
                results["logins"] = scenarios.logins(bench, cfg, binary, peers, log)
            elif section == "storm":
                results["storm"] = scenarios.storm(bench, cfg, log)
            elif section == "imports":
                results["imports"] = scenarios.imports(cfg, log)
            elif section == "memory":
                results["memory"] = scenarios.memory(bench, cfg, log)
            elif section == "crypto":
                results["crypto"] = scenarios.crypto(bench, cfg, log)
            elif section == "probe":
                results["probe"] = scenarios.probe(bench, cfg, log)
            elif section == "profile":
                results["profile"] = scenarios.profile(bench, cfg, log)
            elif section == "soak":
                results["soak"] = scenarios.soak(bench, cfg, log)
        server_version = nginx.version(bench.server.binary)
    meta = machine.describe(server_version)
    meta.update(
        mode="quick" if args.quick else "full",
        http2=args.http2,
        duration_s=time.monotonic() - started,
        load_average_at_start_of=load,
        config=", ".join(f"{k}={v}" for k, v in asdict(cfg).items()),
    )
    results = {"meta": meta, **results, "notes": NOTES}
    results["targets"] = targets.evaluate(results)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=1) + "\n")
    report.write(results, Path(args.output).resolve().parent)
    for t in results["targets"]:
        status = {True: "MET   ", False: "MISSED", None: "SHOWN "}[t["met"]]
        print(f"{status} {t['target']}: {t['measured']}")
    log(f"wrote {args.output} and, next to it, BENCHMARKS.md and logins_per_second.png")


if __name__ == "__main__":
    main()
