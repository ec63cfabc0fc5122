"""Time a check on a large input against the same pattern 1,000 times smaller.

No absolute timings: the two are measured side by side, best of several rounds,
so a loaded machine slows both. Linear time gives a ratio near the size ratio
(1,000), quadratic time its square; a test allows ten times the size ratio.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

SMALL, LARGE = 40, 40_000
BUDGET = 10 * LARGE / SMALL


def seconds(check: Callable[[str], object], value: str, repeat: int) -> float:
    """The best time of ``check(value)`` over five rounds; exceptions count as answers."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            # A refusal is an answer too: its time is what counts.
            with contextlib.suppress(Exception):
                check(value)
        best = min(best, (time.perf_counter() - started) / repeat)
    return best


def ratio(
    check: Callable[[str], object],
    make: Callable[[int], str],
    *,
    small: int = SMALL,
    large: int = LARGE,
) -> float:
    """How many times longer ``check`` takes on ``make(large)`` than on ``make(small)``."""
    fast = seconds(check, make(small), repeat=50)
    slow = seconds(check, make(large), repeat=1)
    return slow / fast
