"""Auditing: a campaign's timeline read from its Temporal history, hash-chained exports,
and a self-contained HTML report.

Nothing here runs inside a workflow; it reads histories through the client.
Each name is imported on first use: :func:`report_html` draws the process with the
language package's diagram code, which the commands that only read histories
(``mops insights``) should not pay for at start-up, and the history readers need the
Temporal SDK, which ``mops status`` on the embedded server does without: it prints
values with :func:`readable` and :func:`printable` alone (docs/benchmarks.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.audit._export import (
        GENESIS,
        Finding,
        Unreadable,
        canonical,
        digest,
        to_csv,
        to_jsonl,
    )
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
    from engine.audit._report import report_html
    from engine.audit._status import status_from_history, status_from_timeline
    from engine.audit._text import render as render_timeline
    from engine.audit._text import time_zone
    from engine.audit._timeline import HistoryProblem, process_of, read_timeline
    from engine.audit._values import clean as printable
    from engine.audit._values import readable, readable_pairs

# Each public name: (its module, its name there).
_WHERE: dict[str, tuple[str, str]] = {
    **{n: ("_export", n) for n in ("GENESIS", "Finding", "Unreadable", "canonical", "digest")},
    **{n: ("_export", n) for n in ("to_csv", "to_jsonl")},
    "chain_head": ("_export", "head"),
    "parse_export": ("_export", "parse"),
    "export_records": ("_export", "records"),
    "verify_export": ("_export", "verify"),
    **{
        n: ("_fetch", n)
        for n in (
            "campaign_histories",
            "campaign_timeline",
            "selected_campaigns",
            "selection_query",
            "timelines",
        )
    },
    **{n: ("_model", n) for n in ("Auth", "Bar", "Entry", "Proof", "Timeline")},
    **{n: ("_proofs", n) for n in ("BadProof", "check_proofs")},
    "report_html": ("_report", "report_html"),
    **{n: ("_status", n) for n in ("status_from_history", "status_from_timeline")},
    "render_timeline": ("_text", "render"),
    "time_zone": ("_text", "time_zone"),
    **{n: ("_timeline", n) for n in ("HistoryProblem", "process_of", "read_timeline")},
    "printable": ("_values", "clean"),
    **{n: ("_values", n) for n in ("readable", "readable_pairs")},
}

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
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _WHERE[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value  # asked once
    return value
