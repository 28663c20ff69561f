"""The web benchmark of issue 15: a protected endpoint that gets a usable token on every
request, at concurrency 50 (wrk on loopback). FastAPI under uvicorn with 3 workers:
flet_auth.starlette with the Redis store vs Authlib's Starlette client (the token in the
session cookie) vs the same endpoint with no auth (the ceiling); Flask under gunicorn with 3
workers (4 threads each): flet_auth.flask vs Authlib's Flask client vs no auth. Then a
refresh storm of 1,000 concurrent requests with an expired token across the 3 uvicorn
workers.

    python benchmarks/web_bench.py [--seconds 5] [--rounds 6] [--connections 50]

Needs wrk (Debian's, `apt-get install wrk`), redis-server, Authlib, FastAPI and uvicorn.
The provider is the bundled one (flet_auth.testing): in steady state no endpoint asks it
anything, and in the storm it counts the refresh requests. Writes web_results.json; report.py
puts its section into BENCHMARKS.md.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import httpx

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
sys.path.insert(0, str(TESTS))

from asgi_apps.processes import UvicornApp  # noqa: E402
from flask_apps.processes import GunicornApp, RedisServer  # noqa: E402
from flet_auth.testing import MockOAuthServer  # noqa: E402

KINDS = ("ours", "authlib", "none")
FRAMEWORKS = ("fastapi", "flask")
COOKIES = {"ours": "flet_auth", "authlib": "session", "none": ""}
JSON_ACCEPT = {"Accept": "application/json"}
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def settings(server: MockOAuthServer) -> dict[str, str]:
    return {
        "MOCK_CLIENT_ID": server.client_id,
        "MOCK_CLIENT_SECRET": server.client_secret,
        "MOCK_AUTHORIZE_URL": server.authorization_endpoint,
        "MOCK_ACCESS_TOKEN_URL": server.token_endpoint,
        "MOCK_USERINFO_ENDPOINT": server.userinfo_endpoint,
        "MOCK_CLIENT_KWARGS": '{"scope": "profile email"}',
    }


def log_in(app: Any, kind: str, server: MockOAuthServer, cookie: str = "") -> str:
    """The `Cookie` header of a browser logged in to `app` (empty for no auth); the login's
    cookie is `cookie` (default: the kind's under FastAPI)."""
    if kind == "none":
        return ""
    start_path, callback_path = (
        ("/login/mock", "/login/mock/callback") if kind == "ours" else ("/login", "/callback")
    )
    with httpx.Client(base_url=app.url, timeout=30) as client:
        start = client.get(start_path)
        assert start.status_code in (302, 307), start.text
        done = client.get(callback_path, params=server.authorize(start.headers["location"]))
        assert done.status_code in (200, 302), done.text
        name = cookie or COOKIES[kind]
        value = client.cookies[name]
        answer = client.get("/api/token", headers=JSON_ACCEPT)
        assert answer.status_code == 200, answer.text
    return f"{name}={value}"


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert found, text
    return float(found.group(1)) * _UNITS[found.group(2)]


def wrk(url: str, cookie: str, seconds: float, connections: int) -> dict[str, Any]:
    """One wrk run: requests/s, p50 and p99 latency (ms), errors."""
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "--latency",
        "-H",
        "Accept: application/json",
    ]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


