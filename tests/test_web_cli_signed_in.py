"""People act as themselves from the command line: ``mops login``, then ``mops tasks``,
``complete`` and ``approve`` with no ``--as`` go through the people's app with the
personal token, and the history records each person's own act (API token), not an
operator's assertion. Against ``mops serve --with-worker`` on the embedded server."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from mops_cli import MOPS
from waiting import wait_until
from web_serve import PASSWORD, Served
from web_support import WEBINAR

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Served]:
    served = Served(tmp_path, {"webinar": WEBINAR})
    try:
        yield served
    finally:
        served.stop()


def login(app: Served, person: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MOPS), "login", "--as", person, "--password-stdin", "--url", app.url],
        input=password + "\n",
        env=app.mops.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def open_to(app: Served, campaign: str, step: str) -> None:
    def there() -> bool:
        done = app.mops("tasks")
        assert done.returncode == 0, done.stderr
        return any(line.startswith(f"{campaign}  {step} ") for line in done.stdout.splitlines())

    wait_until(there, what=f"'{step}' in the inbox of who signed in")


def test_people_signed_in_act_as_themselves_through_the_app(app: Served) -> None:
    # Nobody signed in and no --as: the command says how to say who acts.
    nobody = app.mops("tasks")
    assert nobody.returncode == 1
    assert "mops login --as PERSON" in nobody.stderr and "Traceback" not in nobody.stderr

    started = app.mops(
        "run", str(app.folder / "processes" / "webinar.mops"), "--detach", "-i", "title=Spring"
    )
    assert started.returncode == 0, started.stderr
    campaign = re.search(r"webinar-[\w-]+", started.stdout)
    assert campaign, started.stdout
    run = campaign.group(0)

    # A wrong password signs nobody in.
    refused = login(app, "cleo", "not her password")
    assert refused.returncode == 1 and "sign-in refused" in refused.stderr

    assert login(app, "cleo").returncode == 0
    open_to(app, run, "draft")
    done = app.mops(
        "complete", run, "draft", "-o", "doc_url=https://x.example/page", "-o", "words=450"
    )
    assert done.returncode == 0, done.stderr

    assert login(app, "ana").returncode == 0
    open_to(app, run, "review")
    # Ana may not act on Cleo's work item: refused in words, exit 1.
    theirs = app.mops("complete", run, "draft", "-o", "doc_url=https://x.example/2")
    assert theirs.returncode == 1 and "Traceback" not in theirs.stderr
    approved = app.mops("approve", run, "review", "--comment", "Good to go")
    assert approved.returncode == 0, approved.stderr
    assert "approved" in approved.stdout

    status = app.mops.wait_for_state(run, {"completed"})
    assert status["outputs"]["page"] == "https://x.example/page"
    entries = app.mops.json("history", run)["entries"]
    completed = next(e for e in entries if e["what"] == "completed" and e["step"] == "draft")
    decided = next(e for e in entries if e["what"] == "approved")
    for entry, person in ((completed, "cleo"), (decided, "ana")):
        assert entry["actor"] == person
        assert entry["auth"]["method"] == "api_token"
        assert entry["auth"].get("asserted_by") is None
