"""Labelled examples of common syntax mistakes, and the words that explain them.

A failing parse is matched against these examples by parser state (the way
``UnexpectedInput.match_examples`` does it), so a designer gets a sentence about
*their* mistake instead of a list of token names. The rules of
:mod:`dsl._syntax_explain` come first; these examples cover what they do not.
The same table is test data: every example must produce its own label.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Explanation:
    message: str
    hint: str | None = None


def _p(*body: str) -> str:
    return "process p\n" + "".join(f"  {line}\n" for line in body)


EXAMPLES: dict[Explanation, list[str]] = {
    Explanation(
        "a task needs '=' between its name and the action it calls",
        "write: task draft = cms.create_draft(title: title)",
    ): [_p('task draft log.info(message: "x")'), _p('task draft "Draft" log.info(message: "x")')],
    Explanation(
        "an argument is written 'name: value'",
        'write: log.info(message: "hello")',
    ): [_p('task t = log.info(message = "x")'), _p("task t = log.info(message)")],
    Explanation(
        "an input needs a type after a colon",
        "write: input title: text",
    ): [_p("input title"), _p('input title = "x"'), _p("input title:")],
    Explanation(
        "the choices of a 'one of' are texts in double quotes",
        'write: one of "go", "hold"',
    ): [
        _p("input tier: one of gold, silver"),
        _p("work w", "  returns decision: one of go, hold"),
        _p("work w", '  returns decision: one of "go", hold'),
    ],
    Explanation(
        "a comma is missing between the choices of a 'one of'",
        'write: input tier: one of "gold", "silver"',
    ): [_p('input tier: one of "gold" "silver"')],
    Explanation(
        "a comma is missing: the choices of a 'one of' and the fields after it are"
        " separated by commas",
        'write: returns decision: one of "go", "hold", budget: money',
    ): [
        _p("work w", '  returns decision: one of "go" "hold"'),
        _p("work w", '  returns decision: one of "go", "hold" budget: money'),
        _p("work w", '  returns channels: list of one of "web" "mail"'),
    ],
    Explanation(
        "an action name has a dot in it, such as 'cms.publish'",
        "actions are named by their connector and what they do: email.send, http.post",
    ): [_p("task t = publish(x: 1)")],
    Explanation(
        "this line should start a step, an input or an output",
        "steps start with 'task' or 'if'; declarations with 'input' or 'output'",
    ): [
        _p("publish x"),
        _p("x = 1"),
        _p('"hello"'),
        _p("input x: text", "publish x"),
        _p("if x", '  task t = log.info(message: "x")', "publish x"),
        _p('task t = log.info(message: "x")', "publish x"),
        _p("output o = 1", "publish x"),
        _p(
            "if x",
            '  task t = log.info(message: "x")',
            "else",
            '  task u = log.info(message: "x")',
            "publish x",
        ),
    ],
    Explanation(
        "a 'go back' needs its bound: 'at most N times'",
        "write: go back to draft, at most 3 times",
    ): [
        _p('task a = log.info(message: "x")', "go back to a"),
        _p('task a = log.info(message: "x")', "go back to a 3 times"),
        _p('task a = log.info(message: "x")', "go back to a, 3 times"),
        _p('task a = log.info(message: "x")', "go back to a, at most"),
        _p('task a = log.info(message: "x")', "go back to a, at most 3"),
    ],
    Explanation(
        "'else' must follow the block of an 'if' at the same indentation",
        None,
    ): [_p("else", '  task t = log.info(message: "x")')],
    Explanation(
        "a block is expected here: indent the lines that belong to it",
        "the line that opens a block ends its header; the block's steps go on the next "
        "lines, indented by two more spaces",
    ): [
        _p("if x"),
    ],
    Explanation(
        "this line is indented more than the line above, but nothing opens a block there",
        "line it up with the step above it",
    ): [_p('task a = log.info(message: "x")', '  task b = log.info(message: "y")')],
    Explanation(
        "the process needs a name after 'process'",
        'write: process blog_post "Blog post: from brief to publication"',
    ): ['process "Blog post"\n  input x: text\n'],
}


def _with_titles(examples: list[str]) -> list[str]:
    # The parser state after a titled header differs from an untitled one, so
    # each example is also matched with a title on its process.
    titled = [e.replace("process p\n", 'process p "A title"\n', 1) for e in examples]
    return examples + [t for t in titled if t not in examples]


MATCH_TABLE: dict[Explanation, list[str]] = {
    label: _with_titles(examples) for label, examples in EXAMPLES.items()
}
