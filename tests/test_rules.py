"""Decision tables: gaps, overlaps under 'unique', rows that never match, priority ties.

Each test writes a small table the way a designer would and pins what the
designer reads: the code, the line, and the exact message with its example.
"""

from __future__ import annotations

from pathlib import Path

from dsl import SourceFile, ast
from dsl._parser import parse_source
from dsl._rules import rule_problems

ROOT = Path(__file__).resolve().parent.parent

INPUTS = (
    "  input budget: money\n"
    "  input score: number\n"
    "  input discount: percent\n"
    '  input tier: one of "organic", "boosted", "paid"\n'
    "  input channel: text\n"
    "  input vip: bool\n"
)


def parse(text: str) -> ast.Process:
    parsed = parse_source(SourceFile.from_text(text, "example.mops"))
    assert parsed.process is not None and not parsed.diagnostics, parsed.diagnostics
    return parsed.process


def problems(text: str) -> list[tuple[str, int, str]]:
    """(code, line, message) of every rule problem of a file."""
    process = parse(text)
    types = {i.name: i.type.type for i in process.inputs}
    return [(d.code, d.span.line, d.message) for d in rule_problems(process, types)]


def table(*rows: str, policy: str | None = None, extra: str = "") -> str:
    """A process with the usual inputs and one table ``pick`` (at line 8); rows from line 9."""
    head = "process promote\n" + INPUTS + extra + "  decide pick\n"
    lines = ([f"hit policy {policy}"] if policy else []) + list(rows)
    return head + "".join(f"    {row}\n" for row in lines)


# ---- gaps ------------------------------------------------------------------------


def test_a_gap_between_two_amounts_is_shown_with_its_bounds() -> None:
    assert problems(table('when budget >= 100 EUR -> "a"', 'when budget < 0 EUR -> "b"')) == [
        (
            "R003",
            8,
            "no row matches when budget is between 0 EUR and 100 EUR (0 EUR included)",
        )
    ]


def test_a_gap_below_and_above_numbers_and_single_values() -> None:
    assert problems(table('when score > 10 -> "a"', 'when score < 10 -> "b"')) == [
        ("R003", 8, "no row matches when score is 10")
    ]
    assert problems(table('when score <= 10 -> "a"')) == [
        ("R003", 8, "no row matches when score is above 10")
    ]
    assert problems(table('when discount > 5% and discount <= 50% -> "a"')) == [
        ("R003", 8, "no row matches when discount is 5% or less, or when discount is above 50%")
    ]


def test_an_open_interval_between_two_rows_says_which_end_is_included() -> None:
    rows: tuple[str, ...] = (
        'when score < 1 -> "a"',
        'when score > 3 -> "b"',
        'when score == 1 -> "c"',
    )
    assert problems(table(*rows)) == [
        ("R003", 8, "no row matches when score is between 1 and 3 (3 included)")
    ]
    rows = ('when score <= 1 -> "a"', 'when score >= 3 -> "b"')
    assert problems(table(*rows)) == [("R003", 8, "no row matches when score is between 1 and 3")]
    rows = ('when score < 1 -> "a"', 'when score > 3 -> "b"')
    assert problems(table(*rows)) == [
        ("R003", 8, "no row matches when score is between 1 and 3 (both included)")
    ]


def test_a_gap_in_an_enumeration_names_the_missing_choice() -> None:
    rows = ('when tier == "paid" -> 2', 'when tier in ["boosted"] -> 1')
    assert problems(table(*rows)) == [("R003", 8, 'no row matches when tier is "organic"')]


def test_a_gap_in_booleans_and_texts() -> None:
    assert problems(table("when vip -> 1")) == [("R003", 8, "no row matches when vip is false")]
    rows = ('when channel == "email" -> 1', 'when channel == "sms" -> 2')
    assert problems(table(*rows)) == [
        ("R003", 8, 'no row matches when channel is none of "email", "sms"')
    ]


def test_a_gap_over_two_inputs_names_both() -> None:
    rows = ('when tier == "paid" and budget >= 1000 EUR -> 1', 'when tier != "paid" -> 2')
    assert problems(table(*rows)) == [
        ("R003", 8, 'no row matches when tier is "paid" and budget is below 1000 EUR')
    ]


