"""``mops status`` on the embedded server asks its HTTP API, without the Temporal SDK,
and prints exactly what the SDK path prints (issue 17: status in <= 0.25 s of CPU).

The SDK path is taken here the way a user takes it: with a Temporal client setting
(``TEMPORAL_ADDRESS`` naming the same server as a cluster would be named). Nothing
of Temporal is mocked; both paths read the same real server.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from imported import imported_by
from mops_cli import MOPS, ROOT, Mops
from teams import ARTICLE, WRITER_AND_EDITOR
from waiting import wait_until

pytestmark = pytest.mark.e2e

TEAM = WRITER_AND_EDITOR


COMMENT = "Remove the 'best in class' claim\nand the\u202eswap"

SDK_MODULES = ("temporalio", "grpc", "google.protobuf", "pydantic", "engine.client", "asyncio")


def through_the_sdk(mops: Mops) -> dict[str, str]:
    """The same server named as a cluster is: ``mops`` then reads it through the SDK."""
    return {**mops.env, "TEMPORAL_ADDRESS": mops.address()}


def mops_with(env: dict[str, str], *words: str) -> subprocess.CompletedProcess[str]:
    """The installed ``mops`` (which exits with ``os._exit``: a process that loaded the
    SDK may abort in interpreter finalisation, temporalio/sdk-python#300)."""
    return subprocess.run(
        [str(MOPS), *words], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def sdk_modules(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == s or m.startswith(s + ".") for s in SDK_MODULES))


def open_steps(mops: Mops, campaign: str) -> list[tuple[str, int]]:
    """The open human steps, once the tasks that follow their opening (notices) are done."""
    status = mops.json("status", campaign)
    if any(s["state"] == "running" and "." in s["id"] for s in status["steps"]):
        return []
    return [(i["step"], i["round"]) for i in status["open_items"]]


def test_status_over_http_is_what_the_sdk_prints_without_importing_it(
    mops: Mops, tmp_path: Path
) -> None:
    mops.use_team(tmp_path, TEAM)
    (tmp_path / "article.mops").write_text(ARTICLE)
    started = mops("run", str(tmp_path / "article.mops"), "--detach")
    assert started.returncode == 0, started.stderr
    campaign = started.stdout.strip()
    record = json.loads((Path(mops.env["MOPS_HOME"]) / "server.json").read_text())
    assert record["http_address"].startswith("127.0.0.1:")

    worker = mops.worker()
    try:
        wait_until(lambda: open_steps(mops, campaign) == [("draft", 1)])
        done = mops("complete", campaign, "draft", "--as", "cleo", "-o", "doc_url=https://x.ex/a")
        assert done.returncode == 0, done.stderr
        wait_until(lambda: open_steps(mops, campaign) == [("review", 1)])
        rejected = mops("reject", campaign, "review", "--as", "ana", "--comment", COMMENT)
        assert rejected.returncode == 0, rejected.stderr
        wait_until(lambda: open_steps(mops, campaign) == [("draft", 2)])

        modules, text = imported_by("status", campaign, folder=tmp_path, env=mops.env)
        _, as_json = imported_by("status", campaign, "--json", folder=tmp_path, env=mops.env)
        installed = mops("status", campaign)
        env = through_the_sdk(mops)
        sdk_modules_used, _ = imported_by("status", campaign, folder=tmp_path, env=env)
        by_sdk = mops_with(env, "status", campaign)
        by_sdk_json = mops_with(env, "status", campaign, "--json")
    finally:
        worker.terminate()
        worker.communicate(timeout=60)
    # With no worker to answer, the status is rebuilt from the history (through the SDK,
    # without asking the campaign a second time), the same either way.
    idle = mops("status", campaign)
    idle_by_sdk = mops_with(env, "status", campaign)

    assert text.returncode == 0, text.stderr
    assert sdk_modules(modules) == []
    assert "temporalio" in sdk_modules_used  # the other way really is the SDK's
    assert text.stdout == by_sdk.stdout == installed.stdout
    assert text.stderr == by_sdk.stderr == ""
    assert as_json.stdout == by_sdk_json.stdout
    # What it printed is the campaign a person reads: typed values, the rework
    # conversation with the comment's controls shown as escapes.
    assert "  budget = 2,500.00 EUR\n" in text.stdout
    assert "  channels = newsletter, linkedin\n" in text.stdout
    assert "round 2: 'Review the draft' rejected round 1" in text.stdout
    assert "ana: \"Remove the 'best in class' claim\\nand the\\u202eswap\"" in text.stdout
    assert idle.returncode == 0, idle.stderr
    assert idle.stdout == idle_by_sdk.stdout
    assert "round 2: 'Review the draft' rejected round 1" in idle.stdout
    document = json.loads(as_json.stdout)
    assert document["id"] == campaign
    assert document["state"] == "running"
    assert [i["step"] for i in document["open_items"]] == ["draft"]


def test_an_unknown_campaign_is_named_the_same_both_ways(mops: Mops, tmp_path: Path) -> None:
    assert mops("server", "start").returncode == 0
    modules, fast = imported_by("status", "no-such-campaign", folder=tmp_path, env=mops.env)
    env = through_the_sdk(mops)
    slow = mops_with(env, "status", "no-such-campaign")
    _, fast_json = imported_by(
        "status", "no-such-campaign", "--json", folder=tmp_path, env=mops.env
    )
    slow_json = mops_with(env, "status", "no-such-campaign", "--json")

    assert sdk_modules(modules) == []
    assert fast.returncode == slow.returncode == 1
    assert (
        fast.stderr
        == slow.stderr
        == ("mops: no campaign 'no-such-campaign'\n  hint: 'mops list' shows the campaigns\n")
    )
    assert fast_json.returncode == slow_json.returncode == 1
    assert fast_json.stdout == slow_json.stdout


def test_what_the_http_api_cannot_answer_is_read_through_the_sdk(
    mops: Mops, tmp_path: Path
) -> None:
    (tmp_path / "hello.mops").write_text(
        'process hello "Hello"\n  task hi = log.info(message: "hi")\n'
    )
    done = mops("run", str(tmp_path / "hello.mops"), "--id", "hello-1")
    assert done.returncode == 0, done.stderr

    # A finished campaign's status is rebuilt from its history, through the SDK.
    modules, _ = imported_by("status", "hello-1", folder=tmp_path, env=mops.env)
    finished = mops("status", "hello-1")
    assert finished.returncode == 0, finished.stderr
    assert "temporalio.client" in modules
    assert "state     completed\n" in finished.stdout
    assert "  done     hi " in finished.stdout

    # A server started by an earlier mops recorded no HTTP address. It is not
    # restarted for that: status reads it through the SDK, as before.
    record_file = Path(mops.env["MOPS_HOME"]) / "server.json"
    record = json.loads(record_file.read_text())
    del record["http_address"]
    record_file.write_text(json.dumps(record))
    modules, _ = imported_by("status", "no-such-campaign", folder=tmp_path, env=mops.env)
    unknown = mops("status", "no-such-campaign")
    assert "temporalio.client" in modules
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("mops: no campaign 'no-such-campaign'\n")
    assert json.loads(record_file.read_text()) == record  # the same server, left alone
