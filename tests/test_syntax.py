"""Syntax errors as a designer meets them, and files no designer meant to write."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import Catalogue, CheckedProcess, SourceFile, ast, check_file, check_source, render_all
from dsl._syntax_examples import EXAMPLES
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())

WELCOME = """\
# Greet a new subscriber, then tell the team.
process welcome "Welcome a subscriber"
  input name: text
  input vip: bool = false
  input channels: list of text = ["email", "slack"]

  task greet "Say hello" = log.info(message: "Hello {name}")
  if vip and "slack" in channels
    task alert = log.info(
      message: "VIP {name} joined",
      fields: {channel: "slack"},
    )
  else
    task note = log.info(message: "{name} joined via {join(channels, ", ")}")
  output greeted_at = greet.logged_at
"""


def check(text: str) -> CheckedProcess:
    return check_source(SourceFile.from_text(text, "example.mops"), CATALOGUE)


def rendered(text: str) -> str:
    checked = check(text)
    return render_all(checked.diagnostics, checked.source)


def codes(text: str) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.col) for d in check(text).diagnostics]


def test_the_sample_process_is_valid() -> None:
    assert check(WELCOME).ok, rendered(WELCOME)


# ---- the labelled examples -------------------------------------------------------


def test_every_labelled_example_yields_its_own_message_on_the_line_at_fault() -> None:
    for explanation, examples in EXAMPLES.items():
        for example in examples:
            checked = check(example)
            assert [(d.code, d.message) for d in checked.diagnostics] == [
                ("S002", explanation.message)
            ], example
            problem = checked.diagnostics[0]
            assert problem.hint == explanation.hint
            at_fault = checked.source.line(problem.span.line)
            assert at_fault.strip(), example
            assert 1 <= problem.span.col <= len(at_fault) + 1, example


def test_a_missing_equals_sign_in_a_comparison() -> None:
    text = (
        'process p\n  input tier: text\n  if tier = "paid"\n    task t = log.info(message: "x")\n'
    )
    assert rendered(text) == (
        "example.mops:3:11: error[S002]: compare with '==', not '='\n"
        '    3 |   if tier = "paid"\n'
        "      |           ^\n"
        '  hint: write: if tier == "paid"'
    )


def test_a_bracket_left_open_at_the_end_of_the_file() -> None:
    assert rendered('process p\n  task t = log.info(message: "x"\n') == (
        "example.mops:2:20: error[S002]: the '(' opened at line 2, column 20 is never closed\n"
        '    2 |   task t = log.info(message: "x"\n'
        "      |                    ^\n"
        "  hint: close it with ')' before the end of line 2"
    )


def test_a_line_that_ends_in_the_middle_of_an_expression() -> None:
    assert rendered("process p\n  output total = 1 +\n") == (
        "example.mops:2:21: error[S002]: unexpected end of the line\n"
        "    2 |   output total = 1 +\n"
        "      |                     ^\n"
        "  hint: expected a value (a name, a number, a text, a list...)"
    )


def test_an_if_at_the_end_of_the_file_without_its_block() -> None:
    assert rendered("process p\n  input vip: bool\n  if vip\n") == (
        "example.mops:3:9: error[S002]: a block is expected here: indent the lines that "
        "belong to it\n"
        "    3 |   if vip\n"
        "      |         ^\n"
        "  hint: the line that opens a block ends its header; the block's steps go on the "
        "next lines, indented by two more spaces"
    )


def test_an_interpolation_left_open_is_not_taken_for_an_open_text() -> None:
    assert rendered('process p\n  input name: text\n  output o = "Hi {name"\n') == (
        "example.mops:3:18: error[S008]: the interpolation at column 18 is not closed with '}'\n"
        '    3 |   output o = "Hi {name"\n'
        "      |                  ^\n"
        "  hint: write {name} to insert a value, or {{ for a literal brace"
    )


# ---- 'one of' in a list ----------------------------------------------------------

BRIEF = """\
process launch
  input tier: one of "gold", "silver" = "gold"
  work brief
    assign role writer
    deadline 2 days
    escalate to role lead
    returns {fields}
  set total = brief.budget + 5 EUR
  output chosen: one of "gold", "silver" = tier
