"""The picture of a cohort: how long its campaigns took."""

from __future__ import annotations

from engine.insights import histogram
from mops.scenarios._summary import Summary


def histogram_svg(summary: Summary, *, bins: int = 20) -> str:
    """A histogram of the campaigns' durations, as a standalone SVG with axes and labels."""
    return histogram(
        summary.durations,
        title=f"Campaign duration ({summary.runs} simulated campaigns)",
        x_label="business days from start to end",
        y_label="campaigns",
        marks={"p50": summary.percentile(0.5), "p90": summary.percentile(0.9)},
        bins=bins,
    )
