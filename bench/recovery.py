"""Error recovery cost: `mops check`'s work on a large file with one mistake and without.

Design target (issue 17): a file with one mistake costs at most 1.5x the same
file without it, and a 5 MB file with one missing comma names the line the
comma is missing from. Run::

    .venv/bin/python bench/recovery.py            # about 48,000 lines, 1.4 MB
    .venv/bin/python bench/recovery.py 36000      # about 173,000 lines, 5.2 MB

It prints the CPU seconds of the clean check and of the same file with the
comma after one ``message: ...`` argument removed at 10 %, 50 % and 90 % of
the file, the ratio of each to the clean one, and what was reported.
"""

from __future__ import annotations

import sys
import time

from dsl import Catalogue, CheckedProcess, SourceFile, check_source
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())


def big(steps: int) -> str:
    """A process of ``steps`` steps of every common kind (about 4.8 lines each)."""
    out = [
        'process big "A big process"',
        "  input title: text",
        "  input budget: money = 0 EUR",
        '  input region: one of "emea", "americas", "apac" = "emea"',
        '  input channels: list of text = ["a", "b"]',
    ]
    for i in range(steps):
        match i % 5:
            case 0:
                out += [
                    f'  task t{i} "Step {i}" = log.info(',
                    f'    message: "Step {i} for {{title}}",',
                    f"    fields: {{n: {i}, region: region}},",
                    "  )",
                    "    retry 2 times backoff 10s to 1m",
                ]
            case 1:
                out += [
                    f'  if budget > {i} EUR and region == "emea"',
                    f'    task b{i} = log.info(message: "big {{budget}}")',
                    "  else",
                    f"    set s{i} = len(channels) + {i}",
                ]
            case 2:
                out += [
                    f'  approval a{i} "Review {i}"',
                    "    by role editor",
                    "    deadline 2 business days",
                    "    escalate to role lead",
                    f"    on reject -> t{i - 2}",
                    "    at most 3 rounds, then continue",
                ]
            case 3:
                out += [
                    f"  decide d{i}",
                    f'    when budget >= {i} EUR -> "paid"',
                    '    when budget > 0 EUR -> "boosted"',
                    '    otherwise -> "organic"',
                ]
            case _:
                out += [
                    f'  work w{i} "Work {i}"',
                    "    assign role writer",
                    "    deadline 3 business days",
                    "    escalate to role lead",
                    "    returns doc_url: url, words: number",
                ]
    return "\n".join(out) + "\n"


def cpu(text: str) -> tuple[float, CheckedProcess]:
    source = SourceFile.from_text(text, "big.mops")
    start = time.process_time()
    checked = check_source(source, CATALOGUE)
    return time.process_time() - start, checked


def main(steps: int) -> None:
    clean = big(steps)
    lines = clean.split("\n")
    print(f"{len(lines)} lines, {len(clean) / 1e6:.1f} MB")
    cpu(big(50))  # warm: the grammar, the tables, the examples
    base, checked = cpu(clean)
    assert checked.ok, checked.diagnostics[:3]
    print(f"without the mistake: {base:.2f} s CPU")
    arguments = [i for i, line in enumerate(lines) if line.startswith('    message: "Step')]
    for share in (0.1, 0.5, 0.9):
        at = arguments[int(len(arguments) * share)]
        broken = "\n".join([*lines[:at], lines[at].rstrip(","), *lines[at + 1 :]])
        spent, checked = cpu(broken)
        found = [f"{d.code} line {d.span.line}: {d.message}" for d in checked.diagnostics]
        print(
            f"comma missing on line {at + 1} ({share:.0%} in): {spent:.2f} s CPU, "
            f"{spent / base:.2f}x; {found}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
