"""The parse and lexer tables of ``grammar.lark``, as data, so a parse needs no Lark.

Building Lark's parser costs about 0.07 s of CPU per process (importing Lark,
loading its cached grammar); the parse that builds the AST needs only what
Lark computed: the LALR table, what each rule's callback keeps of its
children, and each parser state's terminals. Those are kept beside this
module (``grammar_tables.json``), made by ``python -m dsl._tables --write``;
a test proves they equal what the installed Lark makes of the grammar now.
They are used only while the grammar file and the Lark version are the ones
they were made from; otherwise they are made from Lark again, so editing the
grammar never parses with stale tables.

Lark numbers its states in an order that changes with Python's string
hashing, so the states are numbered anew here, in a fixed order (breadth
first from the start states, symbols sorted): the kept file is the same
whatever the process that made it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsl._kept import kept_file_command

if TYPE_CHECKING:
    from lark import Lark

DATA = Path(__file__).with_name("grammar_tables.json")
GRAMMAR = Path(__file__).with_name("grammar.lark")
_FORMAT = 1

Action = list[Any]
"""``[-1, next state, 0]`` for a shift, ``[size, rule name, rule number]`` for a reduction
(lists, as JSON reads them: making tuples of the 12,000 would cost a check 3 ms)."""


@dataclass(frozen=True)
class Rule:
    """What the callback of one grammar rule keeps (see :mod:`dsl._callbacks`)."""

    name: str
    """The builder method: the rule's alias, else its name."""
    splice: bool
    """A ``_rule``: its children go into its parent's."""
    expand1: bool
    """A ``?rule``: one child stands for the rule."""
    include: tuple[tuple[int, bool, int], ...]
    """Which children are kept: (index, spliced, ``None``s before it)."""
    trailing: int
    """``None``s after the last child."""
    size: int
    """How many symbols the rule reduces."""


@dataclass(frozen=True)
class Lexer:
    """One parser state's lexer: Lark's pattern for its terminals, and what they mean."""

    pattern: str
    flags: int
    ignore: frozenset[str]
    multiline: frozenset[str]
    keywords: dict[str, dict[str, str]]
    """For a terminal like ``NAME``: the keywords spelt like it, by their text."""


@dataclass(frozen=True)
class Tables:
    """Everything a parse of the grammar needs."""

    states: list[dict[str, Action]]
    start_states: dict[str, int]
    end_states: dict[str, int]
    rules: list[Rule]
    lexer_of: list[int]
    """Each state's lexer, an index into ``lexers``."""
    lexers: list[Lexer]
    pass_through: dict[tuple[int, int, str], int] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Where a run of pass-through reductions ends (filled by :mod:`dsl._callbacks`)."""


@functools.cache
def tables() -> Tables:
    """The grammar's tables: the kept ones if they are current, else made from Lark."""
    data = _kept()
    if data is None:
        data = from_lark(lark_parser())
    return _tables(data)


@functools.cache
def lark_parser() -> Lark:
    """Lark's parser of the grammar (built once, with Lark's cache): to explain mistakes."""
    from lark import Lark

    from dsl._layout import MopsIndenter

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


def _kept() -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("key") == _key() else None


def _key() -> str:
    """What the tables depend on: the grammar's text, the Lark version, this format."""
    grammar = hashlib.sha256(GRAMMAR.read_bytes()).hexdigest()[:16]
    return f"{_FORMAT}:{_lark_version()}:{grammar}"


def _lark_version() -> str:
    # From the name of its metadata folder beside it (lark-1.3.1.dist-info): importing
    # importlib.metadata or Lark itself to ask would cost what the kept tables save.
    import importlib.util

    spec = importlib.util.find_spec("lark")
    if spec is not None and spec.origin is not None:
        found = list(Path(spec.origin).parent.parent.glob("lark-*.dist-info"))
        if len(found) == 1:
            return found[0].name.removeprefix("lark-").removesuffix(".dist-info")
    from importlib.metadata import version

    return version("lark")


def _tables(data: dict[str, Any]) -> Tables:
    return Tables(
        states=data["states"],
        start_states=data["start_states"],
        end_states=data["end_states"],
        rules=[
            Rule(name, splice, expand1, tuple(tuple(i) for i in include), trailing, size)
            for name, splice, expand1, include, trailing, size in data["rules"]
        ],
        lexer_of=data["lexer_of"],
        lexers=[
            Lexer(pattern, flags, frozenset(ignore), frozenset(multiline), keywords)
            for pattern, flags, ignore, multiline, keywords in data["lexers"]
        ],
    )


