"""Source text -> AST, reporting every syntax problem it can find.

The grammar lives in ``grammar.lark`` and is compiled once per process with
Lark's cache. A file is parsed once, straight into our AST: the builder runs
as Lark's parser reduces each rule (:mod:`dsl._callbacks`), with no parse tree
in between, and its tokens come from a faster lexer built from Lark's own
tables (:mod:`dsl._lexer`). Only a file that does not parse, or nests too
deeply, is parsed again (with Lark's lexer) into Lark's tree, to explain what
is wrong with it. Syntax errors are
explained through a table of labelled bad examples
(:mod:`dsl._syntax_examples`); after an error the parser blanks the offending
line (and the block it opened) and tries again, so one run reports several
independent mistakes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from lark import Lark, Token, Tree
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from dsl import _ast as ast
from dsl._build import AstBuilder
from dsl._build_expr import ExprBuilder
from dsl._callbacks import Parse
from dsl._diagnostics import Diagnostic
from dsl._layout import LayoutError, MopsIndenter
from dsl._source import SourceFile, Span
from dsl._syntax_examples import describe_expected, explain

MAX_SYNTAX_ERRORS = 25

# How deeply blocks and expressions may nest (levels of the parse tree). The
# compiled process travels as JSON, which Temporal reads to a nesting depth of
# about 250, at roughly two JSON levels per tree level; the limits also keep
# every recursive stage (building, checking, evaluating) far from Python's
# recursion limit. No hand-written process comes close.
MAX_NESTING = 80
MAX_INTERPOLATION_NESTING = 20


@functools.cache
def _lark() -> Lark:
    return Lark.open(
        "grammar.lark",
        rel_to=__file__,
        parser="lalr",
        start=["start", "expr"],
        postlex=MopsIndenter(),
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


@dataclass(frozen=True)
class ParseResult:
    """The AST (None when the file could not be read at all) and every problem."""

    file: ast.File | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def process(self) -> ast.Process | None:
        """The file's process, if it parsed and has one."""
        return None if self.file is None else self.file.process


def parse_source(source: SourceFile) -> ParseResult:
    """Parse a whole process file."""
    problems = _layout_problems(source)
    if problems:
        return ParseResult(None, tuple(problems))
    text = source.text.rstrip() + "\n"  # its lines, joined again
    builder = AstBuilder(parse_interpolation)
    parse = Parse(_lark(), builder, (1, 1))
    try:
        file: ast.File = parse.parse(_lark(), text, "start")
    except (UnexpectedInput, LayoutError):
        return ParseResult(None, _syntax_problems(list(source.lines)))
    if parse.height > MAX_NESTING:
        too_deep = _too_deep(_lark().parse(text, start="start"), MAX_NESTING, (1, 1))
        if too_deep is not None:
            return ParseResult(None, (too_deep,))
    problems = list(builder.diagnostics)
    if file.process is None:
        problems.append(
            Diagnostic(
                "S006",
                "the file has no process in it",
                Span.point(1, 1),
                hint='add one: process my_process "What it does"',
            )
        )
    return ParseResult(file, tuple(problems))


def _syntax_problems(lines: list[str]) -> tuple[Diagnostic, ...]:
    """Every syntax error of a file that does not parse.

    After each error the offending line (and the block it opened) is blanked
    and the file parsed again, until it parses or nothing is left to blank.
    """
    syntax: list[Diagnostic] = []
    while True:
        text = "\n".join(lines).rstrip() + "\n"
        try:
            _lark().parse(text, start="start")
        except (UnexpectedInput, LayoutError) as error:
            diagnostic = _diagnose(error, text)
            # Blanking a broken line can leave an empty block or file behind; what
            # that causes is our doing, not the designer's, so it is not reported.
            if not (syntax and _is_follow_on(error)):
                syntax.append(diagnostic)
            if len(syntax) >= MAX_SYNTAX_ERRORS or not _blank_out(lines, diagnostic.span.line):
                return tuple(syntax)
            continue
        return tuple(syntax)


