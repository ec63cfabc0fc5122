"""``mops check --plan``: the worst-case duration along the critical path."""

from __future__ import annotations

from pathlib import Path

from dsl import Catalogue, SourceFile, ast, check_file, check_source, load_directory
from dsl._calendar_defs import resolve_calendar
from dsl._calendars import CalendarSpec
from dsl._graph import build_graph
from dsl._plan import NotCounted, Plan, plan
from dsl._plan_time import (
    BACKOFF_FACTOR,
    DEFAULT_ATTEMPTS,
    DEFAULT_FIRST_WAIT_SECONDS,
    DEFAULT_LONGEST_WAIT_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
)
from engine import ir
from mops.cli._plan import print_plan
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())
EXAMPLES = Path(__file__).parent / "examples"
LIBRARY = Path(__file__).parent.parent / "processes"
QUICK = 'log.info(message: "x")'
"""A task of one attempt of up to a minute (see ``quick``)."""


def process_of(*lines: str) -> ast.Process:
    text = "process launch\n  input lead: email\n" + "".join(f"  {line}\n" for line in lines)
    process = check_source(SourceFile.from_text(text, "x.mops"), CATALOGUE).process
    assert process is not None
    return process


def plan_of(*lines: str, calendar: CalendarSpec | None = None) -> Plan:
    process = process_of(*lines)
    return plan(process, build_graph(process), calendar, catalogue=CATALOGUE)


def quick(name: str) -> tuple[str, ...]:
    return (f"task {name} = {QUICK}", "  timeout 1 minute", "  retry 0 times")


def path(found: Plan) -> list[tuple[str, str]]:
    """(step, time it adds) along the critical path."""
    return [(s.id, f"{s.takes}{' per item' if s.per_item else ''}") for s in found.steps]


def waits(*durations: str) -> tuple[str, ...]:
    return tuple(f"  wait {d}" for d in durations)


# ---- tasks ----------------------------------------------------------------------------------


def test_a_task_takes_its_timeout_for_every_attempt_and_the_waits_between_them() -> None:
    found = plan_of(
        f"task sync = {QUICK}", "  timeout 1 minute", "  retry 2 times backoff 10s to 15s"
    )

    assert found.total_text == "3 minutes + 25 seconds"
    [step] = found.steps
    assert step.why == "3 attempts of up to 1 minute + 25 seconds between them"


def test_a_task_without_options_uses_its_actions_timeout_and_the_engines_retries() -> None:
    process = process_of(f"task sync = {QUICK}")
    graph = build_graph(process)

    assert plan(process, graph, None, catalogue=CATALOGUE).total_text == "5 minutes + 15 seconds"
    assert plan(process, graph, None).total_text == "25 minutes + 15 seconds"


def test_the_plans_task_defaults_are_the_engines() -> None:
    retry = ir.RetryPolicy()
    assert ir.TaskStep.model_fields["timeout_seconds"].default == DEFAULT_TIMEOUT_SECONDS
    assert (retry.maximum_attempts, retry.backoff) == (DEFAULT_ATTEMPTS, BACKOFF_FACTOR)
    assert retry.initial_interval_seconds == DEFAULT_FIRST_WAIT_SECONDS
    assert retry.maximum_interval_seconds == DEFAULT_LONGEST_WAIT_SECONDS


# ---- people ---------------------------------------------------------------------------------


APPROVAL = ("approval review", "  by role editor", "  deadline 2 business days")


def test_a_human_step_counts_its_deadline_plus_its_last_escalation() -> None:
    found = plan_of(
        *APPROVAL, "  escalate to role lead", "  escalate to role cmo after 3 business days"
    )

    assert found.total_text == "5 business days"
    assert found.steps[0].why == "deadline 2 business days + last escalation after 3 business days"


def test_escalating_at_the_deadline_gives_the_deadline_again() -> None:
    found = plan_of(*APPROVAL, "  escalate to role lead")

    assert found.total_text == "4 business days"
    assert found.steps[0].why == (
        "deadline 2 business days, escalated at the deadline and given it again"
    )


def test_a_human_step_without_a_deadline_is_not_counted() -> None:
    found = plan_of("approval review", "  by role editor")

    assert found.total_text == "not known before the campaign runs"
    assert found.not_counted == (
        NotCounted("review", "review", 3, "no deadline: it may wait forever"),
    )


# ---- rework ---------------------------------------------------------------------------------


def test_a_rework_loop_counts_every_round_its_approval_allows() -> None:
    found = plan_of(
        "work draft",
        "  assign role writer",
        "  deadline 3 business days",
        "  escalate to role lead after 4 business days",
        *APPROVAL,
        "  escalate to role lead",
        "  on reject -> draft",
        "  on changes -> draft",
        "  at most 3 rounds",
    )

    assert found.total_text == "33 business days"
    assert path(found) == [("draft", "21 business days"), ("review", "12 business days")]
    assert found.steps[0].why == (
        "deadline 3 business days + last escalation after 4 business days; 3 rounds of 'review'"
    )


