"""Writes BENCHMARKS.md and logins_per_second.png from results.json, next to it.

    python benchmarks/report.py [benchmarks/results.json]

run.py calls `write` at the end of a run; this re-renders an earlier run, judging its targets
again with targets.py (what an older results.json lacks is "not measured").
"""

import collections
import json
import sys
from pathlib import Path
from typing import Any, Optional

from targets import DEFAULT_STORM_DELAY_MS, NOT_MEASURED, evaluate

HERE = Path(__file__).resolve().parent
OURS = "flet-auth"

HEADER = """# Benchmarks: flet-auth against flet.auth, Authlib, httpx and a pure-Rust ceiling

```sh
python benchmarks/run.py             # everything, about 10 minutes; --quick: about 3 minutes
python benchmarks/run.py --only logins,storm --rounds 3      # chosen sections
python benchmarks/profiling.py       # perf profile of flet-auth's logins, by thread and kind
```

Sections: tls, logins, storm, imports, memory, crypto, probe, profile, soak (`--help` for
the rest). Needs Python 3 with `flet==1.0.5 authlib httpx matplotlib` and flet-auth installed
(`maturin build --release`, then `pip install` the wheel), the Rust toolchain (the ceiling in
`rust_ceiling/` is built with its own `CARGO_TARGET_DIR`, `$CEILING_TARGET_DIR` or the user's
cache), Debian's nginx and, for the storm, its echo module `libnginx-mod-http-echo` (both
installed with apt-get when missing, as root) and, for the profile, Debian's linux-perf.
Everything runs on 127.0.0.1: nginx, configured in a temporary directory,
serves canned JSON over HTTP and HTTPS with a throw-away CA, handed to every peer through
`SSL_CERT_FILE` together with the system roots; every peer verifies it (see "TLS"). Each cell
runs in a fresh process; rounds are interleaved and tables show medians. The machine is
shared and small, so absolute numbers move by +-25% between runs: read the ratios.
`results.json` has every round; `python benchmarks/report.py` re-renders this file from it.
"""


