"""The section of BENCHMARKS.md for the web benchmark (web_bench.py), from web_results.json."""

from typing import Any

__all__ = ["render_web"]

LABELS = {
    "ours": "flet_auth.starlette, Redis store",
    "authlib": "Authlib's Starlette client (token in the session cookie)",
    "none": "no auth (the ceiling)",
}


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def render_web(results: dict[str, Any]) -> str:
    """Markdown: the targets of issue 15, the table of the three apps, the storm."""
    s = results["summary"]
    ours, authlib, none = s["ours"], s["authlib"], s["none"]
    storm = results["storm"]
    args = results["args"]
    rows = [
        "| Target | Goal | Measured | |",
        "|---|---|---|---|",
        f"| req/s vs Authlib's Starlette client | >= 1.0x | {ours['rps']:.0f} vs "
        f"{authlib['rps']:.0f}/s = {ours['rps'] / authlib['rps']:.2f}x | "
        f"{_verdict(ours['rps'] >= authlib['rps'])} |",
        f"| req/s vs no auth | >= 80% | {ours['rps']:.0f} vs {none['rps']:.0f}/s = "
        f"{ours['rps'] / none['rps']:.0%} | {_verdict(ours['rps'] >= 0.8 * none['rps'])} |",
        f"| p99 below Authlib's p50 | p99 < p50 | {ours['p99_ms']:.1f} vs "
        f"{authlib['p50_ms']:.1f} ms | {_verdict(ours['p99_ms'] < authlib['p50_ms'])} |",
        f"| Refresh storm, {storm['requests']} requests, 3 workers: refresh requests | exactly 1 "
        f"| {storm['refresh_requests']} | {_verdict(storm['refresh_requests'] == 1)} |",
        f"| ... all answered 200 | all | {storm['ok']} of {storm['requests']} "
        f"({storm['statuses']}), {storm['workers']} workers, {storm['ms'] / 1000:.1f} s | "
        f"{_verdict(storm['ok'] == storm['requests'])} |",
    ]
    table = [
        "| App | req/s | p50 ms | p99 ms | vs Authlib | vs no auth |",
        "|---|---|---|---|---|---|",
    ]
    for kind in ("ours", "authlib", "none"):
        row = s[kind]
        table.append(
            f"| {LABELS[kind]} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{row['rps'] / authlib['rps']:.2f}x | {row['rps'] / none['rps']:.0%} |"
        )
    return "".join(
        [
            "\n## Web logins: FastAPI under uvicorn --workers 3 (issue 15)\n\n",
            f"`python benchmarks/web_bench.py` ({results['date']}; load average "
            f"{results.get('load_average_at_start', 0):.1f} on 2 cores at the start: the "
            "machine was shared). A protected endpoint that gets a usable token on every "
            f"request, wrk with {args['connections']} connections for {args['seconds']} s, "
            f"{args['rounds']} interleaved rounds after a warm-up, medians. The Flask + gunicorn "
            "half of the issue's benchmark is not written yet.\n\n",
            "\n".join(rows),
            "\n\n",
            "\n".join(table),
            "\n",
        ]
    )
