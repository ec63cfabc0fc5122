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
the callbacks run in an LALR loop of our own over Lark's parse table (kept as
data, :mod:`dsl._tables`): the same states, actions and reductions as Lark's parser,
without its per-token method calls, its rule hashing and comparing (a rule is
a Python object with a Python ``__hash__`` and ``__eq__``), or the list a
pass-through rule like ``?expr: or_test`` would make. On the first token it
cannot take it raises, and the file is read again by Lark's own parser to
explain what is wrong (:mod:`dsl._parser`).

Where each value on the parser's stack starts and ends, and its height, sit
on a second stack beside it (:data:`Extent`): a callback reads its
children's from there by one slice, rather than looking each child up in a
table by its ``id()`` (for 10,000 steps that was 1.7 million look-ups).
A token's entry is ``None``: the token itself says where it is, and it has
no height.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from dsl._lexer import fast_lexer
from dsl._source import Span
from dsl._tables import Rule, Tables, tables
from dsl._token import NotParsed, Token

Callback = Callable[[], None]
"""A rule's callback: it takes its children off the stacks and puts its value on."""

Extent = tuple[int, int, int, int, int]
"""(line, col, end_line, end_col, height) of a value a callback made."""

_tuple = tuple.__new__  # Span(...) without the named tuple's Python-level __new__


class Splice(list[Any]):
    """The children of a ``_rule`` or a repetition, spliced into the parent."""


class Reductions(dict[int, Callback | None]):
    """Each rule's callback, made the first time the rule is reduced: a parse uses a
    few of the grammar's 300 rules (an interpolation's, a handful), and making them
    all took longer than parsing a short text."""

    def __init__(self, make: Callable[[int], Callback | None]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, rule: int) -> Callback | None:
        made = self[rule] = self.make(rule)
        return made


