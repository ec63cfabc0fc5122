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
from temporalio.exceptions import ApplicationError, is_cancelled_exception

from engine import ir
from engine.workflow import _continue_as_new as continuing
from engine.workflow import attributes as sa
from engine.workflow import business_time, patches, work_items
from engine.workflow._chosen import chosen_parties
from engine.workflow._state import Env, RunState
from engine.workflow._tasks import NOTIFY_HEARTBEAT, NOTIFY_TIMEOUT, run_activity
from engine.workflow.facts import (
    Decided,
    NoticeFact,
    NoticeKind,
    Outcome,
    Remark,
    Returned,
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
        run.publish_items(opened=_opened_fact(item))
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
        if carried is None and item.notices:
            await _tell(run, step, NoticeKind.OPENED, item, to=_opened_to(run, item))
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
    _send_back(run, item, decided, target)
    raise JumpTo(target, f"'{step.title}': {decided.replace('_', ' ')}", step.id)


def _send_back(run: RunState, item: WorkItem, decided: Outcome, target: str) -> None:
    """Keep why the campaign goes back for the work item or approval that does the
    rework: the first one at or after ``target`` (the rework conversation)."""
    if decided not in ("rejected", "changes_requested"):
        return
    steps = ir.iter_steps(run.require_process().body)
    at = next((i for i, s in enumerate(steps) if s.id == target), None)
    rework = next((s for s in steps[at:] if isinstance(s, ir.HumanStep)), None)
    if at is None or rework is None:
        return
    remarks = tuple(
        Remark(by=d.actor, action=d.action, comment=d.comment)
        for d in item.decisions
        if d.comment and d.action != "delegate"
    )
    run.returned[rework.id] = Returned(
        step=item.step, title=item.title, outcome=decided, round=item.round, remarks=remarks
    )


def _open(run: RunState, step: ir.HumanStep, env: Env, source: str, round_number: int) -> WorkItem:
    # Who may act: as written, and as worked out now ('role from route.team').
    parties = tuple(f"{p.kind}:{p.name}" for p in step.parties)
    parties = (*parties, *chosen_parties(run, step, step.parties_from, env))
    if not parties:
        raise run.failure(step.span, f"step '{step.id}': nobody may act on it", "NobodyToAsk")
    one_vote = patches.SOD_WITHOUT_GAPS.applies()
    barred = _barred(run, step, env, all_rounds=one_vote)
    people_barred = tuple(dict.fromkeys(str(person) for person, _rule in barred if person))
    now = workflow.now()
    item = WorkItem(
        step=step.id,
        title=step.title,
        form=step.form,
        source=source,
        round=round_number,
        parties=tuple(dict.fromkeys(parties)),
        barred=people_barred,
        barred_by=tuple((str(person), rule) for person, rule in barred if person),
        quorum=step.quorum,
        delegation=step.delegation,
        returns=tuple((f.name, f.type) for f in step.returns),
        opened_at=now,
        one_vote=one_vote,
        returned=run.returned.pop(step.id, None),
        notices=patches.STEP_NOTICES.applies(),
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


def _barred(
    run: RunState, step: ir.HumanStep, env: Env, *, all_rounds: bool
) -> list[tuple[str, str]]:
    """Who may not act on ``step`` (separation of duties), each with the rule that bars
    them (``not by draft.assignee``). ``not by draft.assignee`` bars everyone who held
    the draft in any round, not only the last; ``not by started_by`` bars the person
    who started the campaign."""
    barred: list[tuple[str, str]] = []
    scope: Env = ChainMap({STARTED_BY: run.started_by}, env)
    for expr in step.not_by:
        rule = f"not by {ir.expr_text(expr)}"
        value = run.eval(expr, scope, f"step '{step.id}'")
        barred.extend((person, rule) for person in (value if isinstance(value, list) else [value]))
        held = _held_step(expr, run)
        if all_rounds and held is not None:
            barred.extend((person, rule) for person in run.held.get(held, ()))
    return barred


def _held_step(expr: ir.Expr, run: RunState) -> str | None:
    """The human step a ``not by`` names people of (``draft.assignee``), if it does."""
    if isinstance(expr, ir.Attr) and isinstance(expr.obj, ir.Ref):
        name = expr.obj.name
        steps = ir.iter_steps(run.require_process().body)
        if any(isinstance(s, ir.HumanStep) and s.id == name for s in steps):
            return name
    return None


def _opened_fact(item: WorkItem) -> dict[str, Any] | None:
    """The step opened: a typed fact for the audit reader (a memo field), or None in a
    history recorded before facts were typed."""
    if not patches.TYPED_FACTS.applies():
        return None
    fact = StepOpened(
        step=item.step,
        form=item.form,
        round=item.round,
        parties=item.parties,
        deadline=item.deadline,
    )
    return fact.model_dump(mode="json")


def _opened_to(run: RunState, item: WorkItem) -> tuple[str, ...]:
    """Whom a step that opens tells: whom it names, those added to it, and for a round of
    rework of a work item, whoever did the round before (the author)."""
    to = [*item.parties, *(f"person:{p}" for p in item.added)]
    if item.returned is not None and item.form == "work":
        to += [f"person:{p}" for p in run.held.get(item.step, ())[-1:]]
    return tuple(dict.fromkeys(to))


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
                    or bool(_untold(run.items[step.id]))
                ),
                timeout=None if timeout is None else max(timeout, timedelta(0)),
                timeout_summary=summary,
            )
        await _tell_delegates(run, step)
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
    update: dict[str, Any] = {"escalated": item.escalated + 1, "added": added}
    if run.publishes_inbox():
        # Found by whom it was escalated to, as the process names them (role:cmo).
        update["escalated_to"] = tuple(dict.fromkeys((*item.escalated_to, *targets)))
    run.items[step.id] = item.model_copy(update=update)
    run.publish_items()
    await _tell(run, step, NoticeKind.ESCALATION, item, to=targets, added=added)


