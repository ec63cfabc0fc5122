"""Fuzz the front end: mutate valid process files and check that nothing crashes or hangs.

    python -m bench fuzz [--cases N] [--seed S]

Each case deletes, duplicates, swaps or inserts characters and lines (quotes,
braces, colons, tabs, newlines, keywords) in one of the repository's valid
.mops files, and requires ``check_source`` to return diagnostics (never raise)
within a time limit. The suite runs a small hypothesis version of this; this
script runs many more.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from dsl import Catalogue, SourceFile, check_source
from workers import builtin_registry

ROOT = Path(__file__).resolve().parent.parent
ALPHABET = ['"', "{", "}", "(", ")", ":", "\t", "\n", " ", "=", "->", ",", "#", "\\", "é", "\x00"]
WORDS = ["task", "if", "else", "approval", "decide", "when", "otherwise", "parallel", "wait", "by"]
LIMIT_SECONDS = 5.0


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 6)):
        if not text:
            break
        where = rng.randrange(len(text))
        match rng.randrange(5):
            case 0:
                text = text[:where] + text[where + rng.randint(1, 20) :]
            case 1:
                text = text[:where] + rng.choice(ALPHABET) + text[where:]
            case 2:
                text = text[:where] + rng.choice(WORDS) + " " + text[where:]
            case 3:
                lines = text.split("\n")
                i = rng.randrange(len(lines))
                lines.insert(rng.randrange(len(lines)), lines[i])
                text = "\n".join(lines)
            case _:
                end = min(len(text), where + rng.randint(1, 40))
                text = text[:where] + text[where:end][::-1] + text[end:]
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench fuzz")
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    catalogue = Catalogue(builtin_registry().signatures())
    sources = [p.read_text() for p in sorted(ROOT.glob("**/*.mops")) if ".venv" not in p.parts]
    slowest = 0.0
    for case in range(args.cases):
        text = mutate(rng.choice(sources), rng)
        started = time.perf_counter()
        try:
            checked = check_source(SourceFile.from_text(text, "fuzz.mops"), catalogue)
        except Exception as error:  # the point: report anything that escapes
            Path("fuzz-failure.mops").write_text(text)
            raise SystemExit(
                f"case {case}: {type(error).__name__}: {error} (saved fuzz-failure.mops)"
            ) from error
        took = time.perf_counter() - started
        slowest = max(slowest, took)
        if took > LIMIT_SECONDS:
            Path("fuzz-slow.mops").write_text(text)
            raise SystemExit(f"case {case} took {took:.1f}s (saved fuzz-slow.mops)")
        if not checked.ok and not checked.diagnostics:
            raise SystemExit(f"case {case}: not ok but no diagnostics")
    print(f"{args.cases} cases, no crash; slowest {slowest * 1000:.0f} ms")


if __name__ == "__main__":
    main()