def test_go_back_runs_its_stretch_once_more_than_it_goes_back() -> None:
    found = plan_of(
        *quick("draft"), "wait 1 day", "go back to draft, at most 2 times", "wait 1 hour"
    )

    assert path(found) == [
        ("draft", "3 minutes"),
        ("wait_line_6", "3 days"),
        ("wait_line_8", "1 hour"),
    ]
    assert found.steps[1].why == "wait 1 day; 3 passes of 'go back to draft'"


def test_a_go_back_into_a_rework_loop_adds_its_pass_as_the_engine_counts_them() -> None:
    # The 'go back' lands on 'review', after where its rework starts ('brief'),
    # so it does not start the rounds again: 'review' rejects twice (rounds 1,
    # 2), is approved (3), goes back once, and its fourth round's reject ends
    # the rounds. 'brief' runs three times.
    found = plan_of(
        *quick("brief"),
        *APPROVAL,
        "  escalate to role lead",
        "  on reject -> brief",
        "  at most 3 rounds",
        "wait 1 day",
        "go back to review, at most 1 time",
        "wait 1 hour",
    )

    assert path(found) == [
        ("brief", "3 minutes"),
        ("review", "16 business days"),
        ("wait_line_12", "2 days"),
        ("wait_line_14", "1 hour"),
    ]
    assert found.steps[1].why.endswith(
        "; 4 runs: 2 (2 passes of 'go back to review') + 2 more (3 rounds of 'review')"
    )
    assert found.total_text == "16 business days + 2 days + 1 hour + 3 minutes"


def test_a_go_back_cycle_around_a_rework_loop_multiplies_its_rounds() -> None:
    # A monthly cycle: each pass comes to 'brief' again, so 'review' has its 3
    # rounds in each of the 2 passes.
    found = plan_of(
        *quick("brief"),
        *APPROVAL,
        "  escalate to role lead",
        "  on reject -> brief",
        "  at most 3 rounds",
        "wait 1 day",
        "go back to brief, at most 1 time",
    )

    assert path(found)[:2] == [
        ("brief", "6 minutes"),
        ("review", "24 business days"),
    ]
    assert found.steps[1].why.endswith(
        "; 6 runs: 3 rounds of 'review' in each of 2 passes of 'go back to brief'"
    )
    assert found.total_text == "24 business days + 2 days + 6 minutes"


def rework_in_branches(condition: str, *before: str) -> Plan:
    """'draft', then an 'if' with a legal approval in each branch, both sending it back."""
    return plan_of(
        *before,
        "work draft",
        "  assign role writer",
        "  deadline 3 business days",
        "  escalate to role lead",
        f"if {condition}",
        *(f"  {line}" for line in APPROVAL),
        "    escalate to role lead",
        "    on changes -> draft",
        "    at most 3 rounds",
        "else",
        "  approval quick",
        "    by role legal",
        "    deadline 1 business day",
        "    escalate to role lead",
        "    on changes -> draft",
        "    at most 2 rounds",
    )


def test_rework_from_two_branches_of_an_if_counts_the_larger_not_both() -> None:
    # Every pass takes the same branch (the condition reads an input): 'review'
    # sends 'draft' back twice at most, 'quick' once; never both.
    found = rework_in_branches('lead == "vip@example.com"')

    assert path(found) == [("draft", "18 business days"), ("review", "12 business days")]
    assert found.steps[0].why.endswith("; 3 rounds of 'review' or 2 rounds of 'quick'")
    assert found.total_text == "30 business days"


def test_rework_from_two_branches_adds_up_when_a_rerun_can_switch_the_branch() -> None:
    # The condition reads what the draft step returns: one pass may end in
    # 'review' and the next in 'quick', so both loops' extra passes count.
    found = rework_in_branches("draft.completed_by == lead")

    assert path(found) == [("draft", "24 business days"), ("review", "16 business days")]
    assert found.steps[0].why.endswith(
        "; 4 runs: 2 more (3 rounds of 'review') + 1 more (2 rounds of 'quick')"
    )


def test_a_decision_from_inputs_keeps_the_branch_a_rerun_takes() -> None:
    found = rework_in_branches(
        "tier", "decide tier", '  when lead == "a@b.c" -> true', "  otherwise -> false"
    )

    assert found.total_text == "30 business days"


def test_the_library_content_review_counts_one_legal_branch() -> None:
    # processes/content_review.mops: legal_full and legal_quick sit in the two
    # branches of one 'if' and both send the draft back.
    checked = check_file(
        LIBRARY / "content_review.mops", CATALOGUE, directory=load_directory(LIBRARY / "team.toml")
    )
    assert checked.file is not None and checked.process is not None
    process = checked.process
    assert process.calendar is not None
    calendar = resolve_calendar(checked.file, process.calendar.name)

    shown = print_plan(plan(process, build_graph(process), calendar, catalogue=CATALOGUE))

    assert shown.splitlines()[0] == (
        'Worst case for content_review "Content review with legal sign-off": '
        "62 business days + 17 minutes + 30 seconds (business time in calendar berlin)"
    )
    assert (
        "4 runs: 2 more (3 rounds of 'editorial')"
        " + 1 more (2 rounds of 'legal_full' or 2 rounds of 'legal_quick')" in shown
    )


