"""The shape of the figures (``report``'s JSON) as models: the JSON API's schema.

``report`` makes plain dictionaries (kept as JSON with the store, printed by
``mops insights --json``); these models say what is in them, field by field, for
the OpenAPI document of the people's app, and check it (``Figures.model_validate``:
a figure added to ``report`` and not here is an error, not a silent gap).
docs/insights.md says what each figure means.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignCounts(_Shape):
    started: int
    completed: int
    failed: int
    cancelled: int
    terminated: int
    timed_out: int
    running: int
    """Running or paused now."""


class Spread(_Shape):
    p50: float
    p90: float
    max: float


class CycleTime(_Shape):
    """From start to end of the completed campaigns."""

    calendar_days: Spread
    business_days: Spread


class StepHours(_Shape):
    people: float
    work: float
    timers: float


class DeadlinesKept(_Shape):
    met: int
    missed: int


class StepFigures(_Shape):
    """A step that ran, averaged over the campaigns that ran it (business hours)."""

    step: str
    title: str
    kind: str
    campaigns: int
    hours: StepHours
    deadline: DeadlinesKept
    escalation_rate: float | None
    rework_rounds: float | None
    refusals: int
    outcomes: dict[str, int]


class RoleFigures(_Shape):
    role: str
    items: int
    open_now: int
    response_hours: Spread


class PersonFigures(_Shape):
    person: str
    answers: int
    response_hours: Spread
    covered_for_others: int
    took_escalations: int


class RuleRowFired(_Shape):
    step: str
    line: int
    fired: int


class Bottleneck(_Shape):
    rank: int
    step: str
    hours: float
    share: float
    mostly: str
    by_kind: dict[str, float]


class VersionFigures(_Shape):
    """Every figure of one version of a process."""

    process: str
    version: str
    campaigns: CampaignCounts
    cycle_time: CycleTime
    steps: list[StepFigures]
    roles: list[RoleFigures]
    people: list[PersonFigures]
    rules: list[RuleRowFired]
    bottlenecks: list[Bottleneck]
    load: dict[str, list[tuple[str, int]]]
    """Open work items per role: (day, count) at noon of each week the campaigns span."""


class KeyFigures(_Shape):
    version: str
    campaigns: int
    completed_share: float
    business_days_p50: float
    business_days_p90: float
    escalation_rate_max: float
    top_bottleneck: str


class VersionsCompared(_Shape):
    """The latest two versions of a process in the selection, side by side."""

    process: str
    before: KeyFigures
    after: KeyFigures


class Figures(_Shape):
    """What ``mops insights --json`` prints and ``GET /api/insights`` answers."""

    generated_at: str
    versions: list[VersionFigures]
    compared: list[VersionsCompared]
