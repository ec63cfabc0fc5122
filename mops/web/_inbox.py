"""A person's inbox, answered from the app's index of open steps and what the app
keeps: no history is read and no campaign is asked, so it answers as fast with
10,000 open campaigns as with ten, and also when no worker runs.

The index (mops.web._open_steps) holds every running campaign that waits on someone
(``MopsWaitingOn``) with the open steps it publishes in its memo (``inbox``: each
work item and approval, its parties, round, deadline and who has acted); campaigns
it does not keep are found by a visibility query of their own. A campaign recorded
before it published its open steps names only the one that opened last (``opened``).
The IR of its process version (kept by the app, read once per version) gives each
step's title, who it escalates to and its separation of duties.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Set

from pydantic import BaseModel, ConfigDict
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from engine import ir
from engine.workflow import attributes as sa
from engine.workflow import business_time, work_items
from engine.workflow.facts import StepOpened
from mops.web._backend import Backend, today
from mops.web._open_steps import Waiting, waiting_of


class Row(BaseModel):
    """One open step a person may act on."""

    model_config = ConfigDict(frozen=True)

    campaign: str
    process: str
    process_title: str
    step: str
    title: str
    form: str
    round: int
    deadline: dt.datetime | None
    via: str
    """``role editor``, ``assigned to you``, ``delegate of dan``, ``escalated to you``,
    ``delegated to you``."""
    time_left: str
    overdue: bool
    part_of: str | None = None


def keys_of(b: Backend, person: str) -> list[str]:
    """What ``MopsWaitingOn`` holds for the person: themselves, their roles, and those of
    the people they stand in for today."""
    directory = b.directory()
    found = {f"person:{person}"}
    if directory is None or person not in directory.people:
        return sorted(found)
    me = directory.people[person]
    found |= {f"role:{r}" for r in me.roles}
    for other in directory.people.values():
        for away in other.away:
            if away.delegate == person and away.covers(today()):
                found |= {f"person:{other.id}", *(f"role:{r}" for r in other.roles)}
    return sorted(found)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def human_step(process: ir.ProcessIR | None, step: str) -> ir.HumanStep | None:
    if process is None:
        return None
    return next(
        (s for s in ir.iter_steps(process.body) if isinstance(s, ir.HumanStep) and s.id == step),
        None,
    )


async def inbox(
    b: Backend,
    person: str,
    *,
    process: str | None = None,
    campaign: str | None = None,
    limit: int = 5000,
) -> list[Row]:
    """Every open step ``person`` may act on, soonest deadline first: the campaigns the
    app's index keeps (mops.web._open_steps), and by a visibility query those it does
    not keep (every campaign, until the index is filled)."""
    keys = keys_of(b, person)
    clauses = [
        f"TaskQueue = '{_quote(b.settings.task_queue)}'",
        "ExecutionStatus = 'Running'",
        f"{sa.WAITING_ON.name} IN ({', '.join(repr_key(k) for k in keys)})",
    ]
    if process:
        clauses.append(f"WorkflowType = '{_quote(process)}'")
    if campaign:
        clauses.append(f"WorkflowId = '{_quote(campaign)}'")
    found: list[Waiting] = []
    if await b.open_steps.current(b.client):
        found = [
            w
            for w in b.open_steps.waiting_on(keys)
            if (not process or w.process == process) and (not campaign or w.campaign == campaign)
        ]
        clauses.append(f"{sa.CHANGED_AT.name} IS NULL")  # only those the index does not keep
    async for execution in b.client.list_workflows(" AND ".join(clauses), limit=limit):
        found.append(await waiting_of(execution))
    rows: list[Row] = []
    for waiting in found:
        rows += await rows_of(b, person, waiting)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (r.deadline or far, r.campaign, r.step))
    return rows


async def open_step(
    b: Backend, person: str, campaign: str, step: str, *, indexed: bool = False
) -> Row | None:
    """The step ``step`` of ``campaign`` if it is open and ``person`` may act on it: the
    inbox's own judgement, from the campaign's description — one read by its id, no
    visibility query (so no visibility lag either); what a decision checks before the
    app signs it.

    ``indexed``: when the app's index shows the step open for the person, that answer
    (no read at all): for sending a decision, which the campaign judges again — one
    on a step closed since the index's last look is refused by the campaign, and shown
    so. A step the index does not show is judged from the description."""
    kept = b.open_steps.campaigns.get(campaign) if indexed else None
    if kept is not None and kept.waiting & set(keys_of(b, person)):
        row = next((r for r in await rows_of(b, person, kept) if r.step == step), None)
        if row is not None:
            return row
    try:
        found = await b.client.get_workflow_handle(campaign).describe()
    except RPCError:
        return None
    if (
        found.status != WorkflowExecutionStatus.RUNNING
        or found.task_queue != b.settings.task_queue
        or not set(found.typed_search_attributes.get(sa.WAITING_ON) or ()) & set(keys_of(b, person))
    ):
        return None
    rows = await rows_of(b, person, await waiting_of(found))
    return next((row for row in rows if row.step == step), None)


async def rows_of(b: Backend, person: str, found: Waiting) -> list[Row]:
    """The open steps of one campaign that ``person`` may act on: each of those it
    published (two parallel approvals are two rows), or the one that opened last."""
    process = await b.process(found.version, found.campaign)
    if found.items is None:
        opened = found.opened
        step = human_step(process, opened.step) if opened else None
        row = _row(b, person, found.campaign, found.process, process, step, opened, found.waiting)
        return [] if row is None else [row.model_copy(update={"part_of": found.parent})]
    rows = []
    for item in found.items:
        if person in item.barred or work_items.has_acted(item, person):
            continue
        step = human_step(process, item.step)
        opened = StepOpened(
            step=item.step,
            form=item.form,
            round=item.round,
            parties=item.parties,
            deadline=item.deadline,
        )
        waiting = set(work_items.waiting_on([item]))
        row = _row(b, person, found.campaign, found.process, process, step, opened, waiting)
        if row is not None:
            title = row.title if step else item.title
            rows.append(row.model_copy(update={"part_of": found.parent, "title": title}))
    return rows


def repr_key(key: str) -> str:
    return f"'{_quote(key)}'"


def _row(
    b: Backend,
    person: str,
    campaign: str,
    process_name: str,
    process: ir.ProcessIR | None,
    step: ir.HumanStep | None,
    opened: StepOpened | None,
    waiting: Set[str],
) -> Row | None:
    if opened is None and step is None:
        return None
    parties = (
        opened.parties
        if opened
        else tuple(f"{p.kind}:{p.name}" for p in (step.parties if step else ()))
    )
    via = how(b, person, parties, waiting, step)
    if via is None or barred(b, person, campaign, step):
        return None
    deadline = opened.deadline if opened else None
    zone = _zone(b, person)
    calendar = process.calendar if process else None
    left, overdue = time_left(deadline, calendar, zone)
    return Row(
        campaign=campaign,
        process=process_name,
        process_title=process.title if process else process_name,
        step=opened.step if opened else step.id if step else "",
        title=step.title if step else (opened.step if opened else ""),
        form=opened.form if opened else step.form if step else "approval",
        round=opened.round if opened else 1,
        deadline=deadline,
        via=via,
        time_left=left,
        overdue=overdue,
    )


def how(
    b: Backend,
    person: str,
    parties: Iterable[str],
    waiting: Set[str],
    step: ir.HumanStep | None,
) -> str | None:
    """Why ``person`` may act on the step, in the words the inbox shows, or None."""
    directory = b.directory()
    me = directory.people.get(person) if directory else None
    roles = set(me.roles) if me else set()
    parties = tuple(parties)
    for party in parties:
        kind, _, name = party.partition(":")
        if kind == "person" and name == person:
            return "assigned to you"
        if kind == "role" and name in roles:
            return f"role {name}"
    if f"person:{person}" in waiting:
        rungs = [p for rung in (step.escalations if step else ()) for p in rung.to]
        if any((p.kind == "role" and p.name in roles) or p.name == person for p in rungs):
            return "escalated to you"
        return "delegated to you"
    if directory is not None and (step is None or step.delegation):
        for other in directory.people.values():
            for away in other.away:
                if away.delegate == person and away.covers(today()):
                    named = {f"person:{other.id}", *(f"role:{r}" for r in other.roles)}
                    if named & set(parties):
                        return f"delegate of {other.id}"
    return None


def barred(b: Backend, person: str, campaign: str, step: ir.HumanStep | None) -> bool:
    """Separation of duties as far as the app knows it: ``not by draft.assignee`` (or
    ``.approvers``) bars whoever the app saw act on ``draft`` in this campaign."""
    if step is None or not step.not_by:
        return False
    acted = b.store.acted(campaign, person)
    for expr in step.not_by:
        if isinstance(expr, ir.Attr) and isinstance(expr.obj, ir.Ref) and expr.obj.name in acted:
            return True
    return False


def _zone(b: Backend, person: str) -> dt.tzinfo:
    found = b.person(person)
    try:
        return zoneinfo.ZoneInfo(found.time_zone if found else "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def time_left(
    deadline: dt.datetime | None,
    calendar: ir.Calendar | None,
    zone: dt.tzinfo,
    *,
    now: dt.datetime | None = None,
) -> tuple[str, bool]:
    """Business time left until ``deadline`` in the process's calendar, with the deadline
    in the person's zone: ``1 business day 3 h left (due Thu 12 Mar 17:00 CET)``."""
    if deadline is None:
        return "no deadline", False
    now = now or dt.datetime.now(dt.UTC)
    local = deadline.astimezone(zone)
    due = f"due {local:%a %d %b %H:%M} {local.tzname()}"
    if deadline <= now:
        return f"overdue ({due})", True
    hours = working_hours(now, deadline, calendar)
    day = _day_hours(calendar)
    days, rest = divmod(round(hours * 60), round(day * 60))
    parts = []
    if days:
        parts.append(f"{days} business day{'s' if days != 1 else ''}")
    if rest >= 60:
        parts.append(f"{rest // 60} h")
    if not parts:
        parts.append(f"{max(rest, 1)} min")
    return f"{' '.join(parts)} left ({due})", False


def _day_hours(calendar: ir.Calendar | None) -> float:
    if calendar is None or calendar.office_hours is None:
        return 24.0
    start, end = calendar.office_hours
    return (end.hour * 60 + end.minute - start.hour * 60 - start.minute) / 60


def working_hours(begin: dt.datetime, end: dt.datetime, calendar: ir.Calendar | None) -> float:
    """Working hours between two moments in ``calendar`` (every hour counts without one)."""
    if calendar is None:
        return (end - begin).total_seconds() / 3600
    zone = zoneinfo.ZoneInfo(calendar.time_zone)
    first, last = begin.astimezone(zone).date(), end.astimezone(zone).date()
    total = 0.0
    day = first
    for _ in range(800):  # at most a couple of years ahead: a deadline is nearer
        if day > last:
            break
        if business_time.is_working_day(day, calendar):
            hours = calendar.office_hours or (dt.time(0), dt.time(23, 59, 59))
            opens = dt.datetime.combine(day, hours[0], zone)
            closes = dt.datetime.combine(day, hours[1], zone)
            lo, hi = max(opens, begin), min(closes, end)
            if hi > lo:
                total += (hi - lo).total_seconds() / 3600
        day += dt.timedelta(days=1)
    return total