def parse_interpolation(text: str, line: int, col: int) -> tuple[ast.Expr | None, list[Diagnostic]]:
    """Parse the expression inside ``{...}`` of a text found at ``line``:``col``."""
    simple = _simple_reference(text, line, col)
    if simple is not None:
        return simple, []
    builder = ExprBuilder(parse_interpolation, origin=(line, col))
    parse = Parse(_lark(), builder, (line, col))
    try:
        expr: ast.Expr = parse.parse(_lark(), text, "expr")
    except (UnexpectedInput, LayoutError):
        try:
            _lark().parse(text, start="expr")
        except (UnexpectedInput, LayoutError) as error:
            inner = _diagnose(error, text)
            moved = Span(line, col + inner.span.col - 1, line, col + inner.span.end_col - 1)
            return None, [Diagnostic(inner.code, inner.message, moved, hint=inner.hint)]
        raise  # pragma: no cover - both parsers read the same grammar
    if parse.height > MAX_INTERPOLATION_NESTING:
        tree = _lark().parse(text, start="expr")
        if (too_deep := _too_deep(tree, MAX_INTERPOLATION_NESTING, (line, col))) is not None:
            return None, [too_deep]
    return expr, builder.diagnostics


_DOTTED = re.compile(r"\s*([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\s*$")
_KEYWORDS = frozenset({"true", "false", "not", "and", "or", "in"})


def _simple_reference(text: str, line: int, col: int) -> ast.Expr | None:
    """``{title}`` or ``{draft.doc_url}`` without a parser: most interpolations are these."""
    match = _DOTTED.match(text)
    if match is None:
        return None
    names = match.group(1).split(".")
    if _KEYWORDS & set(names):
        return None
    start = col + match.start(1)
    expr: ast.Expr = ast.Name(names[0], Span(line, start, line, start + len(names[0])))
    end = start + len(names[0])
    for name in names[1:]:
        name_span = Span(line, end + 1, line, end + 1 + len(name))
        end = name_span.end_col
        expr = ast.Attribute(expr, name, Span(line, start, line, end), name_span)
    return expr


