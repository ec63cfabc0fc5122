"""``python -m bench NAME``: run one benchmark and update docs/benchmarks.md."""

from __future__ import annotations

import sys

from bench import (
    abuse,
    app,
    approvals,
    audit,
    fuzz,
    long,
    lsp,
    memory,
    overhead,
    profile,
    provenance,
    replay,
    scale,
    startup,
)
from bench import compile as compile_bench
from bench import insights as insights_bench
from bench import simulate as simulate_bench

BENCHMARKS = {
    "compile": compile_bench.main,
    "startup": startup.main,
    "lsp": lsp.main,
    "fuzz": fuzz.main,
    "abuse": abuse.main,
    "overhead": overhead.main,
    "approvals": approvals.main,
    "scale": scale.main,
    "long": long.main,
    "memory": memory.main,
    "replay": replay.main,
    "profile": profile.main,
    "audit": audit.main,
    "simulate": simulate_bench.main,
    "provenance": provenance.main,
    "app": app.main,
    "insights": insights_bench.main,
}
NOT_IN_ALL = {"profile"}
"""Profiling needs py-spy (the ``bench`` extra) and measures nothing new."""


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {*BENCHMARKS, "all"}:
        sys.exit("usage: python -m bench {" + "|".join([*BENCHMARKS, "all"]) + "} [options]")
    names = (
        [n for n in BENCHMARKS if n not in NOT_IN_ALL] if sys.argv[1] == "all" else [sys.argv[1]]
    )
    for name in names:
        BENCHMARKS[name](sys.argv[2:] if len(names) == 1 else [])


main()