class Parse:
    """The callbacks of one parse and what they found out about the tree.

    ``height`` is the height of the tree Lark would have built (after
    :meth:`parse`); each parse needs a ``Parse`` of its own.
    """

    def __init__(self, builder: Any, origin: tuple[int, int]) -> None:
        self.height = 0
        self.values: list[Any] = []
        """The parser's stack of values: tokens and what callbacks made."""
        self.extents: list[Extent | None] = []
        """Beside each value, where it is and its height; ``None`` for a token."""
        table = tables()
        self.table = table
        rules = table.rules
        self.reductions: Reductions = Reductions(
            lambda index: self._rule(rules[index], builder, origin)
        )
        self.text_token: Callable[[Token], Any] = builder.text_token

    def parse(self, text: str, start: str) -> Any:
        """Parse ``text`` from the rule ``start`` into the builder's result.

        Raises:
            NotParsed: the text does not parse.
            LayoutError: its indentation or brackets cannot be read.
        """
        table = self.table
        states = table.states
        reductions = self.reductions
        text_token = self.text_token
        values, extents = self.values, self.extents
        passes = table.pass_through
        state_stack = [table.start_states[start]]
        lexed = fast_lexer().lex(_LexerState(text), _ParserState(state_stack))
        token: Token | None = None
        for token in lexed:
            kind = token.type
            while True:
                action = states[state_stack[-1]].get(kind)
                if action is None:
                    raise NotParsed(f"unexpected {token.type} on line {token.line}")
                size, goto_or_state, rule = action
                if size < 0:  # shift
                    state_stack.append(goto_or_state)
                    if kind == "STRING":  # a text: its node, which has no position of its own
                        values.append(text_token(token))
                        where = (token.line, token.column, token.end_line, token.end_column, 0)
                        extents.append(where)  # type: ignore[arg-type]  # a lexed token's are set
                    else:
                        values.append(token)
                        extents.append(None)
                    break
                reduce = reductions[rule]
                if reduce is None:  # a pass-through: the child stays where it is
                    # Only the state changes, in runs (4-5 on average, up to 9 from an
                    # atom to an expression); where a run ends depends on the state
                    # under the child, the child's state and the token, so it is
                    # worked out once for each of those.
                    below = state_stack[-2]
                    key = (below, state_stack[-1], kind)
                    top = passes.get(key)
                    if top is None:
                        top = passes[key] = _passed(table, below, state_stack[-1], kind)
                    state_stack[-1] = top
                    continue
                if size:
                    del state_stack[-size:]
                state_stack.append(states[state_stack[-1]][goto_or_state][1])
                reduce()
        end = table.end_states[start]
        while True:
            action = states[state_stack[-1]].get("$END")
            if action is None or action[0] < 0:
                raise NotParsed("unexpected end of the text")
            size, goto, rule = action
            reduce = reductions[rule]
            if reduce is None:
                state_stack[-1] = states[state_stack[-2]][goto][1]
            else:
                if size:
                    del state_stack[-size:]
                state_stack.append(states[state_stack[-1]][goto][1])
                reduce()
            if state_stack[-1] == end:
                break
        root = extents[-1]  # no node is higher
        self.height = 0 if root is None else root[4]
        return values[-1]

    def _rule(self, rule: Rule, builder: Any, origin: tuple[int, int]) -> Callback | None:
        include, trailing = rule.include, rule.trailing
        if _passes_through(rule):
            return None  # ?expr: or_test - the child is the node, extent and all
        method = None if rule.splice else getattr(builder, rule.name, None) or _missing(rule.name)
        plain = rule.size > 0 and not trailing and not any(e or n for _, e, n in include)
        if rule.expand1:
            # Only ``?atom: "(" expr ")"``: one child, kept as it is, within brackets.
            if not plain:
                raise NotImplementedError(f"?{rule.name}: a rule of this shape is not built")
            if len(include) == 1:
                return self._bracketed(rule.size, include[0][0])
        if plain and method is not None:
            return self._node(method, rule.size, tuple(i for i, _, _ in include), origin)
        return self._general(rule, method, origin)

    def _node(
        self,
        method: Callable[[Span, list[Any]], Any],
        size: int,
        indices: tuple[int, ...],
        origin: tuple[int, int],
    ) -> Callback:
        """The callback of the commonest rules (15 reductions in 20): a node of the
        children it keeps, as they are (no ``None``s put in, nothing spliced)."""
        values, extents = self.values, self.extents
        whole = indices == tuple(range(size))
        single = indices[0] if len(indices) == 1 else -1
        several = itemgetter(*indices) if len(indices) > 1 else None
        line0, col0 = origin
        shifted = origin != (1, 1)

        def node() -> None:
            children = values[-size:]
            below = extents[-size:]
            del values[-size:]
            del extents[-size:]
            # Where the rule starts and ends, as propagate_positions would say.
            first = below[0]
            if first is None:
                token = children[0]
                line, col = token.line, token.column
            else:
                line, col = first[0], first[1]
            last = below[-1]
            if last is None:
                token = children[-1]
                end_line, end_col = token.end_line, token.end_column
            else:
                end_line, end_col = last[2], last[3]
            # The children left out are tokens, of no height.
            height = 0
            for extent in below:
                if extent is not None and extent[4] > height:
                    height = extent[4]
            if whole:
                kept = children
            elif single >= 0:
                kept = [children[single]]
            elif several is None:
                kept = []
            else:
                kept = list(several(children))
            if shifted:
                span = _tuple(Span, (line0, col0 + col - 1, line0, col0 + end_col - 1))
            else:
                span = _tuple(Span, (line, col, end_line, end_col))
            values.append(method(span, kept))
            extents.append((line, col, end_line, end_col, height + 1))

        return node

    def _bracketed(self, size: int, index: int) -> Callback:
        """``(a + b)``: the child stands for the rule, with the rule's extent (the
        brackets) and the child's height."""
        if size < 2:
            raise NotImplementedError("a bracketed rule has its brackets")
        values, extents = self.values, self.extents

        def bracketed() -> None:
            children = values[-size:]
            below = extents[-size:]
            del values[-size:]
            del extents[-size:]
            first = below[0]
            if first is None:
                token = children[0]
                line, col = token.line, token.column
            else:
                line, col = first[0], first[1]
            last = below[-1]
            if last is None:
                token = children[-1]
                end_line, end_col = token.end_line, token.end_column
            else:
                end_line, end_col = last[2], last[3]
            within = below[index]
            values.append(children[index])
            extents.append((line, col, end_line, end_col, 0 if within is None else within[4]))

        return bracketed

    def _general(
        self,
        rule: Rule,
        method: Callable[[Span, list[Any]], Any] | None,
        origin: tuple[int, int],
    ) -> Callback:
        """Any other rule: ``None``s for what is left out, children spliced in, or
        a ``_rule`` whose children go into its parent's."""
        values, extents = self.values, self.extents
        size, include, trailing = rule.size, rule.include, rule.trailing
        line0, col0 = origin
        shifted = origin != (1, 1)

        def general() -> None:
            # Where the rule starts and ends, as propagate_positions would say.
            if size:
                children = values[-size:]
                below = extents[-size:]
                del values[-size:]
                del extents[-size:]
                first = below[0]
                if first is None:
                    token = children[0]
                    line, col = token.line, token.column
                else:
                    line, col = first[0], first[1]
                last = below[-1]
                if last is None:
                    token = children[-1]
                    end_line, end_col = token.end_line, token.end_column
                else:
                    end_line, end_col = last[2], last[3]
            else:
                children, below = [], []
                line, col, end_line, end_col = 1, 1, 1, 2
            # The children Lark's tree would have, and the height below them.
            height = 0
            kept: list[Any] = [] if method is not None else Splice()
            for index, expand, nones in include:
                if nones:
                    kept += [None] * nones
                child = children[index]
                extent = below[index]
                if extent is not None and extent[4] > height:
                    height = extent[4]
                if expand:
                    if kept:
                        kept += child
                    else:
                        kept = child  # left recursion: keep adding to the same list
                else:
                    kept.append(child)
            if trailing:
                kept += [None] * trailing
            if method is None:  # a _rule: its children go into the parent's
                value: Any = kept if isinstance(kept, Splice) else Splice(kept)
            else:
                height += 1
                span = (
                    Span(line0, col0 + col - 1, line0, col0 + end_col - 1)
                    if shifted
                    else Span(line, col, end_line, end_col)
                )
                value = method(span, kept)
            values.append(value)
            extents.append((line, col, end_line, end_col, height))

        return general


