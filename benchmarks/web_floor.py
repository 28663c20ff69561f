"""Where FastAPI's share of the web benchmark goes: the no-auth ceiling of web_bench.py with
one piece of a login added at a time (web_floor_app.py), each under uvicorn --workers 3 and
wrk at concurrency 50, interleaved rounds; each round's ratio to the ceiling, and their
median. It shows what
any login built as issue 15 asks (a dependency, a cookie read by a middleware) costs before
it does any work.

    python benchmarks/web_floor.py [--seconds 3] [--rounds 10]

Writes web_floor_results.json; report.py puts it into BENCHMARKS.md with the web section.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from asgi_apps.processes import UvicornApp  # noqa: E402
from web_bench import app_env, bench_servers, interleaved, log_in, median, parse_args  # noqa: E402

STEPS = ("none", "depends", "middleware", "cookie", "login")
"""The apps of web_floor_app.py (`FLOOR_STEP`), in the order each adds a piece."""


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args = parse_args(parser, argv, seconds=3, rounds=10)
    started = time.time()
    load_at_start = os.getloadavg()[0]
    cookies: dict[str, str] = {}
    with bench_servers() as (server, redis_server, apps):
        for step in STEPS:
            apps[step] = UvicornApp(
                "web_floor_app:app", app_env(server, redis_server, FLOOR_STEP=step)
            )
            apps[step].start()
            signed_in = step in ("cookie", "login")
            cookies[step] = log_in(apps[step], "ours", server) if signed_in else ""
        runs = interleaved(apps, cookies, args.seconds, args.rounds, args.connections)
    rps = {step: median([r["rps"] for r in runs[step]]) for step in runs}
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg()[0],
        "args": vars(args),
        "runs": runs,
        "rps": rps,
        "vs_ceiling": {  # each round's ratio, then their median: the machine's speed drifts
            step: median([r["rps"] / c["rps"] for r, c in zip(runs[step], runs["none"])])
            for step in runs
        },
    }
    (HERE / "web_floor_results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({"rps": rps, "vs_ceiling": results["vs_ceiling"]}, indent=2))


if __name__ == "__main__":
    main()
