"""The compiler: a checked process (the AST of :mod:`dsl`) into the IR a campaign runs.

Expressions, types and durations are compiled here too, for the scenario runner
and the simulator, which read scenario literals the way the compiler reads a
process. Nothing here talks to Temporal.
"""

from engine.compiler._compile import CompileFailed, compile_file, compile_process
from engine.compiler._expressions import ExprCompiler, duration, to_ir_type

__all__ = [
    "CompileFailed",
    "ExprCompiler",
    "compile_file",
    "compile_process",
    "duration",
    "to_ir_type",
]
