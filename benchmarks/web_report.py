"""The section of BENCHMARKS.md for the web benchmark (web_bench.py), from web_results.json."""

from typing import Any

__all__ = ["render_floor", "render_web"]

LABELS = {
    "fastapi/ours": "FastAPI: flet_auth.starlette, Redis store",
    "fastapi/authlib": "FastAPI: Authlib's Starlette client (token in the session cookie)",
    "fastapi/none": "FastAPI: no auth (the ceiling)",
    "flask/ours": "Flask: flet_auth.flask, Redis store",
    "flask/authlib": "Flask: Authlib's Flask client (token in the session cookie)",
    "flask/none": "Flask: no auth (the ceiling)",
}
SERVERS = {"fastapi": "uvicorn --workers 3", "flask": "gunicorn, 3 workers x 4 threads"}


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def _targets(framework: str, s: dict[str, Any], paired: dict[str, float]) -> list[str]:
    ours, authlib, none = (s[f"{framework}/{k}"] for k in ("ours", "authlib", "none"))
    name = f"{framework} ({SERVERS[framework]})"

    def by_round(kind: str, percent: bool) -> str:
        ratio = paired.get(f"{framework}/{kind}")
        if ratio is None:
            return ""
        return f"; by round: {ratio:.0%}" if percent else f"; by round: {ratio:.2f}x"

    return [
        f"| {name}: req/s vs Authlib | >= 1.0x | {ours['rps']:.0f} vs {authlib['rps']:.0f}/s"
        f" = {ours['rps'] / authlib['rps']:.2f}x{by_round('authlib', False)} | "
        f"{_verdict(ours['rps'] >= authlib['rps'])} |",
        f"| {name}: req/s vs no auth | >= 80% | {ours['rps']:.0f} vs {none['rps']:.0f}/s = "
        f"{ours['rps'] / none['rps']:.0%}{by_round('none', True)} | "
        f"{_verdict(ours['rps'] >= 0.8 * none['rps'])} |",
        f"| {name}: p99 below Authlib's p50 | p99 < p50 | {ours['p99_ms']:.1f} vs "
        f"{authlib['p50_ms']:.1f} ms (no auth's p99: {none['p99_ms']:.1f} ms) | "
        f"{_verdict(ours['p99_ms'] < authlib['p50_ms'])} |",
    ]


def render_floor(floor: dict[str, Any]) -> str:
    """Markdown: web_floor.py's steps from the ceiling to our login, as ratios."""
    labels = {
        "none": "no auth (the ceiling)",
        "depends": "+ a dependency that does nothing",
        "middleware": "+ a pure ASGI middleware that does nothing",
        "cookie": "+ flet_auth's cookie middleware and routes instead (cookie sent, verified)",
        "login": "flet_auth: `Depends(auth.login_required)` + `get_token()`",
    }
    args = floor["args"]
    rows = ["| FastAPI endpoint, uvicorn 3 workers | req/s (median) | vs ceiling, by round |"]
    rows.append("|---|---|---|")
    for step, rps in floor["rps"].items():
        rows.append(f"| {labels.get(step, step)} | {rps:.0f} | {floor['vs_ceiling'][step]:.0%} |")
    return "".join(
        [
            "\n### What FastAPI's dependency and a middleware cost before any login work\n\n",
            f"`python benchmarks/web_floor.py --seconds {args['seconds']} --rounds "
            f"{args['rounds']}` ({floor['date']}, load average "
            f"{floor.get('load_average_at_start', 0):.1f} at the start): the ceiling's endpoint "
            "with one piece added at a time (web_floor_app.py), interleaved; each round's "
            "ratio to the ceiling in the same round, median of the rounds.\n\n",
            "\n".join(rows),
            "\n",
        ]
    )


def render_web(results: dict[str, Any]) -> str:
    """Markdown: the targets of issue 15, the table of the apps, the storm."""
    s = results["summary"]
    storm = results["storm"]
    args = results["args"]
    frameworks = [f for f in SERVERS if f"{f}/ours" in s]
    at_end = results.get("load_average_at_end")
    end = f" and {at_end:.1f} at the end" if at_end is not None else ""
    rows = ["| Target | Goal | Measured | |", "|---|---|---|---|"]
    for framework in frameworks:
        rows += _targets(framework, s, results.get("ours_vs_by_round", {}))
    rows += [
        f"| Refresh storm, {storm['requests']} requests, 3 uvicorn workers: refresh requests "
        f"| exactly 1 | {storm['refresh_requests']} | {_verdict(storm['refresh_requests'] == 1)} |",
        f"| ... all answered 200 | all | {storm['ok']} of {storm['requests']} "
        f"({storm['statuses']}), {storm['workers']} workers, {storm['ms'] / 1000:.1f} s | "
        f"{_verdict(storm['ok'] == storm['requests'])} |",
    ]
    table = [
        "| App | req/s | p50 ms | p99 ms | vs Authlib | vs no auth |",
        "|---|---|---|---|---|---|",
    ]
    for framework in frameworks:
        authlib, none = s[f"{framework}/authlib"], s[f"{framework}/none"]
        for kind in ("ours", "authlib", "none"):
            row = s[f"{framework}/{kind}"]
            table.append(
                f"| {LABELS[f'{framework}/{kind}']} | {row['rps']:.0f} | {row['p50_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {row['rps'] / authlib['rps']:.2f}x | "
                f"{row['rps'] / none['rps']:.0%} |"
            )
    return "".join(
        [
            "\n## Web logins: FastAPI and Flask with 3 workers (issue 15)\n\n",
            f"`python benchmarks/web_bench.py --seconds {args['seconds']} --rounds "
            f"{args['rounds']} --connections {args['connections']} --storm {args['storm']}` "
            f"({results['date']}; load average {results.get('load_average_at_start', 0):.1f} "
            f"at the start{end}, on 2 cores shared with other work: the six apps, wrk and "
            "the provider share them too). A protected endpoint that gets a usable token on "
            "every request, wrk with "
            f"{args['connections']} connections for {args['seconds']} s, {args['rounds']} "
            "interleaved rounds after a warm-up, medians. Ours keeps the login in Redis and "
            "serves a signed-in request from the worker's cache of it (no round trip while "
            "the token is not due; writes are announced to the other workers over Redis "
            "pub/sub); Authlib reads the token from the signed session cookie (no I/O), like "
            "the ceiling.\n\n",
            "\n".join(rows),
            "\n\n",
            "\n".join(table),
            "\n",
            "".join(f"\n- {note}" for note in results.get("notes", [])),
            "\n" if results.get("notes") else "",
        ]
    )
