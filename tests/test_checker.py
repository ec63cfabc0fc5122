"""The name and type checker: what it accepts, and every problem it finds at once."""

from __future__ import annotations

from dsl import Catalogue, CheckedProcess, SourceFile, check_source, render_all
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())


def check(text: str) -> CheckedProcess:
    return check_source(SourceFile.from_text(text, "example.mops"), CATALOGUE)


def problems(text: str) -> list[tuple[str, int, int, str]]:
    """(code, line, column, message) of every diagnostic, in file order."""
    return [(d.code, d.span.line, d.span.col, d.message) for d in check(text).diagnostics]


def accepted(text: str) -> bool:
    checked = check(text)
    assert checked.ok, render_all(checked.diagnostics, checked.source)
    return True


def process(*lines: str, inputs: str = "  input score: number\n") -> str:
    return "process lead_routing\n" + inputs + "".join(f"  {line}\n" for line in lines)


LOG = 'log.info(message: "x")'


# ---- definite assignment ---------------------------------------------------------


def test_a_step_before_an_if_is_defined_in_every_branch_and_after_it() -> None:
    assert accepted(
        process(
            f"task intake = {LOG}",
            "if score > 80",
            '  task hot = log.info(message: "hot at {intake.logged_at}")',
            "else if score > 40",
            '  task warm = log.info(message: "warm at {intake.logged_at}")',
            "else",
            '  task cold = log.info(message: "cold at {intake.logged_at}")',
            "output received_at = intake.logged_at",
        )
    )


def test_a_step_in_a_branch_is_defined_in_that_branch_and_the_ifs_nested_in_it() -> None:
    assert accepted(
        process(
            "if score > 80",
            f"  task hot = {LOG}",
            "  if hot.logged",
            '    task double_check = log.info(message: "{hot.logged_at}")',
        )
    )


def test_a_step_from_one_branch_is_not_defined_after_the_if_however_it_ends() -> None:
    using = "output routed_at = hot.logged_at"
    message = (
        "'hot' may not be defined here: not every path to this line runs the step "
        "that defines it (line 4)"
    )
    only_if = process("if score > 80", f"  task hot = {LOG}", using)
    with_else_if = process(
        "if score > 80", f"  task hot = {LOG}", "else if score > 40", f"  task warm = {LOG}", using
    )
    with_else = process(
        "if score > 80", f"  task hot = {LOG}", "else", f"  task cold = {LOG}", using
    )

    assert problems(only_if) == [("N007", 5, 22, message)]
    assert problems(with_else_if) == [("N007", 7, 22, message)]
    assert problems(with_else) == [("N007", 7, 22, message)]


def test_a_step_from_one_branch_is_not_defined_in_its_sibling_branch() -> None:
    text = process(
        "if score > 80",
        f"  task hot = {LOG}",
        "else",
        '  task cold = log.info(message: "{hot.logged}")',
    )
    assert [(code, line) for code, line, _col, _message in problems(text)] == [("N007", 6)]


def test_a_step_is_not_defined_before_its_own_line() -> None:
    text = process('task first = log.info(message: "{second.logged_at}")', f"task second = {LOG}")
    assert [code for code, *_ in problems(text)] == ["N007"]


def test_steps_on_different_branches_still_need_their_own_names() -> None:
    # docs/language.md: "each input and each step needs its own (N002 otherwise)".
    text = process("if score > 80", f"  task route = {LOG}", "else", f"  task route = {LOG}")
    assert problems(text) == [("N002", 6, 10, "'route' is already defined at line 4")]


# ---- duplicate names ---------------------------------------------------------------


def test_every_kind_of_duplicate_name_is_reported_where_it_repeats() -> None:
    text = process(
        "input score: text",
        f"task score = {LOG}",
        'task note = log.info(message: "a", message: "b")',
        "output total = 1",
        "output total = 2",
        "output score = {a: 1, a: 2}",
    )
    assert problems(text) == [
        ("N002", 3, 9, "'score' is already defined at line 2"),
        ("N002", 4, 8, "'score' is already defined at line 2"),
        ("N002", 5, 38, "the argument 'message' is given twice"),
        ("N002", 7, 10, "the output 'total' is defined twice"),
        ("N002", 8, 18, "the field 'a' is given twice"),
    ]


def test_an_output_may_share_a_name_with_an_input_or_a_step() -> None:
    assert accepted(
        process(f"task note = {LOG}", "output score = score", "output note = note.logged")
    )


# ---- task results ------------------------------------------------------------------


def test_result_fields_have_the_types_the_action_declares() -> None:
    text = process(
        'task hook = http.post(url: "https://example.com/crm")',
        f"task note = {LOG}",
        'if hook.status >= 300 and hook.body != ""',
        '  task retry_later = log.info(message: "failed with {hook.status}")',
        "if note.logged",
        f"  task logged = {LOG}",
        "output noted_at: datetime = note.logged_at",
        "output status: text = hook.status",
        'output worked = hook.status == "200"',
    )
    assert problems(text) == [
        ("T002", 10, 25, "the output 'status' should be text, but this is number"),
        ("T003", 11, 19, "a number is never equal to a text"),
    ]