async def _remind(run: RunState, step: ir.HumanStep, item: WorkItem) -> None:
    waiting = (*item.parties, *(f"person:{p}" for p in item.added))
    await _tell(run, step, NoticeKind.REMINDER, item, to=waiting)


def _untold(item: WorkItem) -> list[work_items.Decision]:
    """The delegations of a step whose delegates have not been told yet."""
    if not item.notices:
        return []
    return [d for d in item.decisions if d.action == "delegate"][item.told :]


async def _tell_delegates(run: RunState, step: ir.HumanStep) -> None:
    """Tell each person a step was handed to, with who handed it and what they said."""
    for delegation in _untold(run.items[step.id]):
        item = run.items[step.id]
        run.items[step.id] = item = item.model_copy(update={"told": item.told + 1})
        if delegation.to is None:
            continue
        await _tell(
            run,
            step,
            NoticeKind.DELEGATED,
            item,
            to=(f"person:{delegation.to}",),
            by=delegation.actor,
            comment=delegation.comment or None,
        )


_TITLES = {
    NoticeKind.OPENED: "Opened",
    NoticeKind.REMINDER: "Reminder",
    NoticeKind.ESCALATION: "Escalated",
    NoticeKind.DELEGATED: "Delegated",
}
_LEGACY = {
    NoticeKind.REMINDER: "Reminder: '{}' waits for you",
    NoticeKind.ESCALATION: "Escalated: '{}' is past its deadline",
}


async def _tell(
    run: RunState,
    step: ir.HumanStep,
    kind: NoticeKind,
    item: WorkItem,
    *,
    to: tuple[str, ...],
    added: tuple[str, ...] = (),
    by: str | None = None,
    comment: str | None = None,
) -> None:
    """Send a notice; one that cannot be delivered is recorded on the campaign's steps,
    and the step keeps waiting for its people. The designer's subject and text, when the
    step has them, win.

    A step opened since the ``mops-step-notices`` patch sends the facts a notice is
    worded from (the worker writes the words, in each recipient's zone); one opened
    before sends its notice as it always did.
    """
    if item.notices:
        notice = NoticeFact(kind=kind, step=step.id, to=to, added=added, by=by, comment=comment)
        notice = notice.model_copy(update=_details(run, item))
        message, title = "", f"{_TITLES[kind]}: '{step.title}'"
    else:
        notice = NoticeFact(kind=kind, step=step.id, to=to, added=added)
        message = title = _LEGACY[kind].format(step.title)
    # The designer's subject and text, when the step has them, win.
    if item.subject is not None or item.body is not None:
        notice = notice.model_copy(update={"subject": item.subject, "body": item.body})
    arguments: dict[str, Any] = {"to": list(notice.to), "message": item.body or message}
    arguments["step"] = step.title
    if item.subject is not None:
        arguments["subject"] = item.subject
    if item.deadline is not None:
        arguments["deadline"] = item.deadline.isoformat()
    try:
        await run_activity(
            run,
            step=step.id,
            title=title,
            action="notify.send",
            arguments=arguments,
            span=step.span,
            start_to_close=NOTIFY_TIMEOUT,
            retry=ir.RetryPolicy(),
            heartbeat=NOTIFY_HEARTBEAT,
            purpose=TaskPurpose.NOTICE,
            notice=notice,
        )
    except ApplicationError as failed:
        # A notice cancelled with the step (an operator's cancel, an exit) is no failure
        # to wait past: the step is cancelled too.
        if item.notices and is_cancelled_exception(failed.__cause__ or failed):
            raise asyncio.CancelledError("cancelled while sending a notice") from failed


def _details(run: RunState, item: WorkItem) -> dict[str, Any]:
    """What a notice about ``item`` is worded from: typed facts, no sentence."""
    process = run.require_process()
    calendar = process.calendar
    return {
        "title": item.title,
        "form": item.form,
        "round": item.round,
        "process": process.title,
        "about": _about(run),
        "deadline": item.deadline,
        "zone": calendar.time_zone if calendar is not None else None,
        "calendar": calendar.name if calendar is not None else None,
        "returns": tuple(name for name, _type in item.returns),
        "barred": item.barred,
        "returned": item.returned,
    }


def _about(run: RunState) -> str:
    """What the campaign is about: its first text input (a topic, a title), else the
    process's title."""
    process = run.require_process()
    for decl in process.inputs:
        value = run.top_env.get(decl.name)
        if isinstance(decl.type, ir.ScalarType) and decl.type.name == "text" and value:
            return str(value)[:120]
    return process.title


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
    if changed and run.publishes_inbox():
        # A delegation: the delegate's inbox lists the step from now on.
        run.publish_items()
        changed = False
    else:
        if run.publishes_inbox():
            # Who has acted in this round: their inbox no longer lists the step.
            run.publish_inbox()
        changes += run.changed()  # (patched) the app's inbox index reads it again
    if changed:
        changes.append(sa.WAITING_ON.value_set(work_items.waiting_on(run.items.values())))
    if act.action == "approve" and (approver := sa.approver_update(act.actor)):
        changes.append(approver)
    if changes:
        workflow.upsert_search_attributes(changes)
