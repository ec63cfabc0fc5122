"""``mops`` lists every command without importing them, and runs each one in full."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from mops.cli import build_parser, main
from mops.cli._commands import COMMANDS


def test_the_command_list_is_the_one_the_commands_declare() -> None:
    # `mops --help` reads the light table; each module declares its own parser.
    # Were they to drift apart, the help a user sees would lie.
    listed = build_parser(commands=[]).format_help()
    declared = build_parser().format_help()
    assert listed == declared
    for name, command in COMMANDS.items():
        assert name in listed
        assert command.help.split()[0] in listed


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_has_its_own_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    assert exit_.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"usage: mops {name}")
    assert shown == _declared(name).format_help()


def test_help_imports_no_command() -> None:
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from mops.cli import main\n"
            "try:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('mops.cli.')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The table of commands and the conventions every command shares; no command module.
    assert shown.splitlines()[-1] == "['mops.cli._commands', 'mops.cli._conventions']"


def _declared(name: str) -> argparse.ArgumentParser:
    """The parser of one command as its module declares it."""
    parser = build_parser()
    choices = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = choices.choices[name]
    return found