def _f(value: Optional[float], spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def _mark(target: dict[str, Any]) -> str:
    if target.get("not_measured"):
        return NOT_MEASURED
    if target["met"] is None and target["goal"] == "-":
        return "not judged"
    return {True: "met", False: "**missed**", None: "inconclusive"}[target["met"]]


def meta_table(meta: dict[str, Any]) -> str:
    rows = [
        ("Date", meta["date"]),
        ("Machine", f"{meta['cpu']}, {meta['cores']} cores, {meta['memory']}"),
        ("OS", f"{meta['os']}, Linux {meta['kernel']}"),
        (
            "flet-auth",
            f"{meta['flet_auth']} (engine built {meta['engine_build']}, repo "
            f"{meta['repo_commit']})",
        ),
        (
            "Peers",
            f"flet {meta['flet']} (oauthlib {meta['oauthlib']}), Authlib "
            f"{meta['authlib']}, httpx {meta['httpx']}, ceiling: reqwest 0.12 + tokio",
        ),
        ("Python / Rust", f"{meta['python']} / {meta['rustc']}"),
        ("Server", meta["nginx"]),
        ("Run", f"{meta['mode']}, {meta['duration_s'] / 60:.1f} min, {meta['config']}"),
        (
            "Load average",
            ", ".join(
                f"{k} {v[0]:.1f}" for k, v in meta.get("load_average_at_start_of", {}).items()
            )
            + " (at the start of each section; 2 cores)",
        ),
    ]
    return "| | |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows)


def targets_table(targets: list[dict[str, Any]]) -> str:
    lines = ["| Target | Goal | Measured | |", "|---|---|---|---|"]
    for t in targets:
        lines.append(f"| {t['target']} | {t['goal']} | {t['measured']} | {_mark(t)} |")
    return "\n".join(lines) + "\n"


def login_tables(logins: dict[str, Any]) -> str:
    out = []
    for scenario in logins["scenarios"]:
        cells = logins["summary"][scenario["id"]]
        ours = cells.get(OURS, {}).get("logins_per_s")
        out.append(
            f"\n**{scenario['id']}** ({scenario['shape']}, {scenario['scheme'].upper()}, "
            f"concurrency {scenario['concurrency']})\n"
        )
        out.append(
            "| Peer | logins/s (rounds' range) | ours / peer | p50 ms | p99 ms | "
            "CPU ms/login (loop thread) | new conns/login | ctx switches/login | errors |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for peer, c in cells.items():
            rate = c["logins_per_s"]
            ratio = f"{ours / rate:.2f}x" if ours and rate else "-"
            spread = (
                f" ({_f(c['logins_per_s_min'], '.0f')}-{_f(c['logins_per_s_max'], '.0f')})"
                if c["rounds"] > 1
                else ""
            )
            out.append(
                f"| {peer} | {_f(rate)}{spread} | {ratio} | {_f(c['p50_ms'], '.2f')} | "
                f"{_f(c['p99_ms'], '.2f')} | {_f(c['cpu_ms_per_login'], '.2f')} "
                f"({_f(c.get('loop_cpu_ms_per_login'), '.2f')}) | "
                f"{_f(c['new_conns_per_login'], '.3f')} | "
                f"{_f(c.get('switches_per_login'), '.1f')} | {c['errors']} |"
            )
    crashes = collections.Counter()
    for by_peer in logins["cells"].values():
        for peer, runs in by_peer.items():
            crashes[peer] += sum(1 for r in runs if r.get("exit_status"))
    for peer, n in crashes.items():
        if n:
            runs = sum(len(by_peer[peer]) for by_peer in logins["cells"].values())
            example = next(
                r["exit_stderr"].splitlines()[0]
                for by_peer in logins["cells"].values()
                for r in by_peer[peer]
                if r.get("exit_status")
            )
            out.append(
                f"\n**{peer}: {n} of {runs} worker processes died at interpreter exit, after "
                f"measuring** (their numbers are kept): `{example}`"
            )
    return "\n".join(out) + "\n"


def _storm_rows(summary: dict[str, Any], callers: int) -> list[str]:
    lines = [
        "| Peer | refresh requests | all answered ms | one refresh ms | ratio | "
        f"{callers:,} calls, valid token, ms | asyncio floor ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for peer, s in summary.items():
        timed_out = " (timed out)" if s["timed_out"] else ""
        lines.append(
            f"| {peer} | {_f(s['refresh_requests'], '.0f')}{timed_out} | "
            f"{_f(s['all_answered_ms'], '.1f')} | {_f(s['one_refresh_ms'], '.2f')} | "
            f"{_f(s['ratio_to_one_refresh'], '.1f')}x | {_f(s['valid_token_calls_ms'], '.1f')} | "
            f"{_f(s.get('asyncio_floor_ms'), '.1f')} |"
        )
    return lines


def storm_table(storm: dict[str, Any]) -> str:
    """The storm against a provider with a latency (judged), then against nginx answering at
    once (shown with the asyncio floor); results.json from before the first has no "slow"."""
    callers = storm["callers"]
    slow = storm.get("slow")
    delay = slow["delay_ms"] if slow else DEFAULT_STORM_DELAY_MS
    lines = [
        f"{callers:,} concurrent `get_token()` on one expired token, HTTPS. The asyncio "
        "floor: the same number of tasks answered by one shared future, in the same process.\n",
        f"**Provider answering a refresh in {delay:g} ms** (`/refresh_slow`; the target is "
        "judged here)" + ("\n" if slow else f": {NOT_MEASURED}.\n"),
    ]
    if slow:
        lines += [*_storm_rows(slow["summary"], callers), ""]
    fast = storm["summary"]
    ours = fast.get(OURS) or next(iter(fast.values()), {})
    one, floor = ours.get("one_refresh_ms"), ours.get("asyncio_floor_ms")
    below = one is not None and floor is not None and 2 * one < floor
    lines += [
        "**nginx answering at once** (`/refresh`, zero latency; not judged): one refresh takes "
        f"{_f(one, '.2f')} ms"
        + (", so 2x one refresh is below" if below else "; compare with")
        + f" the asyncio floor ({_f(floor, '.1f')} ms for {callers:,} tasks), which no asyncio "
        "library can beat: read this table against the floor.\n",
        *_storm_rows(fast, callers),
    ]
    return "\n".join(lines) + "\n"


def other_tables(results: dict[str, Any]) -> str:
    out = []
    if "imports" in results:
        out.append("\n### Import time (`python -X importtime`, fresh process, median)\n")
        out.append("| Statement | median ms | largest parts (cumulative ms) |\n|---|---:|---|")
        for r in results["imports"].values():
            parts = ", ".join(
                f"{p['module']} {p['cumulative_ms']:.1f}" for p in r["largest_parts"][:6]
            )
            out.append(f"| `{r['statement']}` | {r['median_ms']:.1f} | {parts} |")
    if "probe" in results and "error" not in results["probe"]:
        out.append("\n### Where a flet-auth login's time goes (HTTPS, one at a time)\n")
        out.append(
            "Each part alone, per operation: wall time, CPU of the process and of the "
            "event loop's thread, context switches of the process, threads alive after.\n"
        )
        out.append("| Operation | wall us | CPU us (loop thread) | ctx switches | threads |")
        out.append("|---|---:|---:|---:|---:|")
        for name, p in results["probe"].items():
            if not isinstance(p, dict):
                continue  # exit_status / exit_stderr of a worker that died at exit
            out.append(
                f"| {name} | {p['wall_us']:.1f} | {p['cpu_us']:.1f} ({p['loop_cpu_us']:.1f}) "
                f"| {p['switches']:.1f} | {p['threads']:.0f} |"
            )
    prof = results.get("profile")
    if prof and "shares" in prof:
        r = prof["result"]
        out.append("\n### Where flet-auth's CPU goes at HTTPS concurrency 50 (perf)\n")
        out.append(
            f"`perf record -e cpu-clock -g` of one login cell ({r['logins_per_s']:.0f} logins/s, "
            f"{r['cpu_ms_per_login']:.2f} ms CPU per login, {prof['samples']:,} samples), "
            "by thread and kind, in % of all the process's samples (`python "
            "benchmarks/profiling.py` prints the same):\n"
        )
        out.append("| Thread | Kind | % |\n|---|---|---:|")
        for group, kinds in prof["shares"].items():
            out.append(f"| **{group}** | all | **{sum(kinds.values()):.1f}** |")
            for name, share in kinds.items():
                if share >= 1.0:
                    out.append(f"| | {name} | {share:.1f} |")
    if "memory" in results:
        m = results["memory"]
        out.append(f"\n### Memory: {m['services']:,} live services, each with its token (RSS)\n")
        out.append("| Peer | bytes per service |\n|---|---:|")
        for peer, s in m["summary"].items():
            out.append(f"| {peer} | {_f(s['bytes_per_service'], '.0f')} |")
        if "secrets-only" in m["summary"]:
            out.append(
                "\n`secrets-only` is not a library: per service, only its access and refresh "
                "token as Python strings (40 and 68 characters), the least anything holding the "
                "tokens needs. A third of flet.auth's figure leaves little more than that."
            )
    crypto = results.get("crypto")
    if crypto and "encrypt" in crypto:
        out.append("\n### Crypto (PBKDF2 600,000 rounds per call)\n")
        out.append("| | flet-auth | flet.security | ratio |\n|---|---:|---:|---:|")
        for op in ("encrypt", "decrypt"):
            c = crypto[op]
            out.append(f"| {op} ms | {c['ours_ms']:.1f} | {c['flet_ms']:.1f} | {c['ratio']:.2f}x |")
        to, tf = crypto["threads_ours"], crypto["threads_flet"]
        out.append(
            f"| encrypt, 2 threads / 1 thread (median of trials) | {to['scaling']:.2f}x | "
            f"{tf['scaling']:.2f}x | |"
        )
        out.append(f"| ... best trial | {to['best_scaling']:.2f}x | {tf['best_scaling']:.2f}x | |")
        out.append(
            f"| CPUs the 2 threads got (median) | {to['cpus_used_by_two']:.2f} | "
            f"{tf['cpus_used_by_two']:.2f} | |"
        )
    soak = results.get("soak")
    if soak and "samples" in soak:
        out.append(
            f"\n### Soak: {soak['logins']:,} logins with flet-auth (HTTPS, concurrency 50)\n"
        )
        out.append(f"{soak['logins_per_s']:.0f} logins/s, {soak['errors']} errors.\n")
        out.append("| logins | s | RSS MiB | open fds | threads |\n|---:|---:|---:|---:|---:|")
        for s in soak["samples"]:
            out.append(
                f"| {s['logins']:,} | {s['s']:.0f} | {s['rss_kib'] / 1024:.1f} | {s['fds']} | "
                f"{s.get('threads', '-')} |"
            )
    if "tls" in results:
        out.append("\n### TLS\n")
        out.append(
            "Every peer, given a trust store without the throw-away CA, must refuse the "
            "server (so with the CA, it really verified it):\n"
        )
        out.append("| Peer | refused without the CA | error |\n|---|---|---|")
        for peer, t in results["tls"].items():
            out.append(
                f"| {peer} | {'yes' if t['refused_without_ca'] else '**NO**'} | "
                f"{t['error'][:110].replace('|', '/')} |"
            )
    return "\n".join(out) + "\n"


def died_at_exit(node: Any) -> list[str]:
    """First stderr line of every worker result in `node` whose process died at exit."""
    if isinstance(node, dict):
        found = [node["exit_stderr"].split("\n")[0]] if node.get("exit_status") else []
        return found + [x for v in node.values() for x in died_at_exit(v)]
    if isinstance(node, list):
        return [x for v in node for x in died_at_exit(v)]
    return []


def chart(logins: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = [s["id"] for s in logins["scenarios"]]
    peers = logins["peers"]
    width = 0.8 / len(peers)
    fig, ax = plt.subplots(figsize=(11, 5.5))
    for i, peer in enumerate(peers):
        values = [logins["summary"][s][peer]["logins_per_s"] or 0 for s in scenarios]
        xs = [x + (i - (len(peers) - 1) / 2) * width for x in range(len(scenarios))]
        bars = ax.bar(xs, values, width, label=peer)
        for bar, v in zip(bars, values):
            ax.annotate(
                f"{v:.0f}",
                (bar.get_x() + bar.get_width() / 2, v),
                ha="center",
                va="bottom",
                fontsize=6,
                rotation=90,
                xytext=(0, 2),
                textcoords="offset points",
            )
    ax.set_yscale("log")
    top = max(logins["summary"][s][p]["logins_per_s"] or 1 for s in scenarios for p in peers)
    ax.set_ylim(top=top * 3)  # room for the labels
    ax.set_xticks(range(len(scenarios)), scenarios)
    ax.set_ylabel("logins per second (log scale, median of rounds)")
    ax.set_title("Logins per second against nginx on loopback (higher is better)")
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=len(peers), fontsize=9)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(results: dict[str, Any]) -> str:
    parts = [HEADER, "\n", meta_table(results["meta"])]
    if results.get("targets"):
        parts += ["\n## Targets of issue 8\n\n", targets_table(results["targets"])]
    if "logins" in results:
        parts += ["\n## Logins\n\n![logins per second](logins_per_second.png)\n"]
        parts += [
            "\nA login is the code exchange (POST) plus the user (GET); the GitHub shape adds "
            "`/user/emails` and `/user/teams`. Services get a new `AuthorizationService` per "
            "login. CPU is the whole client process (every thread) per login; new connections "
            "are counted in nginx's log (`$connection_requests == 1`). The numbers in brackets "
            "are the lowest and highest round.\n",
            login_tables(results["logins"]),
        ]
    if "storm" in results:
        parts += ["\n## Refresh storm\n\n", storm_table(results["storm"])]
    parts.append(other_tables(results))
    crashes = died_at_exit({k: v for k, v in results.items() if k != "meta"})
    if crashes:
        parts.append(
            f"\n**{len(crashes)} worker process(es) died at interpreter exit, after measuring, "
            f"in all sections** (numbers kept): `{crashes[0]}`\n"
        )
    if results.get("notes"):
        parts += ["\n## Notes\n\n", "".join(f"- {n}\n" for n in results["notes"])]
    return "".join(parts)


def write(results: dict[str, Any], directory: Path = HERE) -> None:
    """BENCHMARKS.md and logins_per_second.png in `directory` (with the web benchmark's
    section when its web_results.json is there, and web_floor.py's after it)."""
    text = render(results)
    web = directory / "web_results.json"
    if web.exists():
        from web_report import render_web

        text += render_web(json.loads(web.read_text()))
    floor = directory / "web_floor_results.json"
    if floor.exists():
        from web_report import render_floor

        text += render_floor(json.loads(floor.read_text()))
    (directory / "BENCHMARKS.md").write_text(text)
    if "logins" in results:
        chart(results["logins"], directory / "logins_per_second.png")


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results.json"
    loaded = json.loads(path.read_text())
    loaded["targets"] = evaluate(loaded)
    write(loaded, path.resolve().parent)
