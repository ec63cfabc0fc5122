"""Work items and approvals: opening them, waiting for people, reminders, escalations,
and the decisions people take on them.

A step waits for its people with reminders and an escalation ladder as durable
timers in business time. What it writes for readers is typed data
(:mod:`engine.workflow.facts`): the step opening (a memo fact), each notice (the
activity's input), each timer (its summary) and each decision (the update's
result). Runs inside the workflow sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections import ChainMap
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

from engine import ir
from engine.workflow import _continue_as_new as continuing
from engine.workflow import attributes as sa
from engine.workflow import business_time, patches, work_items
from engine.workflow._chosen import chosen_parties
from engine.workflow._state import Env, RunState
from engine.workflow._tasks import NOTIFY_HEARTBEAT, NOTIFY_TIMEOUT, run_activity
from engine.workflow.facts import (
    OPENED_MEMO,
    Decided,
    NoticeFact,
    NoticeKind,
    Outcome,
    StepOpened,
    TaskPurpose,
    TimerFact,
    TimerPurpose,
)
from engine.workflow.jumps import JumpTo
from engine.workflow.limits import decision_problem
from engine.workflow.values import display, from_plain_json
from engine.workflow.work_items import Act, WorkItem

STARTED_BY = "started_by"
"""The name ``not by`` knows the person who started the campaign by (the checker's too)."""


async def human(run: RunState, step: ir.HumanStep, env: Env) -> None:
    """A work item or approval: open it, wait until it is decided, follow the outcome."""
    source = run.location(step.span)
    carried = continuing.take_carried_item(run, step)
    if carried is None:
        round_number = run.rounds[step.id] = run.rounds.get(step.id, 0) + 1
        item = _open(run, step, env, source, round_number)
        run.items[step.id] = item
        # The fact first: a reader that sees it no longer infers openings from
        # the search attributes published next.
        _write_opened(run, item)
        run.publish_items()
        run.begin(
            step.id,
            f"{'Approval' if step.form == 'approval' else 'Work'}: {step.title}",
            None,
            source,
        )
        next_reminder = None
    else:
        # Continued as new while open: the step goes on where it was.
        item, next_reminder = carried
        round_number = item.round
    try:
        decided = await _wait_for_people(run, step, env, next_reminder)
    except asyncio.CancelledError:
        # Cancelled (an exit, a finished 'parallel first'): nobody waits any more.
        run.items.pop(step.id, None)
        run.publish_items()
        raise
    item = run.items.pop(step.id)
    run.publish_items()
    env[step.id] = from_plain_json(work_items.result(item, decided, workflow.now()))
    run.end(step.id, "done")
    target = {"rejected": step.on_reject, "changes_requested": step.on_changes}.get(decided)
    if target is None:
        return
    if step.rounds is not None and round_number >= step.rounds.count:
        # That was the last round: the designed outcome, not another loop.
        _rounds_exhausted(run, step, env, source)
        return
    raise JumpTo(target, f"'{step.title}': {decided.replace('_', ' ')}", step.id)


def _open(run: RunState, step: ir.HumanStep, env: Env, source: str, round_number: int) -> WorkItem:
    # Who may act: as written, and as worked out now ('role from route.team').
    parties = tuple(f"{p.kind}:{p.name}" for p in step.parties)
    parties = (*parties, *chosen_parties(run, step, step.parties_from, env))
    if not parties:
        raise run.failure(step.span, f"step '{step.id}': nobody may act on it", "NobodyToAsk")
    one_vote = patches.SOD_WITHOUT_GAPS.applies()
    barred = _barred(run, step, env, all_rounds=one_vote)
    now = workflow.now()
    item = WorkItem(
        step=step.id,
        title=step.title,
        form=step.form,
        source=source,
        round=round_number,
        parties=tuple(dict.fromkeys(parties)),
        barred=tuple(str(b) for b in barred if b),
        quorum=step.quorum,
        delegation=step.delegation,
        returns=tuple((f.name, f.type) for f in step.returns),
        opened_at=now,
        one_vote=one_vote,
    )
    people = work_items.eligible_people(item, run.team_now()) - set(item.barred)
    needed = {"any": 1, "all": max(1, len(people)), "count": step.quorum_count or 1}
    deadline = None
    due = run.duration(step.deadline, step.deadline_expr, env, step, "the deadline")
    calendar = run.calendar_of(step, env)
    if due is not None:
        deadline = business_time.add(now, due, calendar)
    own = None if calendar is None or calendar is run.require_process().calendar else calendar
    return item.model_copy(
        update={
            "needed": needed[step.quorum],
            "deadline": deadline,
            "calendar": None if own is None else own.name,
            "instructions": step.instructions,
            # The designer's words for its notices, with the values of now.
            "subject": _text(run, step, step.notice_subject, env),
            "body": _text(run, step, step.notice_body, env),
        }
    )


def _text(run: RunState, step: ir.HumanStep, text: ir.Expr | None, env: Env) -> str | None:
    return None if text is None else display(run.eval(text, env, f"step '{step.id}'"))


def _barred(run: RunState, step: ir.HumanStep, env: Env, *, all_rounds: bool) -> list[str]:
    """Who may not act on ``step`` (separation of duties). ``not by draft.assignee`` bars
    everyone who held the draft in any round, not only the last; ``not by started_by``
    bars the person who started the campaign."""
    barred: list[str] = []
    scope: Env = ChainMap({STARTED_BY: run.started_by}, env)
    for expr in step.not_by:
        value = run.eval(expr, scope, f"step '{step.id}'")
        barred.extend(value if isinstance(value, list) else [value])
        held = _held_step(expr, run)
        if all_rounds and held is not None:
            barred.extend(run.held.get(held, ()))
    return barred


def _held_step(expr: ir.Expr, run: RunState) -> str | None:
    """The human step a ``not by`` names people of (``draft.assignee``), if it does."""
    if isinstance(expr, ir.Attr) and isinstance(expr.obj, ir.Ref):
        name = expr.obj.name
        steps = ir.iter_steps(run.require_process().body)
        if any(isinstance(s, ir.HumanStep) and s.id == name for s in steps):
            return name
    return None


def _write_opened(run: RunState, item: WorkItem) -> None:
    """The step opened: a typed fact for the audit reader (one memo event)."""
    if not patches.TYPED_FACTS.applies():
        return
    fact = StepOpened(
        step=item.step,
        form=item.form,
        round=item.round,
        parties=item.parties,
        deadline=item.deadline,
    )
    workflow.upsert_memo({OPENED_MEMO: fact.model_dump(mode="json")})


async def _wait_for_people(
    run: RunState, step: ir.HumanStep, env: Env, next_reminder: dt.datetime | None
) -> Outcome:
    calendar = run.calendar_of(step, env)
    opened = run.items[step.id].opened_at
    ladder: list[tuple[dt.datetime, tuple[str, ...]]] = []
    for rung in step.escalations:
        after = run.duration(rung.after, rung.after_expr, env, step, "the escalation")
        at = run.items[step.id].deadline or opened
        targets = tuple(f"{p.kind}:{p.name}" for p in rung.to)
        targets = (*targets, *chosen_parties(run, step, rung.to_from, env))
        when = at if after is None else business_time.add(opened, after, calendar)
        ladder.append((when, targets))
    ladder.sort(key=lambda pair: pair[0])
    every = run.duration(step.remind_every, step.remind_every_expr, env, step, "the reminder")
    if next_reminder is None and every:
        next_reminder = business_time.add(opened, every, calendar)
    summary = TimerFact(purpose=TimerPurpose.PEOPLE, step=step.id).summary
    while True:
        decided = work_items.outcome(run.items[step.id])
        if decided is not None:
            return decided
        if continuing.due_at_open_step(run, step):
            await continuing.at_open_step(run, step, next_reminder)  # returns if it may not
            continue
        item = run.items[step.id]
        upcoming = [t for t, _ in ladder[item.escalated :]] + (
            [next_reminder] if next_reminder else []
        )
        timeout = min(upcoming) - workflow.now() if upcoming else None
        with contextlib.suppress(TimeoutError):  # a timer is due: see below
            await workflow.wait_condition(
                lambda: (
                    work_items.outcome(run.items[step.id]) is not None
                    or continuing.due_at_open_step(run, step)
                ),
                timeout=None if timeout is None else max(timeout, timedelta(0)),
                timeout_summary=summary,
            )
        now = workflow.now()
        item = run.items[step.id]
        while item.escalated < len(ladder) and ladder[item.escalated][0] <= now:
            await _escalate(run, step, item, ladder[item.escalated][1])
            item = run.items[step.id]
        if next_reminder is not None and next_reminder <= now and work_items.outcome(item) is None:
            await _remind(run, step, item)
            assert every is not None
            next_reminder = business_time.add(now, every, calendar)


async def _escalate(
    run: RunState, step: ir.HumanStep, item: WorkItem, targets: tuple[str, ...]
) -> None:
    team = run.team_now()
    widened: set[str] = set(item.added)
    for target in targets:
        kind, _, name = target.partition(":")
        widened.update(team.with_role(name) if kind == "role" else [name])
    added = tuple(sorted(widened))
    # The step stays open and waits on; whoever it was escalated to may now act.
    run.items[step.id] = item.model_copy(update={"escalated": item.escalated + 1, "added": added})
    run.publish_items()
    notice = NoticeFact(kind=NoticeKind.ESCALATION, step=step.id, to=targets, added=added)
    await _tell(run, step, notice, f"Escalated: '{step.title}' is past its deadline", item)


async def _remind(run: RunState, step: ir.HumanStep, item: WorkItem) -> None:
    waiting = (*item.parties, *(f"person:{p}" for p in item.added))
    notice = NoticeFact(kind=NoticeKind.REMINDER, step=step.id, to=waiting)
    await _tell(run, step, notice, f"Reminder: '{step.title}' waits for you", item)


async def _tell(
    run: RunState, step: ir.HumanStep, notice: NoticeFact, message: str, item: WorkItem
) -> None:
    """Send a notice; one that cannot be delivered is recorded on the campaign's steps,
    and the step keeps waiting for its people. The designer's subject and text, when the
    step has them, win."""
    if item.subject is not None or item.body is not None:
        notice = notice.model_copy(update={"subject": item.subject, "body": item.body})
    arguments: dict[str, Any] = {"to": list(notice.to), "message": item.body or message}
    arguments["step"] = step.title
    if item.subject is not None:
        arguments["subject"] = item.subject
    if item.deadline is not None:
        arguments["deadline"] = item.deadline.isoformat()
    with contextlib.suppress(ApplicationError):
        await run_activity(
            run,
            step=step.id,
            title=message,
            action="notify.send",
            arguments=arguments,
            span=step.span,
            start_to_close=NOTIFY_TIMEOUT,
            retry=ir.RetryPolicy(),
            heartbeat=NOTIFY_HEARTBEAT,
            purpose=TaskPurpose.NOTICE,
            notice=notice,
        )


def _rounds_exhausted(run: RunState, step: ir.HumanStep, env: Env, source: str) -> None:
    limit = step.rounds
    assert limit is not None
    if limit.outcome == "jump" and limit.target:
        raise JumpTo(limit.target, f"'{step.title}' used its {limit.count} rounds", step.id)
    if limit.outcome == "continue":
        return
    message = limit.message
    if message is not None and not isinstance(message, str):
        message = display(run.eval(message, env, step.id))
    message = message or f"'{step.title}' did not converge in {limit.count} rounds"
    raise ApplicationError(f"{source}: {message}", type="RoundsExhausted", non_retryable=True)


# ---- decisions ---------------------------------------------------------------------------


def judge(run: RunState, act: Act) -> str | None:
    """Why ``act`` may not be taken now (the update validator's reason), or None."""
    if (too_large := decision_problem(act)) is not None:
        return too_large
    return work_items.refusal(run.items.get(act.step), act, run.team_now(), workflow.now())


def accept(run: RunState, act: Act) -> Decided:
    """Apply an act the validator accepted; returns what became of it, as data."""
    before = work_items.waiting_on(run.items.values())
    item = work_items.record(run.items[act.step], act, run.team_now(), workflow.now())
    run.items[act.step] = item
    if act.action != "delegate" and act.actor not in run.held.get(item.step, ()):
        run.held[item.step] = [*run.held.get(item.step, ()), act.actor]
    if patches.ONE_UPSERT_PER_DECISION.applies():
        _publish_decision(run, act, changed=work_items.waiting_on(run.items.values()) != before)
    else:
        run.publish_items()
        if act.action == "approve" and patches.APPROVERS_ATTRIBUTE.applies():
            sa.add_approver(act.actor)
    decided = work_items.outcome(item)
    approvals = sum(1 for d in item.decisions if d.action == "approve")
    return Decided(
        step=item.step,
        title=item.title,
        action=act.action,
        via=item.decisions[-1].via,
        outcome=decided,
        waiting_for=0 if decided is not None else max(item.needed - approvals, 0),
    )


def _publish_decision(run: RunState, act: Act, *, changed: bool) -> None:
    """At most one search-attribute event per decision: whom the campaign waits for
    (when a delegation changed it) and who approved. Without our search attributes
    the memo lists only the open steps, which a decision leaves open."""
    if not run.has_attributes():
        return
    changes: list[SearchAttributeUpdate[Any]] = []
    if changed:
        changes.append(sa.WAITING_ON.value_set(work_items.waiting_on(run.items.values())))
    if act.action == "approve" and (approver := sa.approver_update(act.actor)):
        changes.append(approver)
    if changes:
        workflow.upsert_search_attributes(changes)
