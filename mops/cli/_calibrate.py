"""``mops simulate --calibrate`` and ``--holdout``: a what-if fitted on real campaigns.

``--calibrate`` fits the simulation's assumptions (answer times per role and
step, approval outcomes, action failure rates, event arrival) on the process's
real campaigns, then simulates with them. ``--holdout DATE`` fits on the
campaigns started before DATE, simulates as many campaigns as started from
DATE on, and says how far the prediction was from what happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from engine.errors import UserError
from engine.insights import Calibration, CampaignFacts, calibrate, percentile, report
from mops.cli._insights import campaign_facts
from mops.scenarios import Model, Summary, read_model


@dataclass(frozen=True)
class Fitted:
    calibration: Calibration
    model: Model
    actual: list[CampaignFacts]
    """The held-out campaigns (empty without ``--holdout``)."""


async def fitted_model(
    process: str,
    *,
    hours_per_day: float,
    since: dt.datetime | None,
    until: dt.datetime | None,
    holdout: dt.datetime | None,
) -> Fitted:
    """The model fitted on the process's campaigns (those before ``holdout``, if given).

    Raises:
        UserError: no campaign of the process to learn from.
    """
    chosen = await campaign_facts(process=process, since=since, until=until)
    ended = [f for f in chosen if f.state != "running"]
    learn = [f for f in ended if holdout is None or f.started_at < holdout]
    actual = [f for f in ended if holdout is not None and f.started_at >= holdout]
    if not learn:
        raise UserError(
            f"no ended campaign of '{process}' to calibrate on"
            + (f" before {holdout:%Y-%m-%d}" if holdout else ""),
            hint="'mops insights --process " + process + "' shows what there is",
        )
    if holdout is not None and not actual:
        raise UserError(f"no ended campaign of '{process}' started on or after {holdout:%Y-%m-%d}")
    calibration = calibrate(learn)
    model = read_model(calibration.responses(), "the calibration", hours_per_day)
    return Fitted(calibration, model, actual)


def holdout_errors(predicted: Summary, actual: list[CampaignFacts]) -> dict[str, Any]:
    """The predicted cycle time and escalation rates against what the held-out campaigns did."""
    figures = report(actual, now=dt.datetime.now(dt.UTC))
    hours = actual[0].hours_per_day or 24.0
    real_days = [(f.business_seconds or 0) / 3600 / hours for f in actual if f.state == "completed"]
    done = predicted.completed_durations

    def pair(share: float) -> dict[str, float]:
        guess, real = percentile(done, share), percentile(real_days, share)
        return {
            "predicted": _figure(guess),
            "actual": _figure(real),
            "error": _figure(guess - real),
            "relative": round((guess - real) / real, 3) if real else 0.0,
        }

    actual_rates: dict[str, float] = {}
    for version in figures["versions"]:
        for step in version["steps"]:
            if step["escalation_rate"] is not None:
                actual_rates[step["step"]] = step["escalation_rate"]
    rates = {
        step: {
            "predicted": round(predicted.escalation_rate.get(step, 0.0), 3),
            "actual": round(rate, 3),
            "error": round(predicted.escalation_rate.get(step, 0.0) - rate, 3),
        }
        for step, rate in sorted(actual_rates.items())
    }
    return {
        "campaigns": {"predicted": predicted.runs, "actual": len(actual)},
        "business_days_p50": pair(0.5),
        "business_days_p90": pair(0.9),
        "escalation_rate": rates,
    }


def _figure(value: float) -> float:
    return float(f"{value:.3g}")


def calibration_text(calibration: Calibration) -> str:
    lines = [f"calibrated on {calibration.campaigns} campaigns:"]
    for kind, table in (("role", calibration.roles), ("step", calibration.steps)):
        for name, figures in table.items():
            if figures["median_hours"] is None:
                continue
            line = (
                f"  {kind} {name:<22} answers in {figures['median_hours']:.3g} h (p50), "
                f"{figures['p90_hours']:.3g} h (p90), {figures['answers']} answers"
            )
            if figures["approvals"]:
                line += (
                    f"; approves {figures['approve']:.0%}, changes {figures['changes']:.0%}, "
                    f"rejects {figures['reject']:.0%}"
                )
            lines.append(line)
    for name, figures in calibration.actions.items():
        took = figures["seconds"]
        lines.append(
            f"  action {name:<20} fails {figures['fail']:.1%} of {figures['attempts']} attempts; "
            f"takes {took['p50']:.3g} s (p50), {took['p90']:.3g} s (p90)"
        )
    for name, figures in calibration.events.items():
        lines.append(
            f"  event {name:<21} came in {figures['arrives']:.0%} of {figures['waits']} waits"
            + (f", after {figures['after']}" if figures["after"] else "")
        )
    return "\n".join(lines)


def holdout_text(errors: dict[str, Any]) -> str:
    p50, p90 = errors["business_days_p50"], errors["business_days_p90"]
    lines = [
        f"held out: {errors['campaigns']['actual']} campaigns; predicted with "
        f"{errors['campaigns']['predicted']} simulated ones",
        f"  cycle time p50: predicted {p50['predicted']}, actual {p50['actual']} business days "
        f"(error {p50['error']:+.3g}, {p50['relative']:+.0%})",
        f"  cycle time p90: predicted {p90['predicted']}, actual {p90['actual']} business days "
        f"(error {p90['error']:+.3g}, {p90['relative']:+.0%})",
        "  escalation rate per step: predicted / actual (error)",
    ]
    for step, rate in errors["escalation_rate"].items():
        lines.append(
            f"    {step:<24} {rate['predicted']:.0%} / {rate['actual']:.0%} ({rate['error']:+.0%})"
        )
    return "\n".join(lines)
