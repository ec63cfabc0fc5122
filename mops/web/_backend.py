"""What every page and API route of the app works with: the Temporal client, the app's
signing keys, the team directory, the store, and what it reads once and keeps (a
process version's IR, a campaign's inputs).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from engine.client import Credentials, Signer
from engine.contracts import Directory, DirectoryError, Person, load_directory
from engine.ir import ProcessIR
from engine.workflow.provenance import Method
from engine.workflow.team import TeamSnapshot, snapshot
from mops.web._open_steps import OpenSteps
from mops.web._settings import WebSettings
from mops.web._store import Store


@dataclass
class Backend:
    """The app's connection to the world; one per app."""

    client: Client
    settings: WebSettings
    signer: Signer
    store: Store
    link_key: bytes
    session_key: bytes
    directory_file: Path | None
    insights_store: Path
    """The analytics store ``mops insights`` keeps for this cluster (docs/insights.md)."""
    refresh_trust: Callable[[], None] | None = None
    """Set by ``mops serve --with-worker``: bring its worker's trust up to date (a new
    integration's key) before an event is delivered."""
    _directory: tuple[float, Directory] | None = None
    _worker_seen: tuple[float, bool] = (0.0, False)
    _processes: dict[str, ProcessIR] = field(default_factory=dict)
    open_steps: OpenSteps = field(init=False)
    """The index of campaigns that wait on someone, that inboxes are answered from."""

    def __post_init__(self) -> None:
        self.open_steps = OpenSteps(self.settings.task_queue)

    # ---- people -----------------------------------------------------------------------------

    def directory(self) -> Directory | None:
        """The team directory, read again when its file changes."""
        if self.directory_file is None:
            return None
        try:
            stamp = self.directory_file.stat().st_mtime
        except OSError:
            return None
        if self._directory is None or self._directory[0] != stamp:
            try:
                self._directory = (stamp, load_directory(self.directory_file))
            except DirectoryError:
                return None if self._directory is None else self._directory[1]
        return self._directory[1]

    def person(self, person_id: str) -> Person | None:
        directory = self.directory()
        return None if directory is None else directory.people.get(person_id)

    def person_by_email(self, email: str) -> Person | None:
        directory = self.directory()
        if directory is None:
            return None
        wanted = email.strip().lower()
        return next((p for p in directory.people.values() if p.email.lower() == wanted), None)

    def team(self) -> TeamSnapshot | None:
        directory = self.directory()
        return None if directory is None else snapshot(directory)

    def rights(self, person_id: str) -> set[str]:
        """What a person may do in the app beyond their own tasks: ``operate``, ``audit``."""
        found: set[str] = set()
        person = self.person(person_id)
        if person is not None:
            if set(person.roles) & set(self.settings.operator_roles):
                found.add("operate")
            if set(person.roles) & set(self.settings.auditor_roles):
                found.add("audit")
        account = self.store.account(person_id)
        if account is not None:
            found |= set(account.rights)
        if "operate" in found:
            found.add("audit")
        return found

    def credentials(self, person_id: str, method: Method) -> Credentials:
        """The app signing for a person it authenticated with ``method``."""
        return Credentials(self.signer, person_id, "person", method)

    # ---- the cluster ----------------------------------------------------------------------

    async def worker_running(self) -> bool:
        """Whether a worker polled the task queue in the last 70 seconds (a worker's long
        poll lasts up to a minute); asked at most every 5 seconds. A hint for the inbox:
        the task page asks the campaign itself."""
        seen_at, running = self._worker_seen
        if time.monotonic() - seen_at < 5:
            return running
        try:
            running = await recent_poller(self.client, self.settings.task_queue)
        except RPCError:
            running = False
        self._worker_seen = (time.monotonic(), running)
        return running

    async def process(self, version: str | None, campaign: str) -> ProcessIR | None:
        """The IR of a process version: kept once read, from the first event of one of its
        campaigns (never a whole history)."""
        if version is None:
            return None
        if version in self._processes:
            return self._processes[version]
        kept = self.store.process(version)
        if kept is None:
            await self.campaign_start(campaign)
            kept = self.store.process(version)
        if kept is None:
            return None
        found = ProcessIR.model_validate_json(kept)
        self._processes[version] = found
        return found

    def keep(self, process: ProcessIR) -> None:
        if process.version not in self._processes:
            self.store.keep_process(process.version, process.model_dump_json())
            self._processes[process.version] = process

    async def campaign_start(self, campaign: str) -> tuple[str, dict[str, Any], str] | None:
        """A campaign's process version, inputs and who started it: read once from the
        first event of its history (one page of one event), then kept."""
        kept = self.store.start(campaign)
        if kept is not None:
            return kept
        handle = self.client.get_workflow_handle(campaign)
        try:
            async for event in handle.fetch_history_events(page_size=1):
                if not event.HasField("workflow_execution_started_event_attributes"):
                    return None
                payloads = event.workflow_execution_started_event_attributes.input.payloads
                if not payloads:
                    return None
                start = pydantic_data_converter.payload_converter.from_payload(payloads[0], dict)
                return self._kept_start(campaign, start)
        except (RPCError, ValueError, TypeError, KeyError):
            return None
        return None

    def _kept_start(self, campaign: str, start: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
        process = ProcessIR.model_validate(start["process"])
        self.keep(process)
        inputs = dict(start.get("inputs") or {})
        by = str(start.get("started_by") or "")
        self.store.keep_start(campaign, process.version, inputs, by)
        return process.version, inputs, by


async def recent_poller(client: Client, task_queue: str) -> bool:
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    since = time.time() - 70
    return any(p.last_access_time.ToSeconds() >= since for p in response.pollers)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
