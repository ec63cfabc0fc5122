"""Whether a worker's settings let notices reach people: read by ``mops worker`` at start
and by ``mops check --plan``, so it imports neither the connectors nor the Temporal SDK."""

from __future__ import annotations

from dsl import DirectoryError, load_directory
from workers._config import WorkerConfig


def notice_problems(config: WorkerConfig) -> list[str]:
    """Why notices (``notify``, reminders, escalations) would not reach people with these
    settings, in words for whoever starts the worker; empty when they can."""
    fix = "or MOPS_NOTIFY=log to only log them"
    if config.notify_mode == "log":
        return ["MOPS_NOTIFY=log writes them to the worker's log only"]
    if config.directory_file is None:
        return [f"set MOPS_DIRECTORY to the team directory (team.toml), {fix}"]
    try:
        directory = load_directory(config.directory_file)
    except (DirectoryError, OSError) as error:
        return [f"the team directory cannot be read: {error}"]
    mailed = sorted(p.id for p in directory.people.values() if p.notify != "webhook")
    if mailed and "host" not in config.smtp.model_fields_set:
        some = ", ".join(mailed[:3]) + (", ..." if len(mailed) > 3 else "")
        where = f"{config.smtp.host}:{config.smtp.port}"
        return [
            f"{len(mailed)} people ({some}) want e-mail and no mail server is set "
            f"(only {where} is tried): set MOPS_SMTP_HOST, {fix}"
        ]
    return []
