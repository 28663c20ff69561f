"""Where flet-auth's CPU goes during logins: `perf record` of one worker, by thread and kind.

    python benchmarks/profiling.py [--peer flet-auth] [--scheme https] [--concurrency 50]

Also the `profile` section of run.py. Runs one login cell under `perf record -e cpu-clock
-g` (Debian's linux-perf; no hardware counters needed) against its own nginx when standalone,
and sorts every sample by thread (the asyncio loop's thread, the tokio workers, the threads
of tokio's blocking pool) and by kind (kernel futex/wake-ups, mmap/munmap, network, TLS,
HTTP, tokio, GIL, Python, malloc...). Rust frames have no frame pointers, so a sample is
classified by its leaf and its kernel stack.
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import WORKER, Bench

USER_KINDS = [
    ("GIL", r"take_gil|drop_gil|PyGILState|PyEval_RestoreThread|PyEval_SaveThread"),
    ("Python thread state (new per attach)", r"PyThreadState|_PyThreadState_Bump"),
    ("TLS (rustls, ring)", r"rustls|ring::|ring_core|aes_|gcm_|chacha|x25519|p256|ecp_nistz"),
    ("HTTP (hyper, reqwest, url)", r"hyper|reqwest|httparse|http::|h2::|url::|urlencoded"),
    ("tokio", r"tokio::"),
    ("pyo3 and the bridge", r"pyo3|generic::|flet_auth::runtime"),
    ("JSON", r"serde_json|flet_auth::json|PyJson"),
    ("flet_auth engine, other", r"flet_auth::"),
    ("malloc, free, memcpy", r"malloc|free|memmove|memcpy|memset|_int_|realloc|tcache"),
]
KERNEL_KINDS = [
    ("kernel: mmap/munmap, page faults", r"page_fault|mmap|munmap|madvise|mprotect|clone"),
    ("kernel: futex, sleep, wake-up", r"futex|schedule|finish_task_switch|try_to_wake_up"),
    ("kernel: epoll", r"epoll|ep_poll"),
    ("kernel: network and pipes", r"tcp|sock|inet|skb|ip_|pipe|sendto|recvfrom|writev|readv"),
]


def kind(frames: list[str]) -> str:
    leaf = frames[0] if frames else "?"
    if "[kernel" in leaf:
        chain = " ".join(frames)
        return next((k for k, p in KERNEL_KINDS if re.search(p, chain)), "kernel: other")
    user = " ".join(f for f in frames[:3] if "[kernel" not in f)
    for name, pattern in USER_KINDS:
        if re.search(pattern, leaf) or (
            name.startswith("Python thread") and re.search(pattern, user)
        ):
            return name
    if "libpython" in leaf:
        return "Python interpreter"
    if "libc" in leaf:
        return "libc, other (locks, syscall wrappers)"
    return "other"


def samples(path: str) -> list[tuple[str, int, list[str]]]:
    """(thread name, tid, frames leaf first) of every sample of `perf.data`."""
    out = subprocess.run(
        ["perf", "script", "-i", path, "-F", "comm,tid,ip,sym,dso"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = []
    for block in out.split("\n\n"):
        lines = [line.strip() for line in block.strip().splitlines()]
        head = lines[0].split() if lines else []
        if len(head) >= 2 and head[1].isdigit():
            frames = [line.split(" ", 1)[-1] for line in lines[1:]]
            found.append((head[0], int(head[1]), frames))
    return found


def table(found: list[tuple[str, int, list[str]]]) -> dict[str, dict[str, float]]:
    """Share of all samples, by thread group then kind."""
    per_tid = collections.Counter(tid for _, tid, _ in found)
    main = {tid for comm, tid, _ in found if comm.startswith("python")}
    engine = [t for t, _ in per_tid.most_common() if t not in main]
    workers = set(engine[:2])  # the runtime's two workers (2 cores) carry most samples

    def group(tid: int) -> str:
        if tid in main:
            return "asyncio loop thread"
        return "tokio workers" if tid in workers else "tokio blocking-pool threads"

    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for _, tid, frames in found:
        counts[group(tid)][kind(frames)] += 1
    total = len(found) or 1
    return {
        g: {k: n * 100 / total for k, n in c.most_common()}
        for g, c in sorted(counts.items(), key=lambda x: -sum(x[1].values()))
    }


def capture(bench: Bench, spec: dict[str, Any]) -> dict[str, Any]:
    """Runs the login cell `spec` under perf; its result and the shares of CPU samples."""
    if not shutil.which("perf"):
        return {"error": "perf is missing (Debian: apt-get install linux-perf)"}
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        spec = {"task": "login", "count": 10**9, "warmup": 0.5, **spec}
        spec["log"] = bench.server.access_log
        cmd = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g", "-o", data]
        run = subprocess.run(
            [*cmd, sys.executable, str(WORKER), json.dumps(spec)],
            env=bench.env(),
            capture_output=True,
            text=True,
        )
        lines = run.stdout.strip().splitlines()
        if run.returncode != 0 or not lines:
            return {"error": run.stderr.strip()[-500:]}
        found = samples(data)
    return {
        "spec": spec,
        "result": json.loads(lines[-1]),
        "samples": len(found),
        "shares": table(found),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--peer", default="flet-auth")
    p.add_argument("--scheme", default="https")
    p.add_argument("--shape", default="login")
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--seconds", type=float, default=8.0)
    args = p.parse_args()
    with Bench() as bench:
        spec = {
            "peer": args.peer,
            "base": bench.base(args.scheme),
            "shape": args.shape,
            "concurrency": args.concurrency,
            "seconds": args.seconds,
        }
        out = capture(bench, spec)
    if "error" in out:
        raise SystemExit(out["error"])
    r = out["result"]
    print(
        f"{args.peer} {args.scheme} c{args.concurrency}: {r['logins_per_s']:.0f} logins/s, "
        f"{r['cpu_ms_per_login']:.3f} ms CPU/login, {out['samples']} samples; share of all:"
    )
    for group, kinds in out["shares"].items():
        print(f"\n{group}: {sum(kinds.values()):.1f}%")
        for name, share in kinds.items():
            if share >= 0.5:
                print(f"  {share:5.1f}%  {name}")


if __name__ == "__main__":
    main()
