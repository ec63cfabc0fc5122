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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dsl._lexer import fast_lexer
from dsl._source import Span
from dsl._tables import Rule, tables
from dsl._token import NotParsed, Token

Callback = Callable[[list[Any]], Any]

# id(value) -> (value, line, col, end_line, end_col, height) of every value a
# callback made. The value itself is kept so its id cannot be reused by a
# token made later in the same parse.
Extents = dict[int, tuple[Any, ...]]


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
        self.extents: Extents = {}
        self.height = 0
        extents = self.extents
        table = tables()
        self.table = table
        rules = table.rules
        self.reductions: Reductions = Reductions(
            lambda index: self._rule(rules[index], builder, origin)
        )
        text = builder.text_token

        def on_string(token: Token) -> Any:
            value = text(token)
            where = (token.line, token.column, token.end_line, token.end_column)
            extents[id(value)] = (value, *where, 0)
            return value

        self.on_string = on_string

    def parse(self, text: str, start: str) -> Any:
        """Parse ``text`` from the rule ``start`` into the builder's result.

        Raises:
            NotParsed: the text does not parse.
            LayoutError: its indentation or brackets cannot be read.
        """
        table = self.table
        states = table.states
        reductions = self.reductions
        on_string = self.on_string
        state_stack = [table.start_states[start]]
        value_stack: list[Any] = []
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
                    value_stack.append(on_string(token) if kind == "STRING" else token)
                    break
                reduce = reductions[rule]
                if reduce is None:  # a pass-through: the child stays where it is
                    state_stack[-1] = states[state_stack[-2]][goto_or_state][1]
                    continue
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                state_stack.append(states[state_stack[-1]][goto_or_state][1])
                value_stack.append(reduce(children))
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
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                state_stack.append(states[state_stack[-1]][goto][1])
                value_stack.append(reduce(children))
            if state_stack[-1] == end:
                result = value_stack[-1]
                break
        entry = self.extents.get(id(result))  # the root: no node is higher
        self.height = 0 if entry is None else entry[5]
        return result

    def _rule(self, rule: Rule, builder: Any, origin: tuple[int, int]) -> Callback | None:
        extents = self.extents
        get = extents.get
        name, splice, expand1 = rule.name, rule.splice, rule.expand1
        include, trailing = rule.include, rule.trailing
        if expand1 and include == ((0, False, 0),) and rule.size == 1 and not trailing:
            return None  # ?expr: or_test - the child is the node, extent and all
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