def test_a_loop_without_a_bound_is_counted_once_and_said_so() -> None:
    found = plan_of(*quick("draft"), *APPROVAL, "  escalate to role lead", "  on reject -> draft")

    assert found.total_text == "at least 4 business days + 1 minute"
    assert found.not_counted == (
        NotCounted(
            "draft",
            "draft",
            3,
            "not counted again: the loop from 'review' back to 'draft' has no bound",
        ),
    )


# ---- blocks ---------------------------------------------------------------------------------


def test_parallel_all_waits_for_the_longest_branch() -> None:
    found = plan_of("parallel all", *waits("1 day", "3 days", "2 days"))

    assert (found.total_text, path(found)) == ("3 days", [("wait_line_5", "3 days")])


def test_parallel_first_waits_for_the_shortest_branch() -> None:
    found = plan_of("parallel first", *waits("1 day", "3 days", "2 days"))

    assert (found.total_text, path(found)) == ("1 day", [("wait_line_4", "1 day")])


def test_parallel_n_of_waits_for_the_nth_shortest_branch() -> None:
    found = plan_of("parallel 2 of", *waits("1 day", "3 days", "2 days"))

    assert (found.total_text, path(found)) == ("2 days", [("wait_line_6", "2 days")])


def test_parallel_first_does_not_wait_for_a_branch_that_may_never_end() -> None:
    found = plan_of("parallel first", '  wait for event "lead.replied" key lead', "  wait 2 days")

    assert (found.total_text, found.not_counted) == ("2 days", ())


def test_business_and_elapsed_time_are_compared_in_the_calendars_working_week() -> None:
    lines = ("parallel", *waits("3 business days", "4 days"))
    every_day = CalendarSpec(name="shop", time_zone="UTC", working_days=(0, 1, 2, 3, 4, 5, 6))

    assert plan_of(*lines).total_text == "3 business days"
    assert plan_of(*lines, calendar=every_day).total_text == "4 days"


def test_an_if_takes_its_longest_branch() -> None:
    found = plan_of("if false", "  wait 1 day", "else if true", "  wait 5 hours", "wait 1 hour")

    assert found.total_text == "1 day + 1 hour"


def test_a_for_each_counts_its_body_per_item() -> None:
    found = plan_of(
        "wait 2 days", 'for each channel in ["web", "print"], 2 at a time', "  wait 1 hour"
    )

    assert found.total_text == "2 days + 1 hour per item"
    assert found.steps[1].why == "wait 1 hour, per item (2 at a time)"


def test_what_cannot_be_known_before_the_campaign_runs_is_listed() -> None:
    found = plan_of(
        "wait until 2026-12-01",
        'wait for event "lead.replied" key lead',
        'wait for event "lead.bought" key lead, deadline 14 business days',
    )

    assert found.total_text == "at least 14 business days"
    assert [(n.id, n.reason) for n in found.not_counted] == [
        ("wait_line_3", "waits until a date: depends on the campaign"),
        ("event_line_4", 'unbounded: waits for "lead.replied" with no deadline'),
    ]


# ---- the whole example, and how it is shown -------------------------------------------------


def test_the_full_example() -> None:
    checked = check_file(EXAMPLES / "launch.mops", CATALOGUE)
    assert checked.file is not None and checked.process is not None
    process = checked.process
    assert process.calendar is not None
    calendar = resolve_calendar(checked.file, process.calendar.name)

    found = plan(process, build_graph(process), calendar, catalogue=CATALOGUE)

    assert found.total_text == (
        "at least 81 business days + 4 days + 3 hours + 17 minutes + 45 seconds"
    )
    assert [s.id for s in found.steps] == [
        "brief",
        "review",
        "finance",
        "publish",
        "check_page",
        "wait_line_78",
        "event_line_81",
        "report",
    ]
    assert [n.id for n in found.not_counted] == ["wait_line_79", "wait_line_80", "nurture"]


def test_the_plan_is_shown_as_a_table() -> None:
    shown = print_plan(
        plan_of(
            *quick("draft"),
            *APPROVAL,
            "  escalate to role lead",
            "  on reject -> draft",
            "  at most 2 rounds",
            "wait until 2026-12-01",
        )
    )

    assert shown == (
        "Worst case for launch: at least 8 business days + 2 minutes\n"
        "\n"
        "Critical path:\n"
        "  line  step    takes            how it is counted\n"
        "     3  draft   2 minutes        1 attempt of up to 1 minute; 2 rounds of 'review'\n"
        "     6  review  8 business days  deadline 2 business days, escalated at the deadline"
        " and given it again; 2 rounds of 'review'\n"
        "\n"
        "Not counted (the worst case is at least the total above):\n"
        "  line  step          why\n"
        "    12  wait_line_12  waits until a date: depends on the campaign"
    )
