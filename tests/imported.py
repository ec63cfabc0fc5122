"""Which modules a ``mops`` command imported, read from ``sys.modules`` when it ends.

(``-X importtime`` would not do: it leaves out modules loaded through
``importlib.import_module``, as lazy package faces and entry points load them.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = """\
import json, sys
from mops.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as stop:
    code = stop.code
with open(sys.argv[1], "w") as out:
    json.dump(sorted(sys.modules), out)
sys.exit(code)
"""


def imported_by(
    *words: str, folder: Path, env: Mapping[str, str] | None = None
) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Run ``mops WORDS`` in a fresh interpreter; the modules it imported and how it ended."""
    listing = folder / "modules.json"
    listing.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(listing), *words],
        cwd=ROOT,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    modules = set(json.loads(listing.read_text())) if listing.exists() else set()
    return modules, done
