"""Auditing: a campaign's timeline read from its Temporal history, hash-chained exports,
and a self-contained HTML report.

Nothing here runs inside a workflow; it reads histories through the client.
"""

from engine.audit._fetch import (
    campaign_histories,
    campaign_timeline,
    selected_campaigns,
    selection_query,
    timelines,
)
from engine.audit._model import Bar, Entry, Timeline
from engine.audit._report import report_html
from engine.audit._text import render as render_timeline
from engine.audit._text import time_zone
from engine.audit._timeline import HistoryProblem, process_of, read_timeline

__all__ = [
    "Bar",
    "Entry",
    "HistoryProblem",
    "Timeline",
    "campaign_histories",
    "campaign_timeline",
    "process_of",
    "read_timeline",
    "render_timeline",
    "report_html",
    "selected_campaigns",
    "selection_query",
    "time_zone",
    "timelines",
]
