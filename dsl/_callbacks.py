"""Building the AST inside Lark's LALR parser: one callback per grammar rule.

Lark would otherwise build its parse tree, work out positions for every node
and then walk the tree again to build ours. Here each builder method runs as
the parser reduces its rule, so no parse tree exists at all. What Lark's
tree would have given the builder is reproduced exactly:

* the children it would see (anonymous keywords and layout tokens left out,
  ``None`` where an optional ``[...]`` is absent, ``_rule`` children spliced in);
* the span it would compute with ``propagate_positions``: from the first token
  to the last, where a child's extent includes the brackets around it
  (``(a + b) * c`` starts at the bracket);
* the height of the tree, so a file nested too deeply is still refused
  (:data:`dsl._parser.MAX_NESTING`).

Lark gives an embedded transformer neither positions nor the raw children, so
the callbacks are given to Lark's LALR parser directly (an interactive parse
whose callbacks are replaced before it runs).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from lark import Lark, Token

from dsl._lexer import fast_lexer
from dsl._source import Span

Callback = Callable[[list[Any]], Any]

# id(value) -> (value, line, col, end_line, end_col, height) of every value a
# callback made. The value itself is kept so its id cannot be reused by a
# token made later in the same parse.
Extents = dict[int, tuple[Any, ...]]


class Splice(list[Any]):
    """The children of a ``_rule`` or a repetition, spliced into the parent."""


class Parse:
    """The callbacks of one parse and what they found out about the tree.

    ``height`` is the height of the tree Lark would have built (after
    :meth:`parse`); each parse needs a ``Parse`` of its own.
    """

    def __init__(self, lark: Lark, builder: Any, origin: tuple[int, int]) -> None:
        self.extents: Extents = {}
        self.height = 0
        extents = self.extents
        callbacks: dict[Any, Callable[..., Any]] = {}
        for rule in lark.rules:
            callbacks[rule] = self._rule(rule, builder, origin)
        text = builder.text_token

        def on_string(token: Token) -> Any:
            value = text(token)
            where = (token.line, token.column, token.end_line, token.end_column)
            extents[id(value)] = (value, *where, 0)
            return value

        callbacks["STRING"] = on_string
        self.callbacks = callbacks

    def parse(self, lark: Lark, text: str, start: str) -> Any:
        """Parse ``text`` from the rule ``start`` into the builder's result.

        Raises:
            UnexpectedInput: the text does not parse.
            LayoutError: its indentation or brackets cannot be read.
        """
        interactive = lark.parse_interactive(text, start=start)
        interactive.parser_state.parse_conf.callbacks = self.callbacks
        interactive.lexer_thread.lexer = fast_lexer(lark)  # type: ignore[assignment]
        result = interactive.resume_parse()  # type: ignore[no-untyped-call]
        entry = self.extents.get(id(result))  # the root: no node is higher
        self.height = 0 if entry is None else entry[5]
        return result

    def _rule(self, rule: Any, builder: Any, origin: tuple[int, int]) -> Callback:
        extents = self.extents
        get = extents.get
        name = rule.alias or rule.origin.name
        splice = rule.origin.name.startswith("_") and not rule.alias
        expand1 = bool(rule.options.expand1) and not rule.alias
        include, trailing = _included(rule)
        if expand1 and include == [(0, False, 0)] and len(rule.expansion) == 1 and not trailing:
            return _first  # ?expr: or_test - the child is the node, extent and all
        method = None if splice else getattr(builder, name, None) or _missing(name)
        line0, col0 = origin
        shifted = origin != (1, 1)

        def callback(children: list[Any]) -> Any:
            # Where the rule starts and ends, as propagate_positions would say.
            if children:
                first = children[0]
                entry = get(id(first))
                if entry is None:
                    line, col = first.line, first.column
                else:
                    line, col = entry[1], entry[2]
                last = children[-1]
                entry = get(id(last))
                if entry is None:
                    end_line, end_col = last.end_line, last.end_column
                else:
                    end_line, end_col = entry[3], entry[4]
            else:
                line, col, end_line, end_col = 1, 1, 1, 2
            # The children Lark's tree would have, and the height below them.
            height = 0
            kept: list[Any] = []
            for index, expand, nones in include:
                if nones:
                    kept += [None] * nones
                child = children[index]
                entry = get(id(child))
                if entry is not None and entry[5] > height:
                    height = entry[5]
                if expand:
                    if kept:
                        kept += child
                    else:
                        kept = child  # left recursion: keep adding to the same list
                else:
                    kept.append(child)
            if trailing:
                kept += [None] * trailing
            if splice:
                value: Any = kept if isinstance(kept, Splice) else Splice(kept)
            elif expand1 and len(kept) == 1:
                value = kept[0]
                entry = get(id(value))
                if entry is not None:
                    height = entry[5]
                elif len(children) == 1:
                    return value  # a token passed through: it speaks for itself
                else:
                    height = 0
                extents[id(value)] = (value, line, col, end_line, end_col, height)
                return value
            else:
                height += 1
                span = (
                    Span(line0, col0 + col - 1, line0, col0 + end_col - 1)
                    if shifted
                    else Span(line, col, end_line, end_col)
                )
                value = method(span, kept)  # type: ignore[misc]
            extents[id(value)] = (value, line, col, end_line, end_col, height)
            return value

        return callback


_first = operator.itemgetter(0)


def _missing(name: str) -> Callable[[Span, list[Any]], Any]:
    def missing(span: Span, children: list[Any]) -> Any:
        raise TypeError(f"the builder has no method for the rule '{name}'")

    return missing


def _included(rule: Any) -> tuple[list[tuple[int, bool, int]], int]:
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
    include: list[tuple[int, bool, int]] = []
    pending = 0
    keep_all = rule.options.keep_all_tokens
    for index, symbol in enumerate(rule.expansion):
        pending += nones[index]
        if keep_all or not (symbol.is_term and symbol.filter_out):
            expand = not symbol.is_term and symbol.name.startswith("_")
            include.append((index, expand, pending))
            pending = 0
    return include, pending + nones[len(rule.expansion)]
