"""``mops fmt``: canonical layout that keeps every comment and never changes a process.

Properties are checked on generated processes (every construct, written with
odd spacing, indentation, parentheses, comments and blank lines), on mutated
copies of the real files, and on every ``.mops`` file in the repository:
formatting twice changes nothing more, and the tree (spans aside) is the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dsl import SourceFile
from dsl._format import FormatError, format_source, without_spans
from dsl._format_expr import _split
from dsl._parser import parse_source
from mops import cli

ROOT = Path(__file__).resolve().parent.parent
MOPS_FILES = sorted([*ROOT.glob("processes/**/*.mops"), *ROOT.glob("tests/**/*.mops")])


def tree(text: str) -> object:
    parsed = parse_source(SourceFile.from_text(text))
    assert parsed.file is not None and not parsed.diagnostics, parsed.diagnostics
    return without_spans(parsed.file)


def comments(text: str) -> list[str]:
    return sorted(c for line in text.split("\n") if (c := _split(line)[1]) is not None)


def assert_formats_well(text: str) -> str:
    formatted = format_source(text)
    assert format_source(formatted) == formatted
    assert tree(formatted) == tree(text)
    assert comments(formatted) == comments(text)
    return formatted


# ---- the files in the repository -------------------------------------------------------------


@pytest.mark.parametrize("path", MOPS_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_process_file_formats_idempotently_to_the_same_process(path: Path) -> None:
    assert_formats_well(path.read_text())


def test_the_launch_example_is_already_canonical() -> None:
    text = (ROOT / "tests" / "examples" / "launch.mops").read_text()
    assert format_source(text) == text


def test_sections_of_a_process_are_set_apart_by_blank_lines() -> None:
    text = (ROOT / "tests" / "examples" / "nurture.mops").read_text()
    assert format_source(text) == (
        'process lead_nurture "Nurture a lead"\n'
        "  input email: email\n"
        "  input touches: number = 3\n"
        "\n"
        '  task first "First touch" = log.info(message: "Hello {email}")\n'
        "\n"
        "  output touched = touches\n"
    )


# ---- layout -------------------------------------------------------------------------------------


def test_spacing_parentheses_and_option_order_become_canonical() -> None:
    messy = (
        "process   p\n"
        "    input budget :money=0   EUR\n"
        '    input xs: list of   one of "a","b" = [ "a" , ]\n'
        '    task t = http.post( url : "http://x" ,json:{a:1,"b c":[1,2]},)\n'
        "        timeout 10   minutes\n"
        "        retry 3 times   backoff 1m\n"
        "    set y = ((1 + 2)) * (3 * 4) - -(5) + 15 %\n"
        "    if not (budget > 5 EUR and budget<10EUR) or (xs == [])\n"
        '        notify role r,person ana "hi {budget}"\n'
    )
    assert format_source(messy) == (
        "process p\n"
        "  input budget: money = 0 EUR\n"
        '  input xs: list of one of "a", "b" = ["a"]\n'
        "\n"
        '  task t = http.post(url: "http://x", json: {a: 1, "b c": [1, 2]})\n'
        "    retry 3 times backoff 1m\n"
        "    timeout 10 minutes\n"
        "\n"
        "  set y = (1 + 2) * (3 * 4) - -5 + 15%\n"
        "\n"
        "  if not (budget > 5 EUR and budget < 10 EUR) or xs == []\n"
        '    notify role r, person ana "hi {budget}"\n'
    )


def test_a_long_argument_list_gets_one_argument_per_line() -> None:
    long_text = "x" * 70
    text = f'process p\n  task t = log.info(message: "{long_text}", level: "info")\n'
    assert format_source(text) == (
        f'process p\n  task t = log.info(\n    message: "{long_text}",\n    level: "info",\n  )\n'
    )
    short = 'process p\n  task t = log.info(\n    message: "hi",\n  )\n'
    assert format_source(short) == 'process p\n  task t = log.info(message: "hi")\n'


def test_long_lines_are_broken_where_the_language_allows_it() -> None:
    # One argument, item or field per line; a long condition in brackets, one
    # 'and' per line; long returns continued after a '\\'. Only the text stays long.
    formatted = assert_formats_well((ROOT / "tests" / "format" / "long_lines.mops").read_text())
    expected = (ROOT / "tests" / "format" / "long_lines.formatted.mops").read_text()
    assert formatted == expected
    too_long = [line.split()[0] for line in formatted.split("\n") if len(line) > 100]
    assert too_long == ["notify"]


def test_long_returns_keep_a_comment_at_the_end_of_their_line_on_one_line() -> None:
    # A comment cannot follow the '\\' that would continue the line.
    fields = ", ".join(f"field_{n}: number" for n in range(8))
    text = f"process p\n  work w\n    assign role writer\n    returns {fields}  # why\n"
    assert assert_formats_well(text) == text


def test_a_short_condition_stays_whole_when_the_results_after_it_are_long() -> None:
    results = ", ".join(f'{name} = "event-{name}-touch"' for name in ("first", "second", "third"))
    text = f'process p\n  decide d\n    when track == "event" -> {results}\n'
    assert len(text.split("\n")[2]) > 100
    assert assert_formats_well(text) == text


def test_a_comment_among_the_items_of_an_expression_keeps_it_broken_beside_its_item() -> None:
    text = (
        "process p\n"
        "  set tiers = tier in [\n"
        '    "gold",  # the big ones\n'
        "    # new this year\n"
        '    "platinum"]\n'
        "  if (\n"
        '    tier == "gold"\n'
        "    # or a large budget\n"
        "    or budget > 5 EUR\n"
        "  )\n"
        "    set x = 1\n"
    )
    assert assert_formats_well(text) == (
        "process p\n"
        "  set tiers = tier in [\n"
        '    "gold",  # the big ones\n'
        "    # new this year\n"
        '    "platinum",\n'
        "  ]\n"
        "\n"
        "  if (\n"
        '    tier == "gold"\n'
        "    # or a large budget\n"
        "    or budget > 5 EUR\n"
        "  )\n"
        "    set x = 1\n"
    )


def test_a_long_argument_inside_a_broken_call_is_broken_too() -> None:
    items = ", ".join(f'"channel_{n}"' for n in range(6))
    text = f'process p\n  task t = log.info(message: join([{items}], ", "))\n'
    assert assert_formats_well(text) == (
        "process p\n"
        "  task t = log.info(\n"
        "    message: join(\n"
        f"      [{items}],\n"
        '      ", "\n'
        "    ),\n"
        "  )\n"
    )


def test_a_chain_that_needs_its_brackets_keeps_them_when_broken() -> None:
    name = "the_budget_for_the_whole_campaign_in_every_region"
    text = f'process p\n  set x = -({name} == ["linkedin", "newsletter", "webinar", "events"])\n'
    assert assert_formats_well(text) == (
        "process p\n"
        "  set x = -(\n"
        f"    {name}\n"
        '    == ["linkedin", "newsletter", "webinar", "events"]\n'
        "  )\n"
    )


def test_texts_keep_their_escapes_and_interpolations_as_written() -> None:
    text = 'process p\n  input n: text\n\n  fail "a \\"q\\" {{x}} \\t {join([n, "b"], ", ")}"\n'
    assert format_source(text) == text


# ---- comments ------------------------------------------------------------------------------------


def test_comments_go_with_the_line_after_them_and_stay_at_the_end_of_theirs() -> None:
    text = (
        "# what this is\n"
        "\n"
        "process p  # the process\n"
        "      # about the input\n"
        "  input n: number\n"
        "  task t = log.info(\n"
        "    # the message\n"
        '    message: "hi",  # short\n'
        "  )  # done\n"
        "    # how long\n"
        "    timeout 1m\n"
        "# at the end\n"
    )
    assert format_source(text) == (
        "# what this is\n"
        "\n"
        "process p  # the process\n"
        "  # about the input\n"
        "  input n: number\n"
        "\n"
        "  task t = log.info(\n"
        "    # the message\n"
        '    message: "hi",  # short\n'
        "  )\n"
        "    # done\n"
        "    # how long\n"
        "    timeout 1m\n"
        "# at the end\n"
    )


def test_a_comment_on_an_output_moves_with_it_to_the_end() -> None:
    text = 'process p\n  # the answer\n  output o = 42\n  task t = log.info(message: "x")\n'
    assert format_source(text) == (
        'process p\n  task t = log.info(message: "x")\n\n  # the answer\n  output o = 42\n'
    )


# ---- what is not formatted ---------------------------------------------------------------------


def test_a_file_with_syntax_errors_is_not_formatted() -> None:
    with pytest.raises(FormatError) as raised:
        format_source('process p\n  task t log.info(message: "x")\n')
    assert [d.code for d in raised.value.diagnostics] == ["S002"]


def test_a_file_whose_tree_would_lose_something_is_not_formatted() -> None:
    with pytest.raises(FormatError) as raised:
        format_source("process p\n  input n: nmber\n")
    assert [d.code for d in raised.value.diagnostics] == ["T001"]


# ---- generated processes -----------------------------------------------------------------------

# Long names and literals make lines past 100 columns, which fmt breaks.
NAMES = (
    "budget",
    "score",
    "tier",
    "xs",
    "brief.doc_url",
    "review.approved",
    "the_budget_for_the_whole_campaign_in_every_region",
)
ATOMS = (
    "0",
    "12.50",
    "0.0000001",
    "100 EUR",
    "100EUR",
    "15 %",
    "3 days",
    "2 business days",
    "1h",
    "2026-12-01",
    "2026-12-01 09:00",
    '"hi {budget}"',
    '"a \\"q\\" {{x}} # not a comment"',
    '"{join(xs, ", ")}"',
    "true",
    "false",
    "[]",
    "[1, 2,]",
    '{a: 1, "b c": score}',
    "len(xs)",
    "xs[0]",
    "f()",
    '["linkedin", "newsletter", "webinar", "events", "paid_social"]',
    '{channel: "newsletter", audience: "existing_customers", owner: tier}',
    'join(["linkedin", "newsletter", "webinar"], ", ")',
)
OPERATORS = ("or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "+", "-", "*", "/")


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    space = draw(st.sampled_from([" ", "  "]))
    kind = draw(st.integers(0, 4 if depth < 3 else 1))
    if kind == 0:
        return draw(st.sampled_from(NAMES))
    if kind == 1:
        return draw(st.sampled_from(ATOMS))
    inner = draw(expressions(depth + 1))
    if kind == 2:
        return f"not{space}({inner})" if draw(st.booleans()) else f"-({inner})"
    if kind == 3:
        return f"({inner})"
    op = draw(st.sampled_from(OPERATORS))
    right = draw(expressions(depth + 1))
    return f"({inner}){space}{op}{space}({right})"


def statements(depth: int) -> st.SearchStrategy[list[str]]:
    """A step as lines relative to its own indentation (``\t`` marks one level)."""
    kinds: list[st.SearchStrategy[list[str]]] = [
        tasks(),
        humans(),
        decisions(),
        expressions().map(lambda e: [f"set y = {e}"]),
        expressions().map(lambda e: [f"notify role r, person ana {e}"]),
        expressions().map(lambda e: [f"wait until ({e}) at 09:00 in send window"]),
        expressions().map(lambda e: [f'wait for event "e" key ({e}) as ev, deadline 3 days -> t']),
        st.just(["wait 2 business days"]),
        st.just(['exit when event "stop" key budget']),
        st.just(["go back to t, at most 1 time"]),
        expressions().map(lambda e: [f"fail {e}"]),
        expressions().map(lambda e: [f'call c "Call" = lead_nurture(email: {e}, touches: 3)']),
    ]
    if depth < 2:
        kinds += [blocks(depth)] * 3
    return st.sampled_from(kinds).flatmap(lambda kind: kind)


@st.composite
def tasks(draw: st.DrawFn) -> list[str]:
    args = draw(st.lists(expressions(), min_size=0, max_size=3))
    parts = [f"a{i}: {e}" for i, e in enumerate(args)]
    if draw(st.booleans()):
        head = ['task t "Send" = http.post(', *[f"\t{p}," for p in parts], ")"]
    else:
        head = [f"task t = http.post({', '.join(parts)})"]
    options = draw(
        st.lists(
            st.sampled_from(
                [
                    "retry 3 times backoff 1m to 1h",
                    "timeout 10 minutes",
                    "on error -> fix",
                    "undo with http.post(url: t.url)",
                    "allow G101, G102",
                ]
            ),
            unique=True,
        )
    )
    return head + [f"\t{o}" for o in options]


@st.composite
def humans(draw: st.DrawFn) -> list[str]:
    work = draw(st.booleans())
    pool = (
        ["assign role writer", "returns doc_url: url, words: number"]
        if work
        else [
            "by 2 of role editor, person ana",
            "not by brief.assignee, person_x",
            "delegation allowed",
            "on reject -> t",
            "on changes -> t",
            "at most 3 rounds, then fail",
            'at most 2 rounds, then fail "no {budget}"',
        ]
    )
    common = ["deadline 2 business days", "remind every 1d", "escalate to role lead after 4h"]
    options = draw(st.lists(st.sampled_from(pool + common), min_size=1, unique=True))
    rounds = [o for o in options if o.startswith("at most")]
    options = [o for o in options if not o.startswith("at most")] + rounds[:1]
    return ["work w" if work else 'approval a "Approve"', *[f"\t{o}" for o in options]]


@st.composite
def decisions(draw: st.DrawFn) -> list[str]:
    policy = draw(st.sampled_from(["", "first", "unique", "collect", "priority"]))
    named = draw(st.booleans())
    rows = []
    for n in range(draw(st.integers(1, 3))):
        result = f"k = {draw(expressions())}, j = 1" if named else draw(expressions())
        rank = f" priority {n}" if policy == "priority" else ""
        rows.append(f"when {draw(expressions())} -> {result}{rank}")
    if draw(st.booleans()):
        rows.append("otherwise -> " + ("k = 0, j = 2" if named else "0"))
    return ["decide d", *([f"\thit policy {policy}"] if policy else []), *[f"\t{r}" for r in rows]]


@st.composite
def blocks(draw: st.DrawFn, depth: int) -> list[str]:
    def body() -> list[str]:
        steps = draw(st.lists(statements(depth + 1), min_size=1, max_size=2))
        return ["\t" + line for step in steps for line in step]

    kind = draw(st.sampled_from(["if", "parallel", "for"]))
    if kind == "if":
        lines = [f"if {draw(expressions())}", *body()]
        if draw(st.booleans()):
            lines += [f"else if {draw(expressions())}", *body()]
        if draw(st.booleans()):
            lines += ["else", *body()]
        return lines
    if kind == "for":
        return [f"for each x in {draw(expressions())}, 2 at a time", *body()]
    join = draw(st.sampled_from(["", " all", " first", " 2 of"]))
    return [f'parallel{join} "Together"', "\tbranch b1", *["\t" + line for line in body()], *body()]


@st.composite
def processes(draw: st.DrawFn) -> str:
    header = ['use "nurture.mops"', "calendar berlin", '\ttime zone "Europe/Berlin"']
    header += ["\tworking days mon to wed, fri", "\tblackout 2026-12-20 to 2027-01-06"]
    header += ['process p "A \\"title\\""', "\towner role lead", "\tallow G101"]
    header += [f"\tinput budget: money = {draw(expressions())}", '\tinput tier: one of "a", "b"']
    steps = draw(st.lists(statements(0), min_size=1, max_size=4))
    header += ["\t" + line for step in steps for line in step]
    header += [f"\toutput o = {draw(expressions())}"]
    return decorate(draw, header)


def decorate(draw: st.DrawFn, lines: list[str]) -> str:
    """Indent with a random width and sprinkle comments and blank lines."""
    unit = " " * draw(st.sampled_from([2, 3, 4]))
    out: list[str] = []
    for line in lines:
        level = len(line) - len(line.lstrip("\t"))
        text = unit * level + line.lstrip("\t")
        choice = draw(st.integers(0, 9))
        if choice == 0:
            out.append(" " * draw(st.integers(0, 6)) + "# a comment")
        elif choice == 1:
            out.append("")
        elif choice == 2:
            text += "  # why"
        out.append(text)
    return "\n".join(out) + "\n"


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(processes())
def test_generated_processes_format_idempotently_keeping_tree_and_comments(text: str) -> None:
    parsed = parse_source(SourceFile.from_text(text))
    assume(parsed.file is not None and not parsed.diagnostics)
    assert_formats_well(text)


@st.composite
def mutated_files(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(MOPS_FILES))
    lines: list[str] = []
    for raw in path.read_text().split("\n"):
        code, comment = _split(raw)
        depth = (len(code) - len(code.lstrip())) // 2
        body = code.lstrip()
        if draw(st.booleans()):  # doubled spaces outside texts
            body = " ".join(_respace(draw, body))
        lines.append("\t" * depth + body + ("" if comment is None else "  " + comment))
    return decorate(draw, lines)


def _respace(draw: st.DrawFn, code: str) -> Iterator[str]:
    """The code's pieces between spaces outside texts, some of them with a space more."""
    piece, i = "", 0
    while i < len(code):
        if code[i] == '"':
            end = code.find('"', i + 1)
            while end > 0 and code[end - 1] == "\\":
                end = code.find('"', end + 1)
            if "{" in code[i:end]:  # interpolations may hold quotes: keep the rest
                yield piece + code[i:]
                return
            piece += code[i : end + 1]
            i = end + 1
        elif code[i] == " ":
            yield piece + (" " if draw(st.integers(0, 3)) == 0 else "")
            piece, i = "", i + 1
        else:
            piece += code[i]
            i += 1
    yield piece


