"""Source text -> AST, reporting every syntax problem it can find.

The grammar lives in ``grammar.lark``; its tables are kept as data
(:mod:`dsl._tables`), so a file that parses is read without importing Lark.
A file is parsed once, straight into our AST: the builder runs as the parser
reduces each rule (:mod:`dsl._callbacks`), with no parse tree in between, and
its tokens come from a faster lexer built from Lark's own tables
(:mod:`dsl._lexer`). Only a file that does not parse, or nests too
deeply, is read again: a file that does not parse by :mod:`dsl._recover`,
which reports every syntax error in one more pass and explains each in words
(:mod:`dsl._syntax_explain`); one nested too deeply into Lark's tree, to find
the place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dsl import _ast as ast
from dsl._build import AstBuilder
from dsl._build_expr import ExprBuilder
from dsl._callbacks import Parse
from dsl._diagnostics import Diagnostic
from dsl._source import SourceFile, Span
from dsl._tables import lark_parser
from dsl._token import LayoutError, NotParsed

if TYPE_CHECKING:
    from lark import Token, Tree

# Lark is imported by the functions that explain a file that does not parse.

# How deeply blocks and expressions may nest (levels of the parse tree). The
# compiled process travels as JSON, which Temporal reads to a nesting depth of
# about 250, at roughly two JSON levels per tree level; the limits also keep
# every recursive stage (building, checking, evaluating) far from Python's
# recursion limit. No hand-written process comes close.
MAX_NESTING = 80
MAX_INTERPOLATION_NESTING = 20


_lark = lark_parser


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
    parse = Parse(builder, (1, 1))
    try:
        file: ast.File = parse.parse(text, "start")
    except (NotParsed, LayoutError):
        return ParseResult(None, _syntax_problems(text))
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


def _syntax_problems(text: str) -> tuple[Diagnostic, ...]:
    """Every syntax error of a file that does not parse."""
    from dsl._recover import recognize

    found = recognize(_lark(), text)
    if not found:  # pragma: no cover - both read the same tables
        found = [Diagnostic("S002", "this file cannot be read as a process", Span.point(1, 1))]
    return tuple(found)


def parse_interpolation(text: str, line: int, col: int) -> tuple[ast.Expr | None, list[Diagnostic]]:
    """Parse the expression inside ``{...}`` of a text found at ``line``:``col``."""
    simple = _simple_reference(text, line, col)
    if simple is not None:
        return simple, []
    builder = ExprBuilder(parse_interpolation, origin=(line, col))
    parse = Parse(builder, (line, col))
    try:
        expr: ast.Expr = parse.parse(text, "expr")
    except (NotParsed, LayoutError):
        from dsl._recover import recognize

        found = recognize(_lark(), text, "expr")
        if not found:  # pragma: no cover - both read the same tables
            found = [Diagnostic("S002", "this expression cannot be read", Span.point(1, 1))]
        inner = found[0]
        moved = Span(line, col + inner.span.col - 1, line, col + inner.span.end_col - 1)
        return None, [Diagnostic(inner.code, inner.message, moved, hint=inner.hint)]
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
    from lark import Tree

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
