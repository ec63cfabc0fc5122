"""Every ``mops`` command: its one-line help and the module that runs it.

This table is all ``mops`` reads at start-up. A command's module (and with it
the compiler, the Temporal client or the worker) is imported only when that
command runs; ``mops --help`` lists the commands from here alone.
"""

from __future__ import annotations


class Command:
    """A command's module and help (a plain class: ``mops --help`` does not import typing)."""

    __slots__ = ("help", "module")

    def __init__(self, module: str, help: str) -> None:
        self.module = module
        """The module under mops.cli whose ``register`` declares the command's arguments."""
        self.help = help


COMMANDS: dict[str, Command] = {
    "check": Command("_check", "check process files and report every problem"),
    "fmt": Command("_fmt", "rewrite process files in the canonical layout"),
    "graph": Command("_graph", "draw a process as a flowchart (Mermaid, Graphviz DOT or SVG)"),
    "lsp": Command("_lsp", "the language server editors start (diagnostics, completion, ...)"),
    "test": Command("_test", "run the scenarios of processes on a time-skipping test server"),
    "simulate": Command(
        "_simulate",
        "run a cohort of campaigns on the real interpreter (optionally calibrated on real ones)",
    ),
    "insights": Command(
        "_insights",
        "what real campaigns did: cycle times, where the time goes, people, rules, versions",
    ),
    "run": Command("_run", "start a campaign of a process and follow it"),
    "worker": Command("_worker", "run a worker until SIGINT/SIGTERM"),
    "status": Command("_status", "show one campaign: steps, current step, outputs"),
    "list": Command("_read", "list campaigns, newest first"),
    "tasks": Command("_people", "the open work items and approvals of a person"),
    "approve": Command("_people", "approve an approval step"),
    "reject": Command("_people", "reject an approval step (its rework path runs)"),
    "request-changes": Command("_people", "send an approval step back for changes"),
    "complete": Command("_people", "complete a work item with its outputs"),
    "delegate": Command("_people", "hand an open step to someone else"),
    "send-event": Command("_people", "deliver an external event to campaigns"),
    "team": Command("_team", "the team directory and running campaigns"),
    "schedule": Command(
        "_schedule", "campaigns that start by themselves (create, list, pause, resume, remove)"
    ),
    "pause": Command("_operate", "hold campaigns before their next step"),
    "resume": Command("_operate", "let paused campaigns go on"),
    "cancel": Command(
        "_operate", "stop campaigns for good, undoing their completed tasks (undo with)"
    ),
    "server": Command("_server", "start, stop or inspect the embedded Temporal server"),
    "actions": Command("_actions", "list the actions tasks can call"),
    "history": Command(
        "_history", "the timeline of a campaign: every step, decision and rule, with who"
    ),
    "audit": Command("_audit", "export campaigns' timelines, verify an export"),
    "completion": Command("_completion", "print a shell completion script (bash, zsh, fish)"),
    "report": Command("_report", "an HTML audit report of a campaign: facts, path taken, timeline"),
    "serve": Command(
        "_serve", "the web app for people: inbox, tasks, campaigns, audit, a JSON API"
    ),
    "user": Command("_user", "local accounts, tokens and integrations of the web app"),
    "login": Command("_user", "get a personal API token from the web app (for scripts)"),
}


def summary(command: str) -> str:
    """The one-line help of ``command``, as ``mops --help`` lists it."""
    return COMMANDS[command].help