"""


def test_a_one_of_among_returned_fields_ends_where_the_next_field_begins() -> None:
    fields = (
        'decision: one of "go", "hold", budget: money,'
        ' channels: list of one of "web", "mail", "print", note: text'
    )
    checked = check(BRIEF.format(fields=fields))
    assert checked.ok, render_all(checked.diagnostics, checked.source)
    assert checked.process is not None
    [brief] = [s for s in checked.process.body if isinstance(s, ast.Human)]
    assert [(f.name, str(f.type.type)) for f in brief.returns] == [
        ("decision", 'one of "go", "hold"'),
        ("budget", "money"),
        ("channels", 'list of one of "web", "mail", "print"'),
        ("note", "text"),
    ]
    # A field's span, and its type's, take in every choice.
    assert (brief.returns[0].span.col, brief.returns[0].span.end_col) == (13, 42)
    assert [str(i.type.type) for i in checked.process.inputs] == ['one of "gold", "silver"']


def test_a_text_that_continues_no_one_of_in_returns_is_a_syntax_error() -> None:
    text = BRIEF.format(fields='note: text, "hold", budget: money')
    assert codes(text) == [("S002", 7, 25)]
    assert check(text).diagnostics[0].message == (
        "a text (\"hold\") where 'returns' expects a field"
    )


# ---- several errors at once ------------------------------------------------------


def test_independent_syntax_errors_are_all_reported_in_file_order() -> None:
    text = (
        "process launch\n"
        "  input title: text\n"
        "  task draft log.info(message: title)\n"
        "  input budget money\n"
        '  task notify = log.info(message = "ready")\n'
        "  if budget = 1\n"
        '    task boost = log.info(message: "boost")\n'
        "  approve budget\n"
        "  output done = true\n"
    )
    assert [(p.span.line, p.message) for p in check(text).diagnostics] == [
        (3, "a task needs '=' between its name and the action it calls"),
        (4, "an input needs a type after a colon"),
        (5, "an argument is written 'name: value'"),
        (6, "compare with '==', not '='"),
        (8, "unknown word 'approve'"),
    ]


def test_a_call_spread_over_lines_does_not_hide_a_later_mistake() -> None:
    text = WELCOME.replace("  output greeted_at", "  output greeted_at = 1 +\n  output other")
    assert codes(text) == [("S002", 15, 26)]
    assert check(text).diagnostics[0].message == "unexpected end of the line"


# ---- files nobody meant to write -------------------------------------------------


def test_an_empty_file_or_one_of_only_comments_has_no_process() -> None:
    for text in ("", "\n\n", "# to do\n   # later\n"):
        assert codes(text) == [("S006", 1, 1)], repr(text)


def test_a_byte_order_mark_changes_nothing() -> None:
    broken = WELCOME.replace("if vip and", "if vip = ")
    assert check("\ufeff" + WELCOME).ok
    assert rendered("\ufeff" + broken) == rendered(broken)


def test_windows_line_endings_give_the_same_diagnostics_and_columns() -> None:
    broken = WELCOME.replace("{name} joined", "{nme} joined").replace("= false", "= 0")
    broken = broken.replace("greet.logged_at", "greet.logged_att")
    assert check(WELCOME.replace("\n", "\r\n")).ok
    assert rendered(broken.replace("\n", "\r\n")) == rendered(broken)
    assert [d.code for d in check(broken).diagnostics] == ["T002", "N001", "N001", "N006"]


def test_every_line_indented_with_a_tab_is_reported() -> None:
    text = 'process p\n\ttask a = log.info(message: "x")\n  \ttask b = log.info(message: "y")\n'
    assert codes(text) == [("S003", 2, 1), ("S003", 3, 3)]


def test_a_text_not_closed_on_its_line() -> None:
    assert codes('process p\n  task t = log.info(message: "Hello)\n') == [("S004", 2, 30)]


def test_a_line_dedented_to_no_open_block() -> None:
    text = (
        "process p\n"
        "  if true\n"
        '    task a = log.info(message: "x")\n'
        '   task b = log.info(message: "y")\n'
    )
    assert codes(text) == [("S005", 4, 4)]


def test_control_characters_are_reported_not_crashed_on() -> None:
    assert codes("\x00\x00\x00") == [("S007", 1, 1)]
    assert check("process p\n  output o = 1\x07\n").diagnostics[0].message == (
        "the character U+0007 has no meaning here"
    )


def test_bytes_that_are_not_utf8_are_reported_with_their_position(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.mops"
    latin1.write_bytes(
        'process p\n  input name: text\n  output o = "Grüße {name}"\n'.encode("latin-1")
    )
    utf16 = tmp_path / "utf16.mops"
    utf16.write_bytes("process p\n".encode("utf-16"))
    binary = tmp_path / "logo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))

    found = {
        path.name: [
            (d.code, d.span.line, d.span.col) for d in check_file(path, CATALOGUE).diagnostics
        ]
        for path in (latin1, utf16, binary)
    }

    assert found == {
        "latin1.mops": [("S001", 3, 17)],
        "utf16.mops": [("S001", 1, 1)],
        "logo.png": [("S001", 1, 1)],
    }


def test_a_ten_megabyte_process_is_checked() -> None:
    # Linear in the size: about 3 s for 10 MB on a laptop (measured, not asserted).
    words = "Spring launch copy for the newsletter, the blog and every partner channel. " * 12
    lines = ["process big", "  input title: text"]
    size = 0
    while size < 10 * 1024 * 1024:
        lines.append(f'  task step_{len(lines)} = log.info(message: "{words}{{title}}")')
        size += len(lines[-1]) + 1
    checked = check("\n".join(lines) + "\n")
    assert checked.ok
    assert checked.process is not None and len(checked.process.body) == len(lines) - 2


def nested_ifs(depth: int) -> str:
    lines = ["process p", "  input go: bool"]
    lines += ["  " * (level + 1) + "if go" for level in range(depth)]
    lines.append("  " * (depth + 1) + 'task deep = log.info(message: "deep")')
    return "\n".join(lines) + "\n"


def test_nesting_within_the_limit_is_fine_and_beyond_it_is_a_diagnostic() -> None:
    assert check(nested_ifs(30)).ok
    assert codes(nested_ifs(200)) == [("S009", 42, 81)]


def test_the_nesting_limit_is_exact_for_blocks_and_expressions() -> None:
    # The limit counts levels of the parse tree, whoever builds it.
    assert check(nested_ifs(36)).ok
    assert codes(nested_ifs(37)) == [("S009", 40, 107)]
    sums = [check("process p\n  output o = " + " + ".join(["1"] * n) + "\n") for n in (77, 78)]
    assert [[d.code for d in c.diagnostics] for c in sums] == [[], ["S009"]]


def test_a_text_read_inside_brackets_leaves_the_blocks_around_it_intact() -> None:
    # The expression in {...} is parsed while the file is: brackets and blocks
    # open around the text must still be open after it.
    text = """\
