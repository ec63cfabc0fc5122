"""The ``mops`` command's answers to user mistakes: one clear message, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from mops_cli import Mops


def no_traceback(text: str) -> bool:
    return "Traceback" not in text and "Fatal Python error" not in text


def test_check_ok_and_exit_zero(mops: Mops) -> None:
    done = mops("check", "processes/blog_post.mops")
    assert done.returncode == 0
    assert done.stdout == "processes/blog_post.mops: ok\n"


def test_syntax_error_shows_location_source_caret_and_hint(mops: Mops, tmp_path: Path) -> None:
    bad = tmp_path / "launch.mops"
    bad.write_text('process launch "Launch"\n  task brief log.info(message: "go")\n')
    done = mops("check", str(bad))
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"{bad}:2:14: error[S002]: a task needs '=' between its name and the action it calls\n"
        '    2 |   task brief log.info(message: "go")\n'
        "      |              ^^^\n"
        "  hint: write: task draft = cms.create_draft(title: title)\n"
    ), done.stderr
    assert no_traceback(done.stderr)


def test_unknown_action_is_named_with_a_suggestion(mops: Mops, tmp_path: Path) -> None:
    bad = tmp_path / "launch.mops"
    bad.write_text('process launch\n  task brief = log.inf(message: "go")\n')
    done = mops("check", str(bad))
    assert done.returncode == 1
    assert f"{bad}:2:16: error[N003]: no worker provides the action 'log.inf'" in done.stderr
    assert "hint: did you mean 'log.info'?" in done.stderr
    assert done.stdout == f"{bad}: 1 error\n"


def test_run_refuses_a_broken_file_before_touching_the_server(mops: Mops, tmp_path: Path) -> None:
    bad = tmp_path / "launch.mops"
    bad.write_text('process launch\n  task brief = log.info(mesage: "go")\n')
    done = mops("run", str(bad))
    assert done.returncode == 1
    assert "error[N004]: 'log.info' takes no argument 'mesage'" in done.stderr
    assert "did you mean 'message'?" in done.stderr
    assert not (Path(mops.env["MOPS_HOME"]) / "server.json").exists()
    assert no_traceback(done.stderr)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing.mops"], "mops: missing.mops: no such file\n"),
        (["run", "processes"], "mops: processes is a folder, not a process file\n"),
        (
            ["run", "processes/blog_post.mops", "--input", "titel=x"],
            "mops: 2 problems with the inputs:\n"
            "  'blog_post' has no input 'titel' (did you mean 'title'?)\n"
            "  input 'title': is required (text); give it with --input title=...\n",
        ),
        (
            ["run", "processes/blog_post.mops", "--input", "title=x", "--input", "budget=12"],
            "mops: input 'budget': '12' is not an amount with a currency, such as '5000 EUR'\n",
        ),
        (
            ["run", "processes/blog_post.mops", "--input", "title"],
            "mops: --input 'title' should be written name=value\n",
        ),
    ],
)
def test_bad_run_arguments(mops: Mops, args: list[str], message: str) -> None:
    done = mops(*args)
    assert done.returncode == 1
    assert done.stderr == message


def test_check_reports_missing_and_binary_files(mops: Mops, tmp_path: Path) -> None:
    binary = tmp_path / "logo.mops"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    done = mops("check", "nope.mops", str(binary))
    assert done.returncode == 1
    assert "nope.mops: no such file" in done.stderr
    assert f"{binary}:1:1: error[S001]: the file is not UTF-8 text" in done.stderr
    assert no_traceback(done.stderr)


def test_unreachable_cluster_is_one_line_and_exit_3(mops: Mops) -> None:
    mops.env["TEMPORAL_ADDRESS"] = "127.0.0.1:1"
    done = mops("list", timeout=60)
    assert done.returncode == 3
    first = done.stderr.splitlines()[0]
    assert first.startswith("mops: cannot reach Temporal at 127.0.0.1:1"), done.stderr
    assert no_traceback(done.stderr)


def test_status_of_an_unknown_campaign(mops: Mops) -> None:
    done = mops("status", "no-such-campaign")
    assert done.returncode == 1
    assert done.stderr.startswith("mops: no campaign 'no-such-campaign'")


def test_server_status_start_stop(mops: Mops) -> None:
    assert mops("server", "status").returncode == 3
    started = mops("server", "start")
    assert started.returncode == 0, started.stderr
    assert "web UI    http://127.0.0.1:" in started.stdout
    info = mops.json("server", "status")
    assert info["running"] is True
    stopped = mops("server", "stop")
    assert stopped.stdout == "embedded server stopped\n"
    assert mops("server", "status").returncode == 3
