"""Import time in fresh interpreters, from `python -X importtime`, interleaved, median of N.

Only the imports of the measured statement count: the program writes a marker to stderr
first, so the interpreter's own start-up imports are left out. For the run closest to the
median, the modules imported one or two levels below the statement are kept with their cumulative
time, to show where the time goes.
"""

import statistics
import subprocess
import sys
from typing import Any, NamedTuple

STATEMENTS = {
    "flet_auth": "import flet_auth",
    "flet.auth": "import flet.auth.authorization_service",
}
MARK = "@@measure@@"


class Module(NamedTuple):
    name: str
    depth: int  # 0: imported by the statement itself
    self_ms: float
    cumulative_ms: float


def parse(stderr: str) -> list[Module]:
    """Every module imported after the marker."""
    modules = []
    for line in stderr.split(MARK, 1)[-1].splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3:
            continue
        self_us, cumulative_us = parts[0].split(":")[1].strip(), parts[1].strip()
        if not self_us.isdigit():
            continue  # the header line
        name = parts[2].strip()
        depth = (len(parts[2]) - len(parts[2].lstrip()) - 1) // 2
        modules.append(Module(name, depth, int(self_us) / 1000, int(cumulative_us) / 1000))
    return modules


def measure(statement: str) -> list[Module]:
    code = f"import sys; sys.stderr.write({MARK!r} + '\\n'); {statement}"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    )
    return parse(out.stderr)


def total(modules: list[Module]) -> float:
    return sum(m.cumulative_ms for m in modules if m.depth == 0)


def run(repeats: int) -> dict[str, Any]:
    runs: dict[str, list[list[Module]]] = {name: [] for name in STATEMENTS}
    for _ in range(repeats):
        for name, statement in STATEMENTS.items():
            runs[name].append(measure(statement))
    result: dict[str, Any] = {}
    for name, samples in runs.items():
        totals = [total(s) for s in samples]
        median = statistics.median(totals)
        typical = min(samples, key=lambda s: abs(total(s) - median))
        parts = sorted((m for m in typical if 1 <= m.depth <= 2), key=lambda m: -m.cumulative_ms)
        result[name] = {
            "statement": STATEMENTS[name],
            "median_ms": median,
            "samples_ms": totals,
            "largest_parts": [
                {"module": m.name, "cumulative_ms": m.cumulative_ms, "depth": m.depth}
                for m in parts[:8]
            ],
        }
    return result
