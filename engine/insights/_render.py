"""The figures as text tables for the terminal and as an HTML page with charts."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from engine.insights._svg import bars, lines

_CSS = """
body{font-family:Helvetica,Arial,sans-serif;color:#212529;margin:24px;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px}h3{font-size:15px;margin-top:22px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
td,th{padding:3px 9px;border-bottom:1px solid #e9ecef;text-align:right}
th{background:#f8f9fa}td:first-child,th:first-child{text-align:left}
.note{color:#495057;font-size:13px}
"""


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(headers))]
    out = []
    for n, row in enumerate(cells):
        text = "  ".join(
            str(v).ljust(w) if i == 0 else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        )
        out.append("  " + text.rstrip())
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(out)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        shown = f"{value:.4f}".rstrip("0").rstrip(".") if value < 100 else f"{value:.0f}"
        return shown if shown not in ("0", "-0") or value == 0 else "<0.0001"
    return str(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def text(figures: dict[str, Any]) -> str:
    """Every figure as text tables (docs/insights.md says what each means)."""
    if not figures["versions"]:
        return "no campaigns match"
    parts: list[str] = []
    for v in figures["versions"]:
        c, cycle = v["campaigns"], v["cycle_time"]
        parts += [
            f"{v['process']} version {v['version'][:12]}: {c['started']} campaigns: "
            f"{c['completed']} completed, {c['failed']} failed, {c['cancelled']} cancelled, "
            f"{c['running']} running"
            + (f", {c['terminated']} terminated" if c["terminated"] else ""),
            "cycle time (completed campaigns):",
            _table(
                ["", "p50", "p90", "max"],
                [
                    ["calendar days", *cycle["calendar_days"].values()],
                    ["business days", *cycle["business_days"].values()],
                ],
            ),
            "where the time goes (bottlenecks, business hours over all campaigns):",
            _table(
                ["rank", "step", "hours", "share", "mostly"],
                [
                    [b["rank"], b["step"], b["hours"], _pct(b["share"]), b["mostly"]]
                    for b in v["bottlenecks"][:10]
                ],
            ),
            "steps (business hours per campaign that ran the step):",
            _table(
                _step_columns(""),
                _step_rows(v),
            ),
        ]
        if v["roles"]:
            parts += [
                "roles (response time in business hours):",
                _table(
                    ["role", "items", "open now", "p50", "p90"],
                    [
                        [
                            r["role"],
                            r["items"],
                            r["open_now"],
                            r["response_hours"]["p50"],
                            r["response_hours"]["p90"],
                        ]
                        for r in v["roles"]
                    ],
                ),
                "people:",
                _table(
                    ["person", "answers", "p50 h", "p90 h", "covered", "escalations"],
                    [
                        [
                            p["person"],
                            p["answers"],
                            p["response_hours"]["p50"],
                            p["response_hours"]["p90"],
                            p["covered_for_others"],
                            p["took_escalations"],
                        ]
                        for p in v["people"]
                    ],
                ),
            ]
        if v["rules"]:
            never = [f"{r['step']} line {r['line']}" for r in v["rules"] if r["fired"] == 0]
            parts += [
                "rule rows (how often each fired):",
                _table(
                    ["step", "line", "fired"],
                    [[r["step"], r["line"], r["fired"]] for r in v["rules"]],
                ),
                "rows that never fired: " + (", ".join(never) if never else "none"),
            ]
        parts.append("")
    for pair in figures["compared"]:
        before, after = pair["before"], pair["after"]
        parts += [
            f"{pair['process']}: version {before['version'][:12]} -> {after['version'][:12]}",
            _table(
                ["", "before", "after"],
                [[k, before[k], after[k]] for k in before if k != "version"],
            ),
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"


def charts(version: dict[str, Any]) -> dict[str, str]:
    """The pictures of one process version, as standalone SVG."""
    name = f"{version['process']} {version['version'][:12]}"
    bottleneck = bars(
        [
            (b["step"], [b["by_kind"].get(k, 0.0) for k in ("people", "work", "timers")])
            for b in version["bottlenecks"][:12]
        ],
        title=f"Where the time goes: {name}",
        x_label="business hours, all campaigns together",
        series=("waiting for people", "working", "waiting on timers"),
    )
    response = bars(
        [
            (
                r["role"],
                [
                    r["response_hours"]["p50"],
                    max(r["response_hours"]["p90"] - r["response_hours"]["p50"], 0.0),
                ],
            )
            for r in version["roles"]
        ],
        title=f"Response time per role: {name}",
        x_label="business hours from opening to answer",
        series=("p50", "p50 to p90"),
    )
    load = lines(
        {
            role: [(dt.date.fromisoformat(day), float(n)) for day, n in points]
            for role, points in version["load"].items()
        },
        title=f"Open work items per role: {name}",
        y_label="open work items",
    )
    return {"bottlenecks": bottleneck, "response": response, "load": load}


def html(figures: dict[str, Any]) -> str:
    """A self-contained page: tables and SVG charts, no script, nothing fetched."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Process insights</title><style>{_CSS}</style></head><body>"
        f"<h1>Process insights</h1><p class=note>generated {escape(figures['generated_at'])}"
        " from the campaigns' Temporal histories (docs/insights.md)</p>\n"
        + sections(figures)
        + "</body></html>\n"
    )


def sections(figures: dict[str, Any]) -> str:
    """The figures as HTML sections (tables and inline SVG charts), for a page of its own
    (:func:`html`) or inside another (the people's app)."""
    body: list[str] = []
    for v in figures["versions"]:
        c = v["campaigns"]
        pictures = charts(v)
        body.append(
            f"<h2>{escape(v['process'])} <small>version {escape(v['version'][:12])}</small></h2>"
            f"<p>{c['started']} campaigns: {c['completed']} completed, {c['failed']} failed, "
            f"{c['cancelled']} cancelled, {c['running']} running.</p>"
        )
        cycle = v["cycle_time"]
        body.append(
            _html_table(
                ["cycle time", "p50", "p90", "max"],
                [
                    ["calendar days", *cycle["calendar_days"].values()],
                    ["business days", *cycle["business_days"].values()],
                ],
            )
        )
        body.append("<h3>Where the time goes</h3>" + pictures["bottlenecks"])
        body.append(
            _html_table(
                _step_columns(" h"),
                _step_rows(v),
            )
        )
        if v["roles"]:
            body.append("<h3>People</h3>" + pictures["response"] + pictures["load"])
            body.append(
                _html_table(
                    ["person", "answers", "p50 h", "p90 h", "covered", "escalations"],
                    [
                        [
                            p["person"],
                            p["answers"],
                            p["response_hours"]["p50"],
                            p["response_hours"]["p90"],
                            p["covered_for_others"],
                            p["took_escalations"],
                        ]
                        for p in v["people"]
                    ],
                )
            )
        if v["rules"]:
            body.append(
                "<h3>Rule rows</h3>"
                + _html_table(
                    ["step", "line", "fired"],
                    [[r["step"], r["line"], r["fired"]] for r in v["rules"]],
                )
            )
    for pair in figures["compared"]:
        before, after = pair["before"], pair["after"]
        body.append(f"<h2>{escape(pair['process'])}: two versions side by side</h2>")
        body.append(
            _html_table(
                ["", before["version"][:12], after["version"][:12]],
                [[k, before[k], after[k]] for k in before if k != "version"],
            )
        )
    return "\n".join(body)


def _html_table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _step_columns(unit: str) -> list[str]:
    """The steps table's header; ``unit`` follows the three columns of hours."""
    hours = [f"{kind}{unit}" for kind in ("people", "work", "timers")]
    return ["step", "campaigns", *hours, "met", "missed", "escalated", "rework", "refusals"]


def _step_rows(v: dict[str, Any]) -> list[list[Any]]:
    """One row per step: campaigns, hours by kind, deadlines, escalation, rework."""
    return [
        [
            s["step"],
            s["campaigns"],
            s["hours"]["people"],
            s["hours"]["work"],
            s["hours"]["timers"],
            s["deadline"]["met"],
            s["deadline"]["missed"],
            _pct(s["escalation_rate"]),
            s["rework_rounds"],
            s["refusals"],
        ]
        for s in v["steps"]
    ]
