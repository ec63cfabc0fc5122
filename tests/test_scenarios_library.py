"""Every process in processes/ passes its own scenarios (new files are picked up)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mops.scenarios import find_scenario_files, run_files

LIBRARY = Path(__file__).resolve().parent.parent / "processes"
FILES = find_scenario_files([LIBRARY])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
async def test_the_scenarios_of_each_library_process_pass(path: Path) -> None:
    results = await run_files([path])

    assert results, f"{path.name} has no scenarios"
    failed = {r.name: r.failures for r in results if not r.passed}
    assert not failed
