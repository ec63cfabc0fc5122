"""AST -> IR. Only the checked AST is compiled, so this stage cannot fail on user input."""

from __future__ import annotations

from pathlib import Path
from typing import Any, assert_never

from dsl import Catalogue, CheckedProcess, ListOf, OneOf, Scalar, SourceFile, Type, ast, check_file
from dsl import Span as SourceSpan
from engine import ir
from engine.errors import UserError
from engine.values import Money, to_json


class CompileFailed(UserError):
    """The process file has errors; ``checked`` holds every diagnostic."""

    def __init__(self, checked: CheckedProcess) -> None:
        count = sum(1 for d in checked.diagnostics if d.severity.value == "error")
        super().__init__(f"{checked.source.name}: {count} error{'s' if count != 1 else ''}")
        self.checked = checked


def compile_process(checked: CheckedProcess, catalogue: Catalogue) -> ir.ProcessIR:
    """The IR of a process that checked without errors.

    The catalogue supplies each action's own timeout (and heartbeat) where the
    process does not set one.

    Raises:
        CompileFailed: the check found errors.
    """
    process = checked.process
    if process is None or not checked.ok:
        raise CompileFailed(checked)
    return _Compiler(checked.source, catalogue).process(process)


def compile_file(path: Path, catalogue: Catalogue) -> tuple[ir.ProcessIR, CheckedProcess]:
    """Read, check and compile a process file.

    Raises:
        UserError: the file cannot be read.
        CompileFailed: the file has errors.
    """
    try:
        checked = check_file(path, catalogue)
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a process file") from None
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as error:
        raise UserError(f"{path}: cannot be read ({error.strerror or error})") from None
    return compile_process(checked, catalogue), checked


def to_ir_type(type_: Type) -> ir.TypeRef:
    """A language type as its IR form."""
    match type_:
        case Scalar(name=name):
            return ir.ScalarType(name=name)
        case ListOf(item=item):
            return ir.ListType(item=to_ir_type(item))
        case OneOf(choices=choices):
            return ir.OneOfType(choices=choices)
        case _:
            assert_never(type_)


def _span(span: SourceSpan) -> ir.Span:
    return ir.Span(line=span.line, col=span.col, end_line=span.end_line, end_col=span.end_col)


class _Compiler:
    def __init__(self, source: SourceFile, catalogue: Catalogue) -> None:
        self.source = source
        self.catalogue = catalogue

    def process(self, process: ast.Process) -> ir.ProcessIR:
        return ir.ProcessIR(
            name=process.name,
            title=process.title or process.name.replace("_", " ").capitalize(),
            source_file=self.source.name,
            source_hash=self.source.sha256,
            inputs=tuple(
                ir.InputDecl(
                    name=i.name,
                    type=to_ir_type(i.type.type),
                    default=None if i.default is None else self.expr(i.default),
                    span=_span(i.span),
                )
                for i in process.inputs
            ),
            body=self.body(process.body),
            outputs=tuple(
                ir.OutputDecl(
                    name=o.name,
                    type=None if o.type is None else to_ir_type(o.type.type),
                    value=self.expr(o.value),
                    span=_span(o.span),
                )
                for o in process.outputs
            ),
            span=_span(process.span),
        )

    def body(self, statements: tuple[ast.Statement, ...]) -> tuple[ir.Step, ...]:
        return tuple(self.statement(s) for s in statements)

    def statement(self, statement: ast.Statement) -> ir.Step:
        match statement:
            case ast.Task():
                return ir.TaskStep(
                    id=statement.name,
                    title=statement.display_title,
                    action=statement.action,
                    arguments={a.name: self.expr(a.value) for a in statement.arguments},
                    span=_span(statement.span),
                    **self.task_policy(statement),
                )
            case ast.If():
                return ir.IfStep(
                    id=f"if_line_{statement.span.line}",
                    branches=tuple(
                        ir.Branch(
                            condition=self.expr(b.condition),
                            body=self.body(b.body),
                            span=_span(b.span),
                        )
                        for b in statement.branches
                    ),
                    orelse=self.body(statement.orelse or ()),
                    span=_span(statement.span),
                )
            case _:
                assert_never(statement)

    def task_policy(self, task: ast.Task) -> dict[str, Any]:
        policy: dict[str, Any] = {}
        signature = self.catalogue.get(task.action)
        if signature is not None and signature.timeout_seconds is not None:
            policy["timeout_seconds"] = signature.timeout_seconds
        if signature is not None and signature.heartbeat_seconds is not None:
            policy["heartbeat_seconds"] = signature.heartbeat_seconds
        if task.timeout is not None:
            policy["timeout_seconds"] = float(task.timeout.seconds)
        if task.retry_attempts is not None:
            policy["retry"] = ir.RetryPolicy(maximum_attempts=task.retry_attempts)
        return policy

    def expr(self, expr: ast.Expr) -> ir.Expr:
        span = _span(expr.span)
        match expr:
            case ast.NumberLit(value=value):
                return ir.Literal_(value=to_json(value), span=span)
            case ast.MoneyLit(amount=amount, currency=currency):
                return ir.Literal_(value=to_json(Money(amount, currency)), span=span)
            case ast.BoolLit(value=value):
                return ir.Literal_(value=value, span=span)
            case ast.TextLit(parts=parts):
                if expr.is_plain:
                    return ir.Literal_(value=expr.plain, span=span)
                return ir.Text(
                    parts=tuple(p if isinstance(p, str) else self.expr(p) for p in parts),
                    span=span,
                )
            case ast.ListLit(items=items):
                return ir.ListExpr(items=tuple(self.expr(i) for i in items), span=span)
            case ast.RecordLit(fields=fields):
                return ir.Record(fields={n: self.expr(v) for n, v in fields}, span=span)
            case ast.Name(id=name):
                return ir.Ref(name=name, span=span)
            case ast.Attribute(obj=obj, name=name):
                return ir.Attr(obj=self.expr(obj), name=name, span=span)
            case ast.Index(obj=obj, index=index):
                return ir.Index(obj=self.expr(obj), index=self.expr(index), span=span)
            case ast.Call(func=func, args=args):
                return ir.Call(func=func, args=tuple(self.expr(a) for a in args), span=span)
            case ast.Unary(op="-", operand=operand):
                return ir.Unary(op="-", operand=self.expr(operand), span=span)
            case ast.Unary(operand=operand):
                return ir.Unary(op="not", operand=self.expr(operand), span=span)
            case ast.Binary(op=op, left=left, right=right):
                return ir.Binary.model_validate(
                    {"op": op, "left": self.expr(left), "right": self.expr(right), "span": span}
                )
            case _:
                assert_never(expr)
