"""Auditing: a campaign's timeline read from its Temporal history, hash-chained exports,
and a self-contained HTML report.

Nothing here runs inside a workflow; it reads histories through the client.
:func:`report_html` is imported on first use: it draws the process with the
language package's diagram code, which the commands that only read histories
(``mops insights``, ``mops status``) should not pay for at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.audit._export import GENESIS, Finding, Unreadable, canonical, digest, to_csv, to_jsonl
from engine.audit._export import head as chain_head
from engine.audit._export import parse as parse_export
from engine.audit._export import records as export_records
from engine.audit._export import verify as verify_export
from engine.audit._fetch import (
    campaign_histories,
    campaign_timeline,
    selected_campaigns,
    selection_query,
    timelines,
)
from engine.audit._model import Auth, Bar, Entry, Proof, Timeline
from engine.audit._proofs import BadProof, check_proofs
from engine.audit._status import status_from_history, status_from_timeline
from engine.audit._text import clean as printable
from engine.audit._text import render as render_timeline
from engine.audit._text import time_zone
from engine.audit._timeline import HistoryProblem, process_of, read_timeline
from engine.audit._values import readable, readable_pairs

if TYPE_CHECKING:
    from engine.audit._report import report_html

__all__ = [
    "GENESIS",
    "Auth",
    "BadProof",
    "Bar",
    "Entry",
    "Finding",
    "HistoryProblem",
    "Proof",
    "Timeline",
    "Unreadable",
    "campaign_histories",
    "campaign_timeline",
    "canonical",
    "chain_head",
    "check_proofs",
    "digest",
    "export_records",
    "parse_export",
    "printable",
    "process_of",
    "read_timeline",
    "readable",
    "readable_pairs",
    "render_timeline",
    "report_html",
    "selected_campaigns",
    "selection_query",
    "status_from_history",
    "status_from_timeline",
    "time_zone",
    "timelines",
    "to_csv",
    "to_jsonl",
    "verify_export",
]


def __getattr__(name: str) -> Any:
    if name == "report_html":
        from engine.audit._report import report_html

        return report_html
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
