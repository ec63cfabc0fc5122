"""``python -m bench NAME``: run one benchmark and update docs/benchmarks.md."""

from __future__ import annotations

import sys

from bench import compile as compile_bench
from bench import fuzz
from bench import simulate as simulate_bench

BENCHMARKS = {"compile": compile_bench.main, "fuzz": fuzz.main, "simulate": simulate_bench.main}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {*BENCHMARKS, "all"}:
        sys.exit("usage: python -m bench {" + "|".join([*BENCHMARKS, "all"]) + "} [options]")
    names = list(BENCHMARKS) if sys.argv[1] == "all" else [sys.argv[1]]
    for name in names:
        BENCHMARKS[name](sys.argv[2:] if len(names) == 1 else [])


main()
