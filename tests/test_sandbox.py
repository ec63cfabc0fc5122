"""The interpreter inside Temporal's sandbox: no heavy re-imports per campaign."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

from support import compile_text, new_task_queue, start, worker_for
from temporalio.testing import WorkflowEnvironment

from workers import builtin_registry


class ImportRecorder(importlib.abc.MetaPathFinder):
    """Records every module the import system has to look for (i.e. imports anew)."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        self.searched.append(fullname)
        return None


async def test_campaigns_do_not_reimport_heavy_modules(time_env: WorkflowEnvironment) -> None:
    registry = builtin_registry()
    process = compile_text(
        'process p\n  task a = log.info(message: "a")\n  task b = log.info(message: "b")\n',
        registry,
    )
    queue = new_task_queue()
    recorder = ImportRecorder()
    async with worker_for(time_env.client, registry, queue, cached=0):
        # The first campaign warms up the worker; the recorder watches the next three,
        # each of whose workflow tasks replays from the start in a fresh sandbox.
        await (await start(time_env.client, process, {}, queue)).result()
        sys.meta_path.insert(0, recorder)
        try:
            for _ in range(3):
                await (await start(time_env.client, process, {}, queue)).result()
        finally:
            sys.meta_path.remove(recorder)
    heavy = (
        "pydantic",
        "lark",
        "networkx",
        "httpx",
        "dsl",
        "engine.ir",
        "engine.workflow.evaluate",
    )
    reimported = sorted({m for m in recorder.searched if m.startswith(heavy)})
    assert reimported == []
    # The recorder does see sandbox imports: the interpreter module itself is
    # re-imported for every run (that is what isolates campaigns from each other).
    assert "engine.workflow._interpreter" in recorder.searched