def test_a_field_the_result_does_not_have_is_named_with_the_ones_it_has() -> None:
    checked = check(process(f"task note = {LOG}", "output when = note.time"))
    assert [(d.code, d.message, d.hint) for d in checked.diagnostics] == [
        (
            "N006",
            "the result of 'note' (log.info) has no field 'time'",
            "its fields are: logged, logged_at",
        )
    ]


# ---- types in expressions ------------------------------------------------------------


def test_money_and_numbers_do_not_mix_and_the_hint_says_how_to_fix_it() -> None:
    text = process(
        "output doubled = budget * 2",
        "output halved = budget / 2",
        "output ratio = budget / 100 EUR",
        "output big = budget >= 1000 EUR",
        "output bigger = budget > 1000",
        "output same = budget == 5",
        "output more = budget + 5",
        inputs="  input budget: money\n",
    )
    hint = "give the number its currency, e.g. 100 EUR"
    assert [(d.code, d.span.line, d.message, d.hint) for d in check(text).diagnostics] == [
        ("T003", 7, "a money cannot be compared with a number", hint),
        ("T003", 8, "a money is never equal to a number", hint),
        ("T003", 9, "'+' does not work on money and number", hint),
    ]


def test_list_and_text_membership() -> None:
    text = process(
        'output tagged = "vip" in tags',
        'output free = tier in ["free", "trial"]',
        'output greets = "hello" in greeting',
        'output not_tagged = "spam" not in tags',
        "output odd = 1 in tags",
        "output odder = 1 in greeting",
        'output oddest = "a" in 5',
        inputs=(
            "  input tags: list of text\n"
            '  input tier: one of "free", "paid"\n'
            "  input greeting: text\n"
        ),
    )
    assert problems(text) == [
        # "trial" can never be the tier: language.md makes such a literal an error.
        ("T002", 6, 34, '"trial" is not one of "free", "paid"'),
        ("T003", 9, 16, "a number is never in a list of text"),
        ("T003", 10, 18, "'in' on a text looks for a text, not number"),
        ("T003", 11, 26, "'in' needs a list or a text on the right, not number"),
    ]


def test_names_inside_interpolations_are_checked_where_they_are_written() -> None:
    text = process(
        'task note = log.info(message: "score {score}, name {nmae}, {score + "x"}")',
        'output said = "{note.loged}"',
    )
    checked = check(text)
    assert problems(text) == [
        ("N001", 3, 55, "'nmae' is not defined"),
        ("T003", 3, 63, "'+' does not work on number and text"),
        ("N006", 4, 24, "the result of 'note' (log.info) has no field 'loged'"),
    ]
    assert checked.diagnostics[2].hint == "did you mean 'logged'?"


def test_the_reason_when_the_rounds_run_out_is_checked_and_may_use_its_own_approval() -> None:
    text = process(
        f"task draft = {LOG}",
        "approval review",
        "  by role editor",
        "  deadline 2 days",
        "  escalate to role lead",
        "  on reject -> draft",
        '  at most 2 rounds, then fail "{score} {review.comment} {review.coment} {scroe}"',
    )
    assert problems(text) == [
        ("N006", 9, 67, "approval 'review' has no field 'coment'"),
        ("N001", 9, 76, "'scroe' is not defined"),
    ]


def test_record_literals() -> None:
    assert accepted(
        process(
            'task note = log.info(message: "x", fields: {campaign: "spring", budget: 5 EUR})',
            'output settings = {channels: ["email"], retries: 3}',
            "output first = {a: 1}.a + 1",
        )
    )
    assert problems(
        process("output label: text = {a: 1}", "task t = log.info(message: {a: 1})")
    ) == [
        ("T002", 3, 24, "the output 'label' should be text, but this is record"),
        ("T002", 4, 30, "'message' should be text, but this is record"),
    ]


def test_function_arity_and_argument_types() -> None:
    text = process(
        'output a = len("a", "b")',
        "output b = round(1, 2, 3)",
        "output c = lower(5)",
        "output d = min(1)",
        "output e = frobnicate(1)",
        'output f = round(2.5) + len("ok") + max(1, 2, 3)',
    )
    assert problems(text) == [
        ("T002", 3, 14, "'len' takes 1 argument, not 2"),
        ("T002", 4, 14, "'round' takes 1 to 2 arguments, not 3"),
        ("T002", 5, 14, "'lower' takes text or email or url, not number"),
        ("T002", 6, 14, "'min' takes 2 to 8 arguments, not 1"),
        ("N008", 7, 14, "there is no function 'frobnicate'"),
    ]
    assert check(text).diagnostics[4].hint is not None


# ---- all problems together -----------------------------------------------------------


def test_every_problem_in_a_file_is_reported_together_in_file_order() -> None:
    text = (
        "process launch\n"
        "  input title: txt\n"
        "  input budget: money = 100\n"
        "  task draft = cms.create(title: title)\n"
        '  task note = log.info(mesage: "x", message: "{titel}")\n'
        "  if budget\n"
        '    task boost = log.info(message: "boost")\n'
        "  output spent = budget > 1000\n"
    )
    assert [(code, line) for code, line, _col, _message in problems(text)] == [
        ("T001", 2),
        ("T002", 3),
        ("N003", 4),
        ("N004", 5),
        ("N001", 5),
        ("T004", 6),
        ("T003", 8),
    ]