def from_lark(lark: Lark) -> dict[str, Any]:
    """The tables of ``lark``'s grammar as JSON data, states numbered in a fixed order."""
    from lark.parsers.lalr_analysis import Shift

    table = lark.parser.parser.parser.parse_table
    rules = list(lark.rules)
    number = {id(rule): n for n, rule in enumerate(rules)}
    order: dict[int, int] = {}
    queue = [table.start_states[name] for name in sorted(table.start_states)]
    for state in queue:
        if state in order:
            continue
        order[state] = len(order)
        for symbol in sorted(table.states[state]):
            action, arg = table.states[state][symbol]
            if action is Shift and arg not in order:
                queue.append(arg)
    assert len(order) == len(table.states), "every state is reached from a start state"
    old = {new: state for state, new in order.items()}
    states = [
        {
            symbol: [-1, order[arg], 0]
            if action is Shift
            else [len(arg.expansion), arg.origin.name, number[id(arg)]]
            for symbol, (action, arg) in sorted(table.states[old[new]].items())
        }
        for new in range(len(order))
    ]
    contextual = lark.parser.lexer.lexer
    lexers: list[list[Any]] = []
    seen: dict[str, int] = {}
    lexer_of: list[int] = []
    for new in range(len(order)):
        shown = _lexer_data(contextual.lexers[old[new]])
        key = json.dumps(shown, sort_keys=True)
        if key not in seen:
            seen[key] = len(lexers)
            lexers.append(shown)
        lexer_of.append(seen[key])
    return {
        "key": _key(),
        "start_states": {name: order[s] for name, s in sorted(table.start_states.items())},
        "end_states": {name: order[s] for name, s in sorted(table.end_states.items())},
        "rules": [_rule_data(rule) for rule in rules],
        "states": states,
        "lexer_of": lexer_of,
        "lexers": lexers,
    }


def _rule_data(rule: Any) -> list[Any]:
    splice = rule.origin.name.startswith("_") and not rule.alias
    expand1 = bool(rule.options.expand1) and not rule.alias
    include, trailing = _included(rule)
    return [rule.alias or rule.origin.name, splice, expand1, include, trailing, len(rule.expansion)]


def _included(rule: Any) -> tuple[list[list[Any]], int]:
    """Which raw children a rule keeps, whether each is spliced, and the ``None``s.

    The same selection as Lark's tree builder: named terminals and rules are
    kept, anonymous keywords and ``_``-terminals left out; with
    ``maybe_placeholders`` an absent ``[...]`` becomes ``None``.
    """
    empty = rule.options.empty_indices
    if empty:
        runs = "".join(str(int(flag)) for flag in empty).split("0")
        nones = [len(run) for run in runs]
    else:
        nones = [0] * (len(rule.expansion) + 1)
    include: list[list[Any]] = []
    pending = 0
    keep_all = rule.options.keep_all_tokens
    for index, symbol in enumerate(rule.expansion):
        pending += nones[index]
        if keep_all or not (symbol.is_term and symbol.filter_out):
            expand = not symbol.is_term and symbol.name.startswith("_")
            include.append([index, expand, pending])
            pending = 0
    return include, pending + nones[len(rule.expansion)]


def _lexer_data(basic: Any) -> list[Any]:
    from lark.lexer import PatternStr, UnlessCallback

    scanner = basic.scanner  # compiles the state's patterns, as Lark would on first use
    keywords: dict[str, dict[str, str]] = {}
    for kind, callback in sorted(basic.callback.items()):
        # Only Lark's keyword callbacks exist here (the grammar sets no lexer
        # callbacks); a keyword is plain text with no flags, so a fullmatch of
        # the keyword patterns is a lookup of the value.
        assert isinstance(callback, UnlessCallback), kind
        spelled = callback.scanner.terminals
        assert all(isinstance(t.pattern, PatternStr) and not t.pattern.flags for t in spelled)
        keywords[kind] = {t.pattern.value: t.name for t in spelled}
    (mre,) = scanner._mres  # one pattern per state (Python has no group limit now)
    return [
        mre.pattern,
        int(mre.flags),
        sorted(basic.ignore_types),
        sorted(basic.newline_types),
        keywords,
    ]


def generated() -> str:
    """The text ``grammar_tables.json`` must hold: the tables Lark makes now."""
    return json.dumps(from_lark(lark_parser()), separators=(",", ":")) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dsl._tables [--write]``: check (or rewrite) the kept tables."""
    return kept_file_command(DATA, generated, "dsl._tables", argv)


if __name__ == "__main__":
    sys.exit(main())
