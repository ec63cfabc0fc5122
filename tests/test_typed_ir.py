"""The compiler's IR construction is type-checked, though nothing is validated at run time.

``ir.unvalidated(Model)`` has the type of ``Model``'s own constructor as the pydantic
mypy plugin writes it with ``init_typed`` (pyproject.toml): mypy rejects a misspelt
field, a missing one and a value of the wrong type, and passes a correct call. The
proof runs mypy with the project's configuration on a small module, as the gate does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CALLS = """\
from engine import ir

span = ir.unvalidated(ir.Span)(line=1, col=1, end_line=1, end_col=5)
ir.unvalidated(ir.Ref)(name="budget", span=span)
ir.unvalidated(ir.Ref)(name="budget", span=span, no_such_field=1)
ir.unvalidated(ir.Ref)(name=42, span=span)
ir.unvalidated(ir.Ref)(span=span)
ir.unvalidated(ir.Duration)(amount=3, unit="fortnights")
ir.unvalidated(ir.TaskStep)(id="a", title="A", action="log.info", arguments={}, span=span)
"""
"""Line 4 is right; lines 5-8 are wrong; line 9 leaves every field with a default out."""


def _mypy_errors(tmp_path: Path) -> dict[int, str]:
    module = tmp_path / "ir_calls.py"
    module.write_text(CALLS)
    run = subprocess.run(
        # No cache: mypy's cache knows a module by its name, and an ``ir_calls`` kept
        # from another run's folder was checked in place of this one.
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "pyproject.toml",
            "--cache-dir",
            os.devnull,
            str(module),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode in (0, 1), run.stdout + run.stderr
    errors: dict[int, str] = {}
    for line in run.stdout.splitlines():
        found = re.match(rf"{re.escape(str(module))}:(\d+): error: (.*)", line)
        if found:
            errors[int(found[1])] = errors.get(int(found[1]), "") + found[2]
    return errors


def test_mypy_checks_every_field_of_an_unvalidated_ir_node(tmp_path: Path) -> None:
    errors = _mypy_errors(tmp_path)
    assert 'Unexpected keyword argument "no_such_field"' in errors.pop(5)
    assert 'Argument "name" has incompatible type "int"; expected "str"' in errors.pop(6)
    assert 'Missing named argument "name"' in errors.pop(7)
    assert 'Argument "unit" has incompatible type' in errors.pop(8)
    # The correct calls (lines 3, 4 and 9) pass, and nothing else was reported.
    assert errors == {}
