"""Reading on after a syntax error: one diagnostic per mistake, on its line, never a crash.

The recovering pass (dsl/_recover.py) skips the statement at fault and the
block under it and reads on from the marks it kept; what the skip leaves
behind must not be reported as mistakes of the designer's.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import Catalogue, CheckedProcess, SourceFile, check_source
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())
LIBRARY = sorted((Path(__file__).resolve().parent.parent / "processes").glob("*.mops"))


def check(text: str) -> CheckedProcess:
    return check_source(SourceFile.from_text(text, "example.mops"), CATALOGUE)


def found(text: str) -> list[tuple[str, int, str]]:
    return [(d.code, d.span.line, d.message) for d in check(text).diagnostics]


def big_process(steps: int) -> str:
    lines = ["process big", "  input title: text"]
    for n in range(steps):
        lines += [
            f'  task step_{n} "Step {n}" = log.info(',
            f'    message: "Step {n} of {{title}}",',
            f"    fields: {{n: {n}}},",
            "  )",
            "    retry 2 times backoff 10s to 1m",
        ]
    return "\n".join(lines) + "\n"


def test_a_missing_comma_in_a_large_file_is_reported_once_on_its_own_line() -> None:
    lines = big_process(2000).split("\n")
    at = len(lines) // 2
    while not lines[at].startswith("    message:"):
        at += 1
    lines[at] = lines[at].rstrip(",")
    assert found("\n".join(lines)) == [("S002", at + 1, "a ',' is missing at the end of this line")]


def test_a_block_left_empty_by_the_skip_takes_its_header_with_it() -> None:
    text = "process p\n  input x: number\n  if x > 1\n    set b = 'a'\n  set d = 4\n  set e 5\n"
    assert found(text) == [
        ("S007", 4, "a single quote (') has no meaning here"),
        ("S002", 6, "a '=' is missing before '5'"),
    ]


def test_an_if_skipped_takes_its_else_and_a_run_indented_too_far_is_one_mistake() -> None:
    text = (
        "process p\n"
        "  input x: number\n"
        "  if x >\n"
        "    set b = 2\n"
        "  else\n"
        "    set c = 3\n"
        "  set d = 4\n"
        "    set e = 5\n"
        "    set f = 6\n"
        "  set g = 7\n"
    )
    assert found(text) == [
        ("S002", 3, "unexpected end of the line"),
        (
            "S002",
            8,
            "this line is indented more than the line above, but nothing opens a block there",
        ),
    ]


def test_single_quotes_throughout_a_library_file_are_one_diagnostic() -> None:
    text = (LIBRARY[0].parent / "lead_routing.mops").read_text()
    damaged = text.replace('method: "PATCH"', "method: 'PATCH'")
    [problem] = check(damaged).diagnostics
    assert problem.code == "S007"
    assert problem.hint is not None and "the same on lines" in problem.hint


_PIECES = [*"\"'{}():[],.=#\t\n \\-+<>0aZ", "if ", "else", "task ", "  ", "->", "elif ", "{x}"]
_EDIT = st.tuples(
    st.sampled_from(["delete", "insert", "duplicate line", "delete line", "dedent line"]),
    st.integers(min_value=0, max_value=100_000),
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
        elif kind == "dedent line":
            at = where % len(lines)
            lines[at] = lines[at].removeprefix("  ")
            text = "\n".join(lines)
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(LIBRARY), st.lists(_EDIT, min_size=1, max_size=6))
def test_damaged_library_files_never_crash_the_checker(
    path: Path, edits: list[tuple[str, int, str]]
) -> None:
    checked = check(_damage(path.read_text(), edits))
    if not checked.ok:
        assert checked.diagnostics
    for diagnostic in checked.diagnostics:
        assert diagnostic.render(checked.source)
        assert 1 <= diagnostic.span.line <= max(1, len(checked.source.lines))