process p
  input budget: money
  if budget > 1 EUR
    task t = log.info(
      message: "left {budget - (1 EUR + [2 EUR][0])}",
    )
      timeout 5 minutes
    set n = (1 + 2) * 3
  output o = budget
"""
    checked = check(text)
    assert checked.ok, checked.diagnostics
    assert checked.process is not None
    step = checked.process.body[0]
    assert isinstance(step, ast.If)
    task, set_n = step.branches[0].body
    assert isinstance(task, ast.Task) and task.timeout is not None
    assert task.timeout.text == "5 minutes"
    # A bracketed operand widens its parent to the bracket, not itself.
    assert isinstance(set_n, ast.Set) and isinstance(set_n.value, ast.Binary)
    assert (set_n.value.span.col, set_n.value.left.span.col) == (13, 14)


def test_deep_expressions_are_diagnosed_instead_of_overflowing_the_stack() -> None:
    parens = "(" * 2000 + "1" + ")" * 2000
    assert check(f"process p\n  output o = {parens}\n").ok
    for deep in ("[" * 2000 + "1" + "]" * 2000, "-" * 2000 + "1", " + ".join(["1"] * 5000)):
        assert [d.code for d in check(f"process p\n  output o = {deep}\n").diagnostics] == ["S009"]
    inner = "[" * 30 + "1" + "]" * 30
    assert [d.code for d in check(f'process p\n  output o = "{{{inner}}}"\n').diagnostics] == [
        "S009"
    ]


# ---- random damage -----------------------------------------------------------------

_PIECES = [*"\"'{}():[],.=#\t\n \\-+<>0aZ", "if ", "else", "task ", "  ", "\r\n", "{x}"]
_EDIT = st.tuples(
    st.sampled_from(["delete", "insert", "duplicate line", "delete line"]),
    st.integers(min_value=0, max_value=len(WELCOME)),
    st.sampled_from(_PIECES),
)


def _damage(text: str, edits: list[tuple[str, int, str]]) -> str:
    for kind, where, piece in edits:
        lines = text.split("\n")
        if kind == "delete" and text:
            at = where % len(text)
            text = text[:at] + text[at + 1 + where % 4 :]
        elif kind == "insert":
            at = where % (len(text) + 1)
            text = text[:at] + piece + text[at:]
        elif kind == "duplicate line":
            lines.insert(where % len(lines), lines[(where // 7) % len(lines)])
            text = "\n".join(lines)
        elif kind == "delete line":
            del lines[where % len(lines)]
            text = "\n".join(lines)
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_EDIT, min_size=1, max_size=8))
def test_damaged_files_never_crash_the_checker(edits: list[tuple[str, int, str]]) -> None:
    checked = check(_damage(WELCOME, edits))
    if not checked.ok:
        assert checked.diagnostics
    for diagnostic in checked.diagnostics:
        assert diagnostic.render(checked.source)
        assert 1 <= diagnostic.span.line <= len(checked.source.lines)