def _passes_through(rule: Rule) -> bool:
    """``?expr: or_test``: the rule's one child stands for it."""
    one_child = rule.include == ((0, False, 0),) and rule.size == 1
    return rule.expand1 and one_child and not rule.trailing


def _passed(table: Tables, below: int, state: int, kind: str) -> int:
    """The state after every pass-through reduction ``kind`` makes in ``state``."""
    while True:
        action = table.states[state].get(kind)
        if action is None or action[0] < 0 or not _passes_through(table.rules[action[2]]):
            return state
        state = table.states[below][action[1]][1]


class _TextSlice:
    def __init__(self, text: str) -> None:
        self.text, self.start, self.end = text, 0, len(text)


class _LexerState:
    """What the lexer reads of Lark's lexer state: the text, and where it got to."""

    def __init__(self, text: str) -> None:
        self.text = _TextSlice(text)
        self.last_token: Token | None = None


class _ParserState:
    """What the lexer reads of Lark's parser state: the stack, for the state's terminals."""

    def __init__(self, state_stack: list[int]) -> None:
        self.state_stack = state_stack


def _missing(name: str) -> Callable[[Span, list[Any]], Any]:
    def missing(span: Span, children: list[Any]) -> Any:
        raise TypeError(f"the builder has no method for the rule '{name}'")

    return missing