@SETTINGS
@given(mutated_files())
def test_mutated_real_files_format_idempotently_keeping_tree_and_comments(text: str) -> None:
    parsed = parse_source(SourceFile.from_text(text))
    assume(parsed.file is not None and not parsed.diagnostics)
    assert_formats_well(text)


# ---- the command ------------------------------------------------------------------------------


CANONICAL = 'process p\n  task t = log.info(message: "x")\n'


def test_check_passes_on_canonical_files_and_fails_on_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "good.mops", tmp_path / "bad.mops"
    good.write_text(CANONICAL)
    bad.write_text(CANONICAL.replace("(message", "( message"))

    assert cli.main(["fmt", "--check", str(good)]) == 0
    assert cli.main(["fmt", "--check", str(good), str(bad)]) == 1

    assert capsys.readouterr().out == f"{bad}: would change\n"
    assert bad.read_text() != CANONICAL  # --check changes nothing


def test_fmt_rewrites_files_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.mops"
    path.write_text(CANONICAL.replace("  task", "    task"))
    path.chmod(0o640)

    assert cli.main(["fmt", str(path)]) == 0
    assert path.read_text() == CANONICAL
    assert path.stat().st_mode & 0o777 == 0o640
    assert cli.main(["fmt", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: formatted\n"
    assert [p.name for p in tmp_path.iterdir()] == ["p.mops"]


def test_a_file_with_errors_prints_its_diagnostics_and_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.mops"
    text = 'process p\n  task t log.info(message: "x")\n'
    path.write_text(text)

    assert cli.main(["fmt", str(path), str(tmp_path / "missing.mops")]) == 1

    err = capsys.readouterr().err
    assert f"{path}:2:10: error[S002]" in err
    assert f"{path}: not formatted: fix the problems above first" in err
    assert f"{tmp_path / 'missing.mops'}: no such file" in err
    assert "Traceback" not in err
    assert path.read_text() == text
