"""flet_auth.security against flet.security, side by side, interleaved, in one run.

    python benchmarks/bench_crypto.py [--rounds 7]

Reports the median time of encrypt and decrypt for each library and their ratio (ours/Flet's,
lower is better), then the throughput of 2 threads against 1 thread. PBKDF2 with 600,000
rounds dominates every call, so these are key-derivation numbers.
"""

import argparse
import statistics
import sys
import threading
import time
from typing import Callable

import flet.security as flet_security

import flet_auth
from flet_auth import security as ours

TEXT = '{"access_token":"gho_example","token_type":"bearer","scope":["read:user"]}'
KEY = "benchmark secret"


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def throughput(fn: Callable[[], object], threads: int, seconds: float) -> float:
    """Calls per second of `threads` threads calling `fn` for about `seconds`."""
    count = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def work() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            fn()
            with lock:
                count += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=4.0, help="per throughput run")
    args = parser.parse_args()

    ours_enc = ours.encrypt(TEXT, KEY)
    flet_enc = flet_security.encrypt(TEXT, KEY)
    cases = {
        "encrypt": (lambda: ours.encrypt(TEXT, KEY), lambda: flet_security.encrypt(TEXT, KEY)),
        "decrypt": (
            lambda: ours.decrypt(ours_enc, KEY),
            lambda: flet_security.decrypt(flet_enc, KEY),
        ),
        "decrypt Flet data": (
            lambda: ours.decrypt(flet_enc, KEY),
            lambda: flet_security.decrypt(flet_enc, KEY),
        ),
    }
    print(
        f"flet-auth {flet_auth.__version__}, Python {sys.version.split()[0]}, {args.rounds} rounds"
    )
    print(f"{'operation':<20}{'flet-auth ms':>14}{'flet ms':>10}{'ratio':>8}")
    for name, (mine, theirs) in cases.items():
        a: list[float] = []
        b: list[float] = []
        for _ in range(args.rounds):  # interleaved, so load changes hit both alike
            a.append(timed(mine))
            b.append(timed(theirs))
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{name:<20}{ma * 1000:>14.1f}{mb * 1000:>10.1f}{ma / mb:>7.2f}x")

    print(f"\n{'threads':<20}{'flet-auth /s':>14}{'flet /s':>10}")
    rates = {}
    for threads in (1, 2):
        mine = throughput(cases["encrypt"][0], threads, args.seconds)
        theirs = throughput(cases["encrypt"][1], threads, args.seconds)
        rates[threads] = (mine, theirs)
        print(f"{threads:<20}{mine:>14.2f}{theirs:>10.2f}")
    print(
        f"2 threads / 1 thread: flet-auth {rates[2][0] / rates[1][0]:.2f}x, "
        f"flet {rates[2][1] / rates[1][1]:.2f}x"
    )


if __name__ == "__main__":
    main()
