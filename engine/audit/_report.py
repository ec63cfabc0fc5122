"""``mops report``: one self-contained HTML file an auditor can keep or mail.

It holds the header facts, the process picture with the path the campaign took
highlighted, the timeline drawn as bars on a time axis (escalations and
rejections marked), and every entry as a table. No script, style sheet, font
or image is fetched from anywhere: the file is complete on its own.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from engine import ir
from engine.audit._diagram import path_taken, process_svg
from engine.audit._model import Bar, Entry, Timeline
from engine.audit._text import local, who
from engine.audit._values import readable_pairs

LEFT, WIDTH, ROW, TOP = 230, 720, 26, 34
COLOURS = {"task": "#4dabf7", "human": "#ffa94d", "wait": "#ced4da", "event": "#b197fc"}
COLOURS |= {"call": "#63e6be"}
MARKS = {"escalated": "#f08c00", "rejected": "#e03131", "changes_requested": "#e03131"}
MARKS |= {"refused": "#868e96", "failed": "#c92a2a", "task_failed": "#c92a2a"}

_STYLE = """
body{font-family:Helvetica,Arial,sans-serif;color:#212529;margin:24px;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;vertical-align:top;
text-align:left;border-bottom:1px solid #e9ecef}th{background:#f8f9fa}
.facts th{width:130px}.mono{font-family:Menlo,Consolas,monospace;font-size:12px}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
"""

_CHECK = """
(function () {
  var svgs = document.querySelectorAll("svg");
  var ok = svgs.length >= 2;
  for (var i = 0; i < svgs.length; i++) {
    var box = svgs[i].getBBox();
    if (!(box.width > 0 && box.height > 0)) { ok = false; }
  }
  var lit = document.querySelectorAll("#diagram g.step.highlight").length;
  var bars = document.querySelectorAll("#timeline .bar").length;
  document.body.setAttribute("data-highlighted", String(lit));
  document.body.setAttribute("data-bars", String(bars));
  document.body.setAttribute("data-rendered", ok && lit > 0 ? "ok" : "broken");
})();
"""


def report_html(
    timeline: Timeline, process: ir.ProcessIR, zone: dt.tzinfo | None, now: dt.datetime
) -> str:
    """The whole HTML document of a campaign's report."""
    ran = {e.step.split(".")[0] for e in timeline.entries if e.step}
    highlight = path_taken(process, ran, finished=timeline.state == "completed")
    e = html.escape
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{e(timeline.campaign)}: audit report</title>",
            f"<style>{_STYLE}</style></head><body>",
            f"<h1>{e(timeline.title)} <small class='mono'>{e(timeline.campaign)}</small></h1>",
            _facts(timeline, zone),
            "<h2>Path taken</h2>",
            "<p>The process version the campaign ran, drawn from the copy it carries; "
            "the steps it went through are outlined in orange.</p>",
            f'<div id="diagram">{process_svg(process, highlight)}</div>',
            "<h2>Timeline</h2>",
            _legend(),
            f'<div id="timeline">{timeline_svg(timeline, zone, now)}</div>',
            "<h2>Every entry</h2>",
            _entries(timeline.entries, zone),
            f"<script>{_CHECK}</script>",
            "</body></html>",
            "",
        ]
    )


def _facts(t: Timeline, zone: dt.tzinfo | None) -> str:
    rows = [
        ("process", f"{t.process}: {t.title}"),
        ("version", t.version),
        ("source hash", t.source_hash),
        ("source file", t.source_file),
        ("started", f"{local(t.started_at, zone)} by {t.started_by}"),
        ("ended", local(t.ended_at, zone) if t.ended_at else "still running"),
        ("outcome", t.outcome),
        ("inputs", _values(t.inputs)),
        ("outputs", _values(t.outputs)),
        ("runs", f"{len(t.runs)}" + (" (continued as new)" if len(t.runs) > 1 else "")),
    ]
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td class='mono'>{html.escape(v)}</td></tr>" for k, v in rows
    )
    return f'<table class="facts" id="facts">{body}</table>'


def _values(values: dict[str, Any]) -> str:
    return readable_pairs(values) or "-"


def _legend() -> str:
    items = [(COLOURS[k], k) for k in ("task", "human", "wait", "event", "call")]
    items += [(MARKS["escalated"], "escalation"), (MARKS["rejected"], "rejection")]
    spans = "".join(
        f'<span><i class="swatch" style="background:{c}"></i>{html.escape(n)}</span>'
        for c, n in items
    )
    return f'<p class="legend">{spans}</p>'


def _entries(entries: tuple[Entry, ...], zone: dt.tzinfo | None) -> str:
    head = "<tr><th>time</th><th>actor</th><th>step</th><th>what happened</th></tr>"
    rows = "".join(
        f'<tr class="entry" data-what="{e.what}"><td class="mono">{html.escape(local(e.at, zone))}'
        f"</td><td>{html.escape(who(e))}</td><td>{html.escape(e.title or '-')}"
        f"<br><span class='mono'>{html.escape(e.source)}</span></td>"
        f"<td>{html.escape(e.text)}</td></tr>"
        for e in entries
    )
    return f'<table id="entries">{head}{rows}</table>'


