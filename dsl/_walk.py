"""Walking a process's statements: the blocks inside each, at any depth."""

from __future__ import annotations

from collections.abc import Iterator

from dsl import _ast as ast


def iter_steps(body: tuple[ast.Statement, ...]) -> Iterator[ast.Statement]:
    """Every statement in a body, in file order, at any depth."""
    for statement in body:
        yield statement
        if isinstance(statement, _WITH_BODIES):  # most have none: no call to ask
            for inner in child_bodies(statement):
                yield from iter_steps(inner)


def child_bodies(statement: ast.Statement) -> list[tuple[ast.Statement, ...]]:
    """The blocks directly inside a statement."""
    match statement:
        case ast.If(branches=branches, orelse=orelse):
            return [b.body for b in branches] + ([orelse] if orelse else [])
        case ast.Parallel(branches=branches):
            return [b.body for b in branches]
        case ast.ForEach(body=body):
            return [body]
        case ast.Exit(then=then) if then:
            return [then]
        case _:
            return []


_WITH_BODIES = (ast.If, ast.Parallel, ast.ForEach, ast.Exit)
"""The statements :func:`child_bodies` may find blocks in."""
