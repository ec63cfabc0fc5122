"""``mops test`` as a designer and a CI job use it: the report, -k, --json, exit codes."""

from __future__ import annotations

import json
import subprocess
import sysconfig
from pathlib import Path

MOPS = Path(sysconfig.get_path("scripts")) / "mops"

PROCESS = """\
process hello "Say hello"
  input name: text
  approval ok "Approve the greeting"
    by person ana
    deadline 1 business day
    escalate to person ana
  task greet = log.info(message: "Hello {name}")
"""
TEAM = '[roles]\n\n[people.ana]\nname = "Ana"\nemail = "ana@example.com"\n'
SCENARIOS = """\
scenario "Ana approves"
  input name = "World"
  ok: approved by ana after 2 business hours
  expect path ok, greet

scenario "Ana rejects"
  input name = "World"
  ok: rejected by ana
  expect path ok
"""


def mops(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MOPS), "test", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _write(folder: Path, scenarios: str = SCENARIOS) -> None:
    (folder / "processes").mkdir()
    (folder / "processes" / "hello.mops").write_text(PROCESS)
    (folder / "processes" / "team.toml").write_text(TEAM)
    (folder / "processes" / "hello.scenarios").write_text(scenarios)


def test_a_failure_shows_both_paths_and_the_first_difference(tmp_path: Path) -> None:
    _write(tmp_path)

    done = mops(tmp_path)

    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == [
        "processes/hello.scenarios",
        "  PASS  Ana approves  (0.2 business days, completed)",
        "  FAIL  Ana rejects  (0.0 business days, completed)",
    ]
    assert lines[4:8] == [
        "FAIL processes/hello.scenarios:6: Ana rejects",
        "  expected path: ok",
        "  actual path:   ok, greet",
        "  - the path goes on after 'ok': greet",
    ]
    assert lines[-1].startswith("1 passed, 1 failed in ")


def test_k_selects_scenarios_by_name_and_json_is_for_tools(tmp_path: Path) -> None:
    _write(tmp_path)

    done = mops(tmp_path, "processes/hello.scenarios", "-k", "APPROVES", "--json")

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["passed"], report["failed"]) == (1, 0)
    assert report["results"][0]["path"] == ["ok", "greet"]
    assert report["results"][0]["business_days"] == 0.25


def test_a_bad_file_exits_2_with_every_diagnostic(tmp_path: Path) -> None:
    _write(tmp_path, 'scenario "x"\n  ok: approved by anna\n  gret: returns logged = true\n')

    done = mops(tmp_path, "processes")

    assert done.returncode == 2
    assert "hello.scenarios:1:10: error[X008]" in done.stderr
    assert (
        "hello.scenarios:2:19: error[X006]: the team directory has no person 'anna'" in done.stderr
    )
    assert "hello.scenarios:3:3: error[X002]: 'hello' has no step 'gret'" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_folder_without_scenarios_is_an_error(tmp_path: Path) -> None:
    done = mops(tmp_path)

    assert done.returncode == 1
    assert done.stderr.startswith("mops: no scenario files (*.scenarios) found")