def timeline_svg(t: Timeline, zone: dt.tzinfo | None, now: dt.datetime) -> str:
    """Steps and waits as bars on a time axis; escalations and rejections as marks."""
    bars = list(t.bars)
    begin = t.started_at
    end = t.ended_at or max([now, *(e.at for e in t.entries)])
    span = max((end - begin).total_seconds(), 1.0)

    def x(moment: dt.datetime) -> float:
        return LEFT + WIDTH * (moment - begin).total_seconds() / span

    parts: list[str] = []
    for index, bar in enumerate(bars):
        top = TOP + index * ROW
        parts.append(_bar(bar, x(bar.start), x(bar.end or end), top, zone))
    height = TOP + max(len(bars), 1) * ROW + 30
    for entry in t.entries:
        if entry.what not in MARKS:
            continue
        row = _row_of(bars, entry)
        middle = TOP + (len(bars) if row is None else row) * ROW + ROW / 2 - 2
        parts.append(_mark(entry, x(entry.at), middle, zone))
    axis = _axis(begin, end, x, height - 24, zone)
    total_width = LEFT + WIDTH + 40
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width}" height="{height}" '
        f'viewBox="0 0 {total_width} {height}" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="11"><title>Timeline of {html.escape(t.campaign)}</title>'
        f'<rect width="{total_width}" height="{height}" fill="#ffffff"/>'
        + axis
        + "".join(parts)
        + "</svg>"
    )


def _row_of(bars: list[Bar], entry: Entry) -> int | None:
    """The bar an entry belongs to: its step's bar that was open at the time."""
    step = entry.step.split(".")[0]
    found = None
    for index, bar in enumerate(bars):
        if bar.step == step and bar.start <= entry.at:
            found = index
    return found


def _bar(bar: Bar, left: float, right: float, y: float, zone: dt.tzinfo | None) -> str:
    e = html.escape
    width = max(right - left, 3.0)
    colour = COLOURS.get(bar.kind, "#adb5bd")
    stroke = "#c92a2a" if bar.outcome in ("failed", "rejected", "changes requested") else "#495057"
    tip = f"{bar.title}: {local(bar.start, zone)} to {local(bar.end, zone)} {bar.outcome}"
    label = bar.title if len(bar.title) <= 34 else bar.title[:33] + "…"
    return (
        f'<g class="bar" data-step="{e(bar.step)}" data-kind="{bar.kind}" '
        f'data-outcome="{e(bar.outcome)}"><title>{e(tip)}</title>'
        f'<text x="{LEFT - 8}" y="{y + 16:.1f}" text-anchor="end" fill="#212529">{e(label)}</text>'
        f'<rect x="{left:.1f}" y="{y + 4:.1f}" width="{width:.1f}" height="{ROW - 8}" rx="3" '
        f'fill="{colour}" stroke="{stroke}" stroke-width="1"/></g>'
    )


def _mark(entry: Entry, cx: float, cy: float, zone: dt.tzinfo | None) -> str:
    e = html.escape
    colour = MARKS[entry.what]
    tip = f"{local(entry.at, zone)} {who(entry)}: {entry.text}"
    if entry.what == "escalated":
        shape = (
            f'<polygon points="{cx:.1f},{cy - 8:.1f} {cx + 7:.1f},{cy + 5:.1f} '
            f'{cx - 7:.1f},{cy + 5:.1f}" fill="{colour}" stroke="#ffffff"/>'
        )
    else:
        shape = (
            f'<path d="M{cx - 6:.1f},{cy - 6:.1f}L{cx + 6:.1f},{cy + 6:.1f}'
            f'M{cx + 6:.1f},{cy - 6:.1f}L{cx - 6:.1f},{cy + 6:.1f}" stroke="{colour}" '
            'stroke-width="3"/>'
        )
    return f'<g class="mark" data-what="{entry.what}"><title>{e(tip)}</title>{shape}</g>'


def _axis(begin: dt.datetime, end: dt.datetime, x: Any, y: float, zone: dt.tzinfo | None) -> str:
    ticks = []
    for i in range(6):
        moment = begin + (end - begin) * i / 5
        ticks.append(
            f'<line x1="{x(moment):.1f}" y1="{TOP - 6}" x2="{x(moment):.1f}" y2="{y:.1f}" '
            'stroke="#e9ecef"/>'
            f'<text x="{x(moment):.1f}" y="{y + 14:.1f}" text-anchor="middle" fill="#495057">'
            f"{html.escape(moment.astimezone(zone).strftime('%b %d %H:%M'))}</text>"
        )
    return (
        f'<g class="axis"><line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + WIDTH}" y2="{y:.1f}" '
        f'stroke="#495057"/>{"".join(ticks)}</g>'
    )
