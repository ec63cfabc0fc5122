"""What every ``mops`` command does alike: version, completion, JSON, usage, help, colour, times."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from mops_cli import MOPS, ROOT, Mops

from mops.cli import build_parser
from mops.cli._conventions import EXAMPLES, innermost, moment, subcommands

BROKEN = 'process p\n  task a = log.inf(message: "x")\n'


def run_mops(*words: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MOPS), *words],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def leaves(
    parser: argparse.ArgumentParser, path: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    children = list(subcommands(parser))
    if path and not children:
        yield path, parser
    for name, sub in children:
        yield from leaves(sub, f"{path} {name}".strip())


def test_version_is_the_installed_one() -> None:
    done = run_mops("--version")
    assert done.returncode == 0
    assert done.stdout == f"mops (MOps Flow) {version('mops-flow')}\n"


def test_every_argument_has_help_and_every_command_an_example_that_parses() -> None:
    parser = build_parser()
    for path, command in leaves(parser):
        for action in command._actions:
            assert action.help, f"mops {path}: {action.option_strings or action.dest} has no help"
        assert command.epilog and command.epilog.startswith("example:\n  mops "), path
        example = EXAMPLES[path].split("   (")[0].split(" > ")[0]
        words = shlex.split(example)[1:]
        parsed = build_parser().parse_args(words)
        assert parsed.handler is not None, example


def test_every_command_that_prints_takes_json() -> None:
    without = {p for p, c in leaves(build_parser()) if "--json" not in c._option_string_actions}
    # The worker, the web app and the language server print logs and protocol, and
    # completion a script.
    assert without == {"worker", "serve", "lsp", "completion"}


def test_an_unknown_option_prints_the_usage_of_its_command() -> None:
    done = run_mops("check", "--bogus", "processes/blog_post.mops")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: mops check [-h]")
    assert "mops check: error: unrecognized arguments: --bogus" in done.stderr
    done = run_mops("audit", "verify", "--nope", "export.jsonl")
    assert done.stderr.startswith("usage: mops audit verify [-h]")
    assert innermost(build_parser(), ["server", "status"]).prog == "mops server status"


def test_errors_are_json_when_json_is_asked_for(tmp_path: Path) -> None:
    done = run_mops("graph", "--json", str(tmp_path / "missing.mops"))
    assert done.returncode == 1
    assert json.loads(done.stdout) == {
        "error": f"{tmp_path / 'missing.mops'}: no such file",
        "hint": None,
        "exit_code": 1,
    }
    done = run_mops("audit", "verify", "--json", "--nope", "x.jsonl")
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"] == "unrecognized arguments: --nope"
    done = run_mops("check", "--json", str(tmp_path / "missing.mops"))
    assert done.returncode == 1
    (entry,) = json.loads(done.stdout)
    assert (entry["message"], entry["severity"]) == ("no such file", "error")


def test_fmt_graph_and_audit_verify_print_json(tmp_path: Path) -> None:
    untidy = tmp_path / "p.mops"
    untidy.write_text('process p\n  task a = log.info(message:"x")\n')
    done = run_mops("fmt", "--check", "--json", str(untidy))
    assert json.loads(done.stdout) == [
        {"file": str(untidy), "outcome": "would change", "problems": ""}
    ]
    drawn = json.loads(run_mops("graph", "--json", str(untidy)).stdout)
    assert drawn["format"] == "mermaid" and "flowchart TD" in drawn["drawing"]
    export = tmp_path / "export.jsonl"
    export.write_text("")
    verified = run_mops("audit", "verify", "--json", str(export))
    said = json.loads(verified.stdout)
    assert said["error"].startswith(f"{export}: not an export")
    assert verified.returncode == 1


def test_colour_only_where_wanted(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mops"
    broken.write_text(BROKEN)
    coloured = run_mops("check", str(broken), FORCE_COLOR="1")
    assert "\x1b[1;31merror[N003]\x1b[0m" in coloured.stderr
    plain = run_mops("check", str(broken), FORCE_COLOR="1", NO_COLOR="1")
    assert "\x1b[" not in plain.stderr + plain.stdout
    assert "error[N003]" in plain.stderr
    piped = run_mops("check", str(broken))
    assert "\x1b[" not in piped.stderr + piped.stdout


def test_times_are_printed_with_their_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        winter = dt.datetime(2026, 1, 15, 8, 30, tzinfo=dt.UTC)
        assert moment(winter) == "2026-01-15 09:30:00 CET"
        assert moment(winter.replace(month=7), seconds=False) == "Wed 15 Jul 10:30 CEST"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_bash_completion_completes_commands_options_and_files() -> None:
    script = run_mops("completion", "bash").stdout
    probe = (
        f"{script}\n"
        'ask() { COMP_WORDS=($1); COMP_CWORD=$2; _mops; echo "${COMPREPLY[*]}"; }\n'
        "ask 'mops ch' 1; ask 'mops check --j' 2; ask 'mops audit ve' 2; "
        "ask 'mops check processes/blog_p' 2\n"
    )
    done = subprocess.run(
        ["bash", "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == ["check", "--json", "verify", "processes/blog_post.mops"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed here")
def test_fish_completion_completes_commands_and_options() -> None:
    script = run_mops("completion", "fish").stdout
    done = subprocess.run(
        ["fish", "-c", f"{script}\ncomplete -C 'mops ch'; complete -C 'mops check --j'"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "check\tcheck process files and report every problem",
        "--json\tprint diagnostics as JSON",
    ]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed here")
def test_zsh_completion_is_a_script_zsh_reads() -> None:
    script = run_mops("completion", "zsh").stdout
    assert script.startswith("#compdef mops\n")
    done = subprocess.run(["zsh", "-n"], input=script, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "'check:check process files and report every problem'" in script


@pytest.mark.e2e
def test_a_missing_campaign_is_told_in_our_words(mops: Mops) -> None:
    for words in (("history", "nosuch"), ("report", "nosuch", "--html", "/tmp/r.html")):
        done = mops(*words)
        assert done.returncode == 1
        assert done.stderr == (
            "mops: no campaign 'nosuch'\n  hint: 'mops list' shows the campaigns\n"
        ), words
        assert "workflow" not in done.stderr.lower()