def test_many_gaps_show_the_first_three() -> None:
    rows = ('when score == 1 -> "a"', 'when score == 2 -> "b"', 'when score == 3 -> "c"')
    assert problems(table(*rows)) == [
        (
            "R003",
            8,
            "no row matches when score is below 1, or when score is between 1 and 2, "
            "or when score is between 2 and 3, and in other cases",
        )
    ]


def test_a_table_that_covers_everything_has_no_gap() -> None:
    rows = (
        'when budget >= 100 EUR and not vip -> "a"',
        'when budget < 100 EUR or vip -> "b"',
    )
    assert problems(table(*rows)) == []
    assert problems(table('when true -> "a"')) == []
    assert problems(table('when tier != "paid" -> 1', 'when tier == "paid" -> 2')) == []


def test_otherwise_and_collect_have_no_gaps() -> None:
    assert problems(table('when budget > 0 EUR -> "a"', 'otherwise -> "b"')) == []
    assert problems(table('when budget > 0 EUR -> "a"', policy="collect")) == []


# ---- no false alarms ---------------------------------------------------------------


def test_conditions_that_cannot_be_analysed_give_no_gap() -> None:
    for condition in (
        "len(channel) > 3",
        "budget * 2 > 100 EUR",
        "score > discount",
        "other.logged",
        "budget > 5 USD",
        "level > 3",
    ):
        rows = (f'when {condition} -> "a"', 'when budget > 1000 EUR -> "b"')
        extra = '  task other = log.info(message: "x")\n  set level = score\n'
        at = 8 + extra.count("\n")
        why = (
            "it compares amounts in different currencies"
            if "USD" in condition
            else f"the checker cannot follow the condition on line {at + 1}"
        )
        assert problems(table(*rows, extra=extra)) == [
            ("R102", at, f"'pick' could not be checked for inputs that no row matches: {why}")
        ], condition


def test_a_set_variable_that_hides_an_input_is_not_analysed() -> None:
    rows = ('when score > 3 -> "a"',)
    assert [p[0] for p in problems(table(*rows, extra="  set score = 5\n"))] == ["R102"]


def test_an_unreadable_row_does_not_hide_what_the_others_show() -> None:
    rows = ('when len(channel) > 3 -> "a"', 'when score > 3 -> "b"', 'when score > 5 -> "c"')
    unproven = (
        "'pick' could not be checked for inputs that no row matches: the checker cannot "
        "follow the condition on line 9"
    )
    assert problems(table(*rows)) == [
        ("R101", 11, "this row never matches: the row at line 10 matches first whenever it would"),
        ("R102", 8, unproven),
    ]


def test_amounts_in_two_currencies_are_not_compared() -> None:
    rows = ('when budget > 5 EUR -> "a"', 'when budget > 5 USD -> "b"')
    assert problems(table(*rows)) == [
        (
            "R102",
            8,
            "'pick' could not be checked for inputs that no row matches: it compares amounts "
            "in different currencies",
        )
    ]


def test_the_launch_example_has_no_rule_problems() -> None:
    text = (ROOT / "tests" / "examples" / "launch.mops").read_text()
    assert problems(text) == []


# ---- overlaps, unreachable rows, priorities ------------------------------------------------


def test_two_rows_that_both_match_under_unique() -> None:
    rows = ('when budget >= 5000 EUR -> "agency"', 'when budget >= 1000 EUR -> "in_house"')
    assert problems(table(*rows, 'otherwise -> "none"', policy="unique")) == [
        (
            "R004",
            11,
            "this row and the row at line 10 both match when budget is 5000 EUR or more",
        )
    ]


def test_rows_that_exclude_each_other_are_fine_under_unique() -> None:
    rows = ('when budget >= 5000 EUR -> "agency"', 'when budget < 5000 EUR -> "in_house"')
    assert problems(table(*rows, policy="unique")) == []


def test_an_overlap_under_first_is_fine_but_a_hidden_row_is_reported() -> None:
    rows: tuple[str, ...] = ('when score > 5 -> "a"', 'when score > 3 -> "b"', 'otherwise -> "c"')
    assert problems(table(*rows)) == []
    rows = (
        'when score > 5 -> "a"',
        'when score < 2 -> "b"',
        'when score > 7 or score == 1 -> "c"',
        'otherwise -> "d"',
    )
    assert problems(table(*rows)) == [
        (
            "R101",
            11,
            "this row never matches: the rows at lines 9 and 10 match first whenever it would",
        )
    ]


