"""Every benchmark, one table: ``python -m bench [--size tiny|default|full|FACTOR]``.

The size is a factor of issue #13's sizes (1,000 groups and 3,000 notices; 100,000 and
1,000,000 parts; a 1,000,000-row files export; 1,000 agencies; 300 replies) and of issue
#16's register of 100,000 parts for the web view (beside the demo province, whatever the
size): ``full`` is 1, ``default`` 0.1, ``tiny`` 0.005 (under a minute on two cores, for
CI); a factor from 0.003 (the digest's smallest, 3 agencies; below it a benchmark would
have to run larger than the size says) to 10. The table's header gives the sizes each
benchmark ran at. Where the size is not the issue's, a goal that grows with the size is
scaled and the row says so.

Each benchmark runs in a fresh process (its peak memory and its event loop its own), one
after the other. Speed never fails the command: it exits 0 whatever the figures, and
non-zero only when a benchmark crashes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from bench import burst_bench, digest_bench, files_bench, plan_bench, reply_bench, web_bench
from bench.args import scaled
from bench.table import Figure, machine, render

SIZES = {"tiny": 0.005, "default": 0.1, "full": 1.0}
# The smallest factor: digest_bench builds at least 3 agencies (1,000 × 0.003); every other
# benchmark runs at its scaled size from there (1 reply, 3 burst groups, 300 parts…).
LEAST_SIZE = 0.003
MOST_SIZE = 10.0
DIGEST_AGENCIES = 1000  # digest_bench's issue size (it builds max(3, round(1,000 × size)))
BENCHMARKS: tuple[tuple[str, Callable[[float], list[Figure]]], ...] = (
    ("burst", burst_bench.figures),
    ("plan", plan_bench.figures),
    ("files", files_bench.figures),
    ("digest", digest_bench.figures),
    ("reply", reply_bench.figures),
    ("web", web_bench.figures),
)


def scale_of(size: str) -> float:
    """``--size``'s type: a name of :data:`SIZES` or a factor from :data:`LEAST_SIZE` to
    :data:`MOST_SIZE`."""
    if size in SIZES:
        return SIZES[size]
    try:
        value = float(size)
    except ValueError:
        raise argparse.ArgumentTypeError(f"tiny, default, full or a factor, not {size!r}") from None
    if not LEAST_SIZE <= value <= MOST_SIZE:  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"a factor from {LEAST_SIZE:g} (the smallest every benchmark runs at) "
            f"to {MOST_SIZE:g}, not {size}"
        )
    return value


def sizes(scale: float) -> str:
    """The sizes every benchmark runs at, for the table's header."""
    return "; ".join([
        burst_bench.sizes(scale),
        plan_bench.sizes(scale),
        files_bench.sizes(scale),
        f"digest {scaled(DIGEST_AGENCIES, scale):,} agencies",
        reply_bench.sizes(scale),
        web_bench.sizes(scale),
    ])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--size",
        type=scale_of,
        default="default",
        help=f"tiny, default, full or a factor from {LEAST_SIZE:g} to {MOST_SIZE:g} of issue "
        "#13's sizes (default: default, 0.1)",
    )
    parser.add_argument("--only", nargs="+", choices=[name for name, _ in BENCHMARKS],
                        help="run only these benchmarks")  # fmt: skip
    args = parser.parse_args()
    scale: float = args.size  # argparse applies the type to the default too
    size = next((name for name, factor in SIZES.items() if factor == scale), f"{scale:g}")
    figures: list[Figure] = []
    crashed = []
    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    for name, measure in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        print(f"running {name}…", file=sys.stderr, flush=True)
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            try:
                figures.extend(pool.submit(measure, scale).result())
            except Exception:
                crashed.append(name)
                traceback.print_exc()
    title = (f"dondoc benchmarks, size {size} (×{scale:g} of issue #13's sizes), "
             f"{time.perf_counter() - started:.0f} s in all\n\nsizes: {sizes(scale)}")  # fmt: skip
    print(render(figures, title))
    print(machine())
    if crashed:
        print(f"crashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
