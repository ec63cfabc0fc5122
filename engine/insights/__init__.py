"""Process analytics: what real campaigns did, read from their Temporal histories.

Facts are taken once from each closed campaign's timeline (``engine.audit``)
into a local analytics store (SQLite, a cache that can be rebuilt from
Temporal); running campaigns are read fresh. The figures are computed from
the store: cycle times, where the time goes per step, people's load and
response times, rule rows, the bottleneck ranking, two versions side by side.
"""

from engine.insights._svg import bars, histogram, lines, nice_ticks

__all__ = ["bars", "histogram", "lines", "nice_ticks"]
