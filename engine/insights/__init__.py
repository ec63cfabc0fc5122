"""Process analytics: what real campaigns did, read from their Temporal histories.

Facts are taken once from each closed campaign's timeline (``engine.audit``)
into a local analytics store (SQLite, a cache that can be rebuilt from
Temporal); running campaigns are read fresh. The figures are computed from
the store: cycle times, where the time goes per step, people's load and
response times, rule rows, the bottleneck ranking, two versions side by side;
and a simulation's assumptions are fitted from the same facts.
"""

from engine.insights._calibrate import Calibration, Fit, calibrate, fit_times
from engine.insights._facts import CampaignFacts, facts_of
from engine.insights._figures import Figures
from engine.insights._render import charts, html, sections, text
from engine.insights._report import percentile, report
from engine.insights._select import (
    Cluster,
    Selection,
    brought_up_to_date,
    chosen,
    figures_of,
    store_file,
)
from engine.insights._store import FILE_NAME, Store
from engine.insights._svg import bars, histogram, lines, nice_ticks
from engine.insights._sync import Refreshed, refresh

__all__ = [
    "FILE_NAME",
    "Calibration",
    "CampaignFacts",
    "Cluster",
    "Figures",
    "Fit",
    "Refreshed",
    "Selection",
    "Store",
    "bars",
    "brought_up_to_date",
    "calibrate",
    "charts",
    "chosen",
    "facts_of",
    "figures_of",
    "fit_times",
    "histogram",
    "html",
    "lines",
    "nice_ticks",
    "percentile",
    "refresh",
    "report",
    "sections",
    "store_file",
    "text",
]