def test_a_row_that_is_never_true_under_any_policy() -> None:
    for policy in ("first", "unique", "collect", "priority"):
        rows = ('when score > 5 and score < 3 -> "a"', 'otherwise -> "b"')
        assert problems(table(*rows, policy=policy)) == [
            ("R101", 10, "this row never matches: its condition can never be true")
        ]


def test_a_warning_the_designer_allowed_is_not_shown() -> None:
    rows = ('when score > 5 -> "a"', 'when score > 7 -> "b"', 'otherwise -> "c"')
    assert problems(table(*rows, "allow R101")) == []


def test_equal_priorities_that_both_match_are_ambiguous() -> None:
    rows = (
        'when score > 3 -> "a" priority 1',
        'when score >= 5 -> "b" priority 1',
        'when score > 4 -> "c" priority 2',
        'otherwise -> "d"',
    )
    assert problems(table(*rows, policy="priority")) == [
        (
            "R006",
            11,
            "this row and the row at line 10 both have priority 1 and both match when "
            "score is 5 or more",
        )
    ]


def test_a_huge_table_is_not_analysed() -> None:
    rows = [f'when score == {n} and discount == {n}% -> "a"' for n in range(80)]
    assert problems(table(*rows, policy="unique")) == [
        (
            "R102",
            8,
            "'pick' could not be checked for inputs that no row matches or two rows that both "
            "match: it combines too many values to try them all",
        )
    ]


# ---- rows that read an earlier decision ------------------------------------------------------

DECIDED = """\
process route
  input region: one of "emea", "americas", "apac"
  input employees: number
  decide segment
    when employees >= 2000 -> "enterprise"
    when employees >= 200 -> "mid_market"
    otherwise -> "smb"
  decide team
    hit policy unique
{rows}
  decide sla
    when team.hours < 6 -> "fast"
    when team.hours >= 8 -> "slow"
"""


def test_a_row_that_reads_an_earlier_decision_is_analysed_with_its_outcomes() -> None:
    rows = (
        '    when region == "emea" and segment == "enterprise" -> name = "EMEA ent", hours = 4\n'
        '    when region == "emea" and segment != "enterprise" -> name = "EMEA com", hours = 8\n'
        '    when region == "americas" -> name = "AMER", hours = 8'
    )
    assert problems(DECIDED.format(rows=rows)) == [
        ("R003", 8, 'no row matches when region is "apac"'),
    ]


def test_an_overlap_through_an_earlier_decision_is_found_under_unique() -> None:
    rows = (
        '    when region == "emea" or segment == "smb" -> name = "A", hours = 4\n'
        '    when region != "emea" -> name = "B", hours = 8'
    )
    assert problems(DECIDED.format(rows=rows)) == [
        (
            "R004",
            11,
            'this row and the row at line 10 both match when segment is "smb" and region is '
            'one of "americas", "apac"',
        ),
    ]


def test_the_library_lead_routing_without_its_apac_row_has_a_gap() -> None:
    text = (ROOT / "processes" / "lead_routing.mops").read_text()
    apac = '    when region == "apac" -> name = "APAC", sla_hours = 8\n'
    assert apac in text
    assert problems(text) == []
    assert problems(text.replace(apac, "")) == [
        ("R003", 63, 'no row matches when region is "apac"')
    ]


def test_a_row_that_reads_a_decision_whose_rows_give_different_results_is_not_followed() -> None:
    # The checker reports the decision's mixed rows (T002); the table reading it was
    # once analysed anyway and crashed on the row without an unnamed result.
    mixed = DECIDED.replace(
        '    when employees >= 2000 -> "enterprise"\n',
        '    when employees >= 5000 -> name = "huge", hours = 1\n'
        '    when employees >= 2000 -> "enterprise"\n',
    )
    rows = (
        '    when region == "emea" and segment == "enterprise" -> name = "EMEA ent", hours = 4\n'
        '    when region != "emea" -> name = "AMER", hours = 8'
    )
    assert problems(mixed.format(rows=rows)) == [
        (
            "R102",
            9,
            "'team' could not be checked for inputs that no row matches or two rows that both "
            "match: the checker cannot follow the condition on line 11",
        ),
    ]
