"""Every diagnostic code, as a designer sees it: message, position, caret and hint.

The bad examples live in ``diagnostic_examples.py`` as plain data, so that
``docs/diagnostics.md`` can be generated from (and checked against) the very
same texts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from diagnostic_examples import (
    DIRECTORIES,
    ENCODINGS,
    EXAMPLES,
    FILE_NAME,
    FURTHER_EXAMPLES,
    SCENARIO_EXAMPLES,
)

from dsl import (
    CODES,
    Catalogue,
    Diagnostic,
    Severity,
    SourceFile,
    Span,
    check_file,
    check_source,
    parse_directory,
    render_all,
)
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_each_code_has_its_message_position_and_hint(code: str, tmp_path: Path) -> None:
    text, expected = EXAMPLES[code]
    path = tmp_path / FILE_NAME
    path.write_bytes(text.encode(ENCODINGS.get(code, "utf-8")))

    team = DIRECTORIES.get(code)
    directory = None if team is None else parse_directory(team.encode(), "team.toml")
    checked = check_file(path, CATALOGUE, display_name=FILE_NAME, directory=directory)

    assert [d.code for d in checked.diagnostics] == [code]
    assert render_all(checked.diagnostics, checked.source) == expected
    # Warnings do not stop a process; errors do.
    assert checked.ok is (checked.diagnostics[0].severity is Severity.WARNING)


@pytest.mark.parametrize(
    ("code", "source", "expected"),
    [(code, source, expected) for code, _title, source, expected in FURTHER_EXAMPLES],
    ids=[title for _code, title, _source, _expected in FURTHER_EXAMPLES],
)
def test_each_further_mistake_yields_one_diagnostic_that_points_at_the_fix(
    code: str, source: str, expected: str
) -> None:
    # One real mistake, one diagnostic: no cascade, no second message about it.
    checked = check_source(SourceFile.from_text(source, FILE_NAME), CATALOGUE)

    assert [d.code for d in checked.diagnostics] == [code]
    assert render_all(checked.diagnostics, checked.source) == expected


def test_every_code_in_the_catalogue_has_an_example() -> None:
    # Scenario-file codes (X...) have theirs in test_scenario_diagnostics.py.
    assert sorted([*EXAMPLES, *SCENARIO_EXAMPLES]) == sorted(CODES)


def test_every_code_has_a_one_line_summary() -> None:
    for code, summary in CODES.items():
        assert summary and "\n" not in summary, code


def test_a_code_outside_the_catalogue_is_refused() -> None:
    with pytest.raises(ValueError) as raised:
        Diagnostic("X999", "made up", Span.point(1, 1))
    assert str(raised.value) == "diagnostic code X999 is not in the catalogue"


def _render(text: str, diagnostic: Diagnostic) -> str:
    return diagnostic.render(SourceFile.from_text(text, FILE_NAME))


def test_the_caret_lines_up_under_a_tab_indented_line() -> None:
    shown = _render("process p\n\ttask t = x\n", Diagnostic("S002", "bad", Span.point(2, 7)))

    assert shown.splitlines()[1:] == ["    2 | \ttask t = x", "      | \t     ^"]


def test_a_span_over_several_lines_is_underlined_to_the_end_of_its_first() -> None:
    shown = _render(
        "process p\n  output o = (1 +\n    2)\n", Diagnostic("T003", "bad", Span(2, 14, 3, 7))
    )

    assert shown.splitlines()[1:] == ["    2 |   output o = (1 +", "      |              ^^^^"]


def test_unprintable_characters_are_shown_as_question_marks() -> None:
    shown = _render("process p\x00\x1b\n", Diagnostic("S007", "bad", Span.point(1, 10)))

    assert shown.splitlines()[1:] == ["    1 | process p??", "      |          ^"]


def test_a_position_past_the_end_of_the_file_still_renders() -> None:
    shown = _render("process p\n", Diagnostic("S002", "bad", Span.point(9, 3)))

    assert shown == "example.mops:9:3: error[S002]: bad\n    9 | \n      |   ^"


def test_a_warning_says_so_and_has_no_hint_line_without_a_hint() -> None:
    warning = Diagnostic("N001", "odd", Span.point(1, 1), severity=Severity.WARNING)

    assert _render("process p\n", warning).splitlines()[0] == "example.mops:1:1: warning[N001]: odd"
    assert "hint" not in _render("process p\n", warning)


def test_all_diagnostics_render_in_file_order_separated_by_blank_lines() -> None:
    text = "process p\n  output a = x\n  output b = y\n"
    later = Diagnostic("N001", "'y' is not defined", Span.point(3, 14))
    earlier = Diagnostic("N001", "'x' is not defined", Span.point(2, 14))

    shown = render_all([later, earlier], SourceFile.from_text(text, FILE_NAME))

    assert shown == (
        "example.mops:2:14: error[N001]: 'x' is not defined\n"
        "    2 |   output a = x\n"
        "      |              ^\n"
        "\n"
        "example.mops:3:14: error[N001]: 'y' is not defined\n"
        "    3 |   output b = y\n"
        "      |              ^"
    )