async def storm(url: str, cookie: str, count: int) -> list[httpx.Response]:
    """`count` GETs released together, each on its own connection."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    headers = {**JSON_ACCEPT, "Cookie": cookie}
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        gate = asyncio.Event()

        async def one() -> httpx.Response:
            await gate.wait()
            return await client.get(url, headers=headers)

        tasks = [asyncio.ensure_future(one()) for _ in range(count)]
        await asyncio.sleep(0.2)
        gate.set()
        return list(await asyncio.gather(*tasks))


def interleaved(
    apps: dict[str, Any], cookies: dict[str, str], seconds: float, rounds: int, connections: int
) -> dict[str, list[dict[str, Any]]]:
    """A warm-up of each app (not counted: every worker reads a login), then `rounds` wrk
    runs of each on `GET /api/token`, interleaved so that a busy moment hits every app. Each
    round starts one app later than the one before, so that no app always runs at the same
    point of a round: this machine's speed drifts within a run (the ceiling's req/s varied
    from 9,700 to 15,200 in one run of web_floor.py)."""
    for name, app in apps.items():
        wrk(app.url + "/api/token", cookies[name], 1, connections)
    names = list(apps)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            url = apps[name].url + "/api/token"
            runs[name].append(wrk(url, cookies[name], seconds, connections))
    return runs


def parse_args(
    parser: argparse.ArgumentParser, argv: Optional[list[str]], *, seconds: int, rounds: int
) -> argparse.Namespace:
    """The options of a wrk benchmark (`--seconds`, `--rounds`, `--connections`) added to
    `parser` and parsed; exits when wrk is missing."""
    parser.add_argument("--seconds", type=int, default=seconds)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    return args


@contextlib.contextmanager
def bench_servers() -> Iterator[tuple[MockOAuthServer, RedisServer, dict[str, Any]]]:
    """The bundled provider, a redis-server and a dict to put the started apps in: all
    stopped on the way out."""
    server = MockOAuthServer()
    server.start()
    redis_server = RedisServer()
    redis_server.start()
    apps: dict[str, Any] = {}
    try:
        yield server, redis_server, apps
    finally:
        for app in apps.values():
            app.close()
        redis_server.close()
        server.stop()


def app_env(server: MockOAuthServer, redis_server: RedisServer, **extra: str) -> dict[str, str]:
    """The environment of a benchmark app: the provider's settings, the Redis store, `extra`."""
    return {
        **settings(server),
        "FLET_AUTH_STORE": redis_server.url,
        "PYTHONPATH": f"{TESTS}:{HERE}",
        **extra,
    }


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--storm", type=int, default=1000)
    args = parse_args(parser, argv, seconds=5, rounds=6)

    started = time.time()
    load_at_start = os.getloadavg()[0]
    with bench_servers() as (server, redis_server, apps):
        for framework in FRAMEWORKS:
            for kind in KINDS:
                env = app_env(server, redis_server, BENCH_KIND=kind)
                if framework == "fastapi":
                    app: Any = UvicornApp("web_fastapi:app_with_pid", env)
                else:
                    app = GunicornApp("web_flask:app", env)
                app.start()
                apps[f"{framework}/{kind}"] = app
        cookies = {
            name: log_in(app, name.split("/")[1], server, "session" if "flask" in name else "")
            for name, app in apps.items()
        }
        runs = interleaved(apps, cookies, args.seconds, args.rounds, args.connections)

        server.access_token_ttl = 63  # due 3 s after the login (60 s leeway)
        cookie = log_in(apps["fastapi/ours"], "ours", server)
        server.access_token_ttl = 3600
        time.sleep(3.5)
        server.reset_counts()
        t0 = time.perf_counter()
        answers = asyncio.run(storm(apps["fastapi/ours"].url + "/api/token", cookie, args.storm))
        storm_ms = (time.perf_counter() - t0) * 1000
        storm_result = {
            "requests": args.storm,
            "ok": sum(a.status_code == 200 for a in answers),
            "statuses": {
                str(code): sum(a.status_code == code for a in answers)
                for code in sorted({a.status_code for a in answers})
            },
            "refresh_requests": server.count("token.refresh_token"),
            "workers": len({a.headers.get("x-worker-pid") for a in answers}),
            "ms": storm_ms,
        }

    summary = {
        name: {
            "rps": median([r["rps"] for r in runs[name]]),
            "p50_ms": median([r["p50_ms"] for r in runs[name]]),
            "p99_ms": median([r["p99_ms"] for r in runs[name]]),
        }
        for name in runs
    }
    paired = {  # each round's ratio, then their median: the machine's speed drifts
        f"{framework}/{kind}": median(
            [
                ours["rps"] / other["rps"]
                for ours, other in zip(runs[f"{framework}/ours"], runs[f"{framework}/{kind}"])
            ]
        )
        for framework in FRAMEWORKS
        for kind in ("authlib", "none")
    }
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg()[0],
        "args": vars(args),
        "runs": runs,
        "summary": summary,
        "ours_vs_by_round": paired,
        "storm": storm_result,
    }
    (HERE / "web_results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(
        json.dumps(
            {"summary": summary, "ours_vs_by_round": paired, "storm": storm_result}, indent=2
        )
    )


if __name__ == "__main__":
    main()
