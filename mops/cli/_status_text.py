"""The text of ``mops status``, printed from the document ``--json`` prints.

Whichever way the status was read (the embedded server's HTTP API or the Temporal
SDK), it arrives here as that one document, so the text cannot differ between them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from mops.cli._common import sent_back
from mops.cli._conventions import moment as shown


def print_status(document: Mapping[str, Any]) -> None:
    """The text of ``mops status``, from the document ``--json`` prints."""
    s = document
    print(f"campaign  {s['id']}")
    print(f"process   {s['process']}: {s['title']} (version {s['version']})")
    print(f"state     {s['state']}")
    print(f"started   {_when(s['started_at'])}")
    if s.get("current_step"):
        print(f"now at    {s['current_step']}")
    if s.get("inputs"):
        print("inputs")
        for name, value in s["inputs"].items():
            print(f"  {name} = {_readable(value)}")
    print("steps")
    if not s["steps"]:
        print("  (none started yet)")
    for step in s["steps"]:
        _print_step(step)
    if s.get("outputs"):
        print("outputs")
        for name, value in s["outputs"].items():
            print(f"  {name} = {_readable(value)}")
    waiting = [(None, item) for item in s.get("open_items") or ()]
    waiting += [(found["campaign"], found) for found in s.get("sub_process_items") or ()]
    for campaign, item in waiting:
        due = "" if item.get("deadline") is None else f", due {_when(item['deadline'])}"
        where = "" if campaign is None else f", in sub-process campaign {campaign}"
        parties = [*item["parties"], *(f"person:{p}" for p in item.get("added") or ())]
        print(
            f"waiting   {item['title']} ({item['form']}, round {item['round']}{due}{where}) for "
            + ", ".join(parties)
        )
        if item.get("instructions"):
            print(f"          {item['instructions']}")
        for line in sent_back(item.get("returned"), item["round"]):
            print(f"          {line}")
    for attempt in s.get("refused") or ():
        print(
            f"refused   {attempt['actor']} tried to {attempt['action']} '{attempt['step']}' "
            f"at {_when(attempt.get('at'))}: {attempt['reason']}"
        )
    if s.get("error"):
        print(f"error     {s['error']}")


def _print_step(step: Mapping[str, Any]) -> None:
    started, ended = _moment(step["started_at"]), _moment(step.get("ended_at"))
    took = "" if ended is None or started is None else f"{(ended - started).total_seconds():.1f}s"
    state: str = step["state"]
    error = step.get("error")
    if step["id"].endswith(".notice") and state == "failed":
        # A reminder or escalation nobody received: the step itself goes on waiting.
        state, error = "unsent", f"nobody was told: {error}"
    action = step.get("action") or ""
    print(f"  {state:<8} {step['title']:<36} {action:<14} {took:>7}  {step['source']}")
    if step.get("campaign") is not None:
        print(f"           sub-process campaign {step['campaign']}")
    if error:
        print(f"           {error}")


def _moment(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _when(text: str | None) -> str:
    return shown(_moment(text))


def _readable(value: Any) -> str:
    from engine.audit import readable

    return readable(value)