def _too_deep(tree: Tree[Token], limit: int, origin: tuple[int, int]) -> Diagnostic | None:
    """S009 at the first node nested deeper than ``limit``; iterative, so it cannot overflow."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            meta = node.meta
            line = getattr(meta, "line", 1)
            col = getattr(meta, "column", 1)
            if origin != (1, 1):
                line, col = origin[0], origin[1] + col - 1
            return Diagnostic(
                "S009",
                "blocks or expressions are nested too deeply here for the process to run",
                Span.point(line, col),
                hint="use 'else if' rather than an 'if' inside an 'else', and split long "
                "expressions into smaller steps",
            )
        children = [child for child in node.children if isinstance(child, Tree)]
        stack.extend((child, depth + 1) for child in reversed(children))  # file order
    return None


def _layout_problems(source: SourceFile) -> list[Diagnostic]:
    """Problems that make indentation meaningless; reported before parsing."""
    problems: list[Diagnostic] = []
    lines = source.lines if "\t" in source.text else ()  # no tab, no line to look at
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip(" \t")
        lead = line[: len(line) - len(stripped)]
        if "\t" in lead:
            problems.append(
                Diagnostic(
                    "S003",
                    "this line is indented with a tab",
                    Span.point(number, lead.index("\t") + 1),
                    hint="indent with spaces only (two per level is the house style)",
                )
            )
    if not any(line.strip() and not line.lstrip().startswith("#") for line in source.lines):
        problems.append(
            Diagnostic(
                "S006",
                "the file has no process in it",
                Span.point(1, 1),
                hint='start with: process my_process "What it does"',
            )
        )
    return problems


def _diagnose(error: UnexpectedInput | LayoutError, text: str) -> Diagnostic:
    if isinstance(error, LayoutError):
        return Diagnostic(
            error.code, error.message, Span.point(error.line, error.col), hint=error.hint
        )
    if isinstance(error, UnexpectedCharacters):
        line, col = error.line, error.column
        char = text.splitlines()[line - 1][col - 1 : col] if line > 0 else ""
        brace = _unclosed_interpolation(text.splitlines()[line - 1], col) if char == '"' else None
        if brace is not None:
            return Diagnostic(
                "S008",
                f"the interpolation at column {brace} is not closed with '}}'",
                Span.point(line, brace),
                hint="write {name} to insert a value, or {{ for a literal brace",
            )
        if char == '"':
            return Diagnostic(
                "S004",
                "this text is not closed: a '\"' is missing before the end of the line",
                Span.point(line, col),
                hint='texts stay on one line; write \\" for a quote inside a text',
            )
        if char == "'":
            shown = "a single quote (')"
        elif char.isprintable():
            shown = f"'{char}'"
        else:
            shown = f"the character U+{ord(char or ' '):04X}"
        return Diagnostic(
            "S007",
            f"{shown} has no meaning here",
            Span.point(line, col),
            hint=_unexpected_char_hint(char),
        )
    token: Token | None = getattr(error, "token", None)
    if isinstance(error, UnexpectedEOF) or token is None or token.type == "$END":
        last = len(text.rstrip("\n").split("\n"))
        return Diagnostic(
            "S002",
            "the file ends in the middle of a step",
            Span.point(last, 1),
            hint=describe_expected(getattr(error, "expected", set())),
        )
    assert isinstance(error, UnexpectedToken)
    # Layout tokens borrow the newline before them, which ends the line at fault.
    layout = token.type in {"_NL", "_INDENT", "_DEDENT"}
    unclosed = _unclosed_bracket_before(text, (token.end_line if layout else token.line) or 1)
    if unclosed is not None:
        line, col, bracket = unclosed
        return Diagnostic(
            "S002",
            f"the '{bracket}' opened at line {line}, column {col} is never closed",
            Span.point(line, col),
            hint=f"close it with '{_CLOSING[bracket]}' before the end of line {line}",
        )
    return explain(error, token, _lark().parse, text)


_CLOSING = {"(": ")", "[": "]", "{": "}"}


def _unclosed_bracket_before(text: str, error_line: int) -> tuple[int, int, str] | None:
    """A bracket opened before ``error_line`` that is never closed, if there is one.

    A call may span lines, so a bracket still open at the end of a line is only
    the culprit when no closing bracket follows anywhere after it.
    """
    lines = text.split("\n")
    stack: list[tuple[int, int, str]] = []
    for number, line in enumerate(lines, start=1):
        if number >= error_line and not stack:
            return None
        _match_brackets(number, line, stack)
        if number >= error_line and not stack:
            return None
    return stack[0] if stack and stack[0][0] < error_line else None


def _match_brackets(number: int, line: str, stack: list[tuple[int, int, str]]) -> None:
    """Push the brackets ``line`` opens and pop those it closes, skipping texts and comments."""
    i = 0
    in_text = False
    while i < len(line):
        ch = line[i]
        if in_text:
            if ch == "\\" or line.startswith("{{", i):
                i += 1
            elif ch == "{":
                # An interpolation may hold quotes: "{join(channels, ", ")}"
                close = line.find("}", i)
                i = len(line) if close < 0 else close
            elif ch == '"':
                in_text = False
        elif ch == '"':
            in_text = True
        elif ch == "#":
            return
        elif ch in _CLOSING:
            stack.append((number, i + 1, ch))
        elif ch in ")]}" and stack:
            stack.pop()
        i += 1


def _unclosed_interpolation(line: str, col: int) -> int | None:
    """The column of a '{' in the text starting at ``col`` that has no '}' after it."""
    i = col
    while i < len(line):
        if line[i] == "\\" or line.startswith("{{", i):
            i += 2
        elif line[i] == "{":
            close = line.find("}", i)
            if close < 0:
                return i + 1
            i = close + 1
        elif line[i] == '"':
            return None
        else:
            i += 1
    return None


def _is_follow_on(error: UnexpectedInput | LayoutError) -> bool:
    if isinstance(error, UnexpectedEOF | LayoutError):
        return True
    if isinstance(error, UnexpectedCharacters):
        return False
    token: Token | None = getattr(error, "token", None)
    return token is None or token.type in {"$END", "_INDENT", "_DEDENT"}


def _unexpected_char_hint(char: str) -> str | None:
    if char == "'":
        return 'texts are written in double quotes: "like this"'
    if char == "=":
        return "compare with '==', assign with 'name = ...' only where the language allows it"
    if char.isupper():
        return "names are lower_case; currencies are three capitals after a number: 100 EUR"
    return None


def _blank_out(lines: list[str], line_no: int) -> bool:
    """Blank the line of an error and the block it may have opened; False if nothing left."""
    index = line_no - 1
    if not 0 <= index < len(lines) or not lines[index].strip():
        return False
    indent = len(lines[index]) - len(lines[index].lstrip())
    lines[index] = ""
    # The block under a broken header would only produce follow-on errors.
    for i in range(index + 1, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        if len(line) - len(line.lstrip()) <= indent:
            break
        lines[i] = ""
    return True
