"""Syntax errors in a designer's words: what the parser expected, and where to point.

The words for terminals (``a name``, ``the end of the line``), the caret of a
token, and the diagnostics of what the lexer cannot read at all (a
character no token starts with, a line indented to no open block, a text or
an interpolation left open). Used by :mod:`dsl._syntax_explain`.
"""

from __future__ import annotations

from collections.abc import Iterable

from lark import Token

from dsl._diagnostics import Diagnostic
from dsl._lalr import LAYOUT, Grammar, LexProblem
from dsl._source import Span

CLOSING = {"(": ")", "[": "]", "{": "}"}

_DESCRIBED = {
    "NAME": "a name",
    "STRING": "a text in double quotes",
    "NUMBER": "a number",
    "CURRENCY": "a currency code",
    "TIME_UNIT": "a unit of time",
    "BUSINESS_UNIT": "'days' or 'hours'",
    "SHORT_DURATION": "a duration",
    "DATE": "a date",
    "TIME": "a time of day",
    "CODE": "a diagnostic code",
    "COMPARATOR": "a comparison",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
    "_NL": "the end of the line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "$END": "the end of the file",
}

_VALUE_STARTS = frozenset(
    {"NAME", "STRING", "NUMBER", "DATE", "SHORT_DURATION", "LPAR", "LSQB", "LBRACE", "MINUS"}
    | {"TRUE", "FALSE", "NOT"}
)
_CONTINUATIONS = frozenset(
    {"COMPARATOR", "ADD_OP", "MUL_OP", "DOT", "CURRENCY", "TIME_UNIT", "PERCENT", "TIME"}
    | {"BUSINESS", "AND", "OR", "IN", "NOT", "LSQB", "LPAR"}
)
"""Terminals that would only make the expression before them longer."""


# ---- characters and layout --------------------------------------------------------------


def explain_lex_problem(problem: LexProblem, lines: list[str]) -> Diagnostic:
    """A diagnostic for a character no token starts with, or a line indented to no block."""
    if problem.kind == "dedent":
        choices = " or ".join(str(level) for level in reversed(problem.open_levels))
        return Diagnostic(
            "S005",
            f"this line is indented by {problem.col - 1} spaces, which matches no open block",
            Span.point(problem.line, problem.col),
            hint=f"the open blocks are indented by {choices} spaces; line it up with one of them",
        )
    text = lines[problem.line - 1] if 0 < problem.line <= len(lines) else ""
    line, col = problem.line, problem.col
    if problem.kind == "unopened":
        return Diagnostic(
            "S002",
            f"'{text[col - 1 : col]}' closes a bracket that was never opened",
            Span.point(line, col),
        )
    char = text[col - 1 : col]
    brace = _unclosed_interpolation(text, col) if char == '"' else None
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
        "S007", f"{shown} has no meaning here", Span.point(line, col), hint=_char_hint(char)
    )


def _char_hint(char: str) -> str | None:
    if char == "'":
        return 'texts are written in double quotes: "like this"'
    if char == "=":
        return "compare with '==', assign with 'name = ...' only where the language allows it"
    if char.isupper():
        return "names are lower_case; currencies are three capitals after a number: 100 EUR"
    return None


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


# ---- words -----------------------------------------------------------------------------


def describe_expected(expected: Iterable[str], grammar: Grammar | None = None) -> str | None:
    """What the parser could take, in words: 'expected a value, ',' or the end of the line'.

    Tokens that could only make the expression before them longer are left
    out when anything else could follow; every other one is named.
    """
    kinds = {k for k in expected if k != "$END" or len(set(expected)) == 1}
    if kinds & _VALUE_STARTS >= {"NAME", "NUMBER", "STRING"}:
        kinds = (kinds - _VALUE_STARTS) | {"<value>"}
    if kinds - _CONTINUATIONS and len(kinds) > 3:
        kinds -= _CONTINUATIONS
    words = sorted({_word_for(kind, grammar) for kind in kinds}, key=_order)
    if not words:
        return None
    if len(words) == 1:
        return f"expected {words[0]}"
    return "expected " + ", ".join(words[:-1]) + " or " + words[-1]


def _word_for(kind: str, grammar: Grammar | None) -> str:
    if kind == "<value>":
        return "a value (a name, a number, a text, a list...)"
    if kind in _DESCRIBED:
        return _DESCRIBED[kind]
    spelt = grammar.spelling.get(kind) if grammar is not None else None
    return f"'{spelt if spelt is not None else kind.lower()}'"


def _order(word: str) -> tuple[int, str]:
    # Things described (a value, a name) first, then words, then the end of a line or block.
    if word.startswith("the end") or word.startswith("an indented"):
        return (2, word)
    return (word.startswith("'"), word)


def describe_token(token: Token) -> str:
    if token.type in LAYOUT or token.type == "$END":
        # "unexpected end of the line", not "unexpected the end of the line"
        return _DESCRIBED[token.type].removeprefix("the ").removeprefix("an ")
    return f"'{token}'"


def token_span(token: Token, lines: list[str]) -> Span:
    """Where to put the caret for a token (layout tokens: the line they open or close)."""
    if token.type in {"_INDENT", "_DEDENT"}:
        line = token.end_line or 1
        content = lines[line - 1] if line - 1 < len(lines) else ""
        if not content.strip():
            # The file ended: point just after its last line rather than past the end.
            line = max((n for n, t in enumerate(lines[:line], start=1) if t.strip()), default=1)
            return Span.point(line, len(lines[line - 1]) + 1)
        col = len(content) - len(content.lstrip()) + 1
        return Span.point(line, col, max(1, len(content.strip())))
    if token.type == "_NL":
        return Span.point(token.line or 1, token.column or 1)
    line = token.line or 1
    col = token.column or 1
    return Span(line, col, token.end_line or line, token.end_column or col + 1)


# ---- brackets ----------------------------------------------------------------------------


def match_brackets(number: int, line: str, stack: list[tuple[int, int, str]]) -> None:
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
        elif ch in CLOSING:
            stack.append((number, i + 1, ch))
        elif ch in ")]}" and stack:
            stack.pop()
        i += 1
