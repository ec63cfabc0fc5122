"""A campaign's status through the embedded server's HTTP API, with the standard library.

The Temporal SDK costs a third of a second of CPU to import, more than ``mops
status`` may take in all (docs/benchmarks.md). The embedded server's frontend
also serves its API as JSON over HTTP (``temporal server start-dev
--http-port``), so the common questions are asked there: describe the campaign,
and, while it runs, ask it for its status (the same ``status`` query the SDK
path asks) and its sub-processes for theirs. Payloads are read as the worker
wrote them (``json/plain``, with the HTTP API's payload shorthand turned off),
so what is printed is byte for byte what the SDK path prints.

Anything else (a closed campaign, whose status is rebuilt from its history; no
worker to answer; an answer that is not a status) is left to the SDK path, as
:class:`Unanswered`: it reads the campaign as every other command does.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from engine.errors import UserError
from engine.local._record import http_api_of_running_server
from engine.local._settings import local_settings
from engine.local._state_dir import private_folder

NAMESPACE = "default"
"""The embedded server's one namespace (any other needs ``TEMPORAL_NAMESPACE``, so the SDK)."""
QUERY_TIMEOUT = 5.0
"""Seconds a campaign has to answer its status query (as on the SDK path)."""
SUB_PROCESS_TIMEOUT = 10.0
"""Seconds a sub-process campaign has to answer (as on the SDK path)."""
DESCRIBE_TIMEOUT = 10.0

_ACCEPT = "application/json+no-payload-shorthand"
"""Payloads as they were written (base64 data and metadata), not the gateway's shorthand:
the shorthand turns JSON into protobuf Values, which sorts keys, writes empty lists as
null and numbers as doubles."""
_RUNNING = frozenset(
    {"WORKFLOW_EXECUTION_STATUS_RUNNING", "WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW"}
)
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:@+=-]{1,200}")
"""Ids that travel in a URL path unchanged; any other is left to the SDK path."""
_STATUS_KEYS = frozenset({"process", "title", "version", "state", "started_at", "steps"})


class Unanswered(NamedTuple):
    """The HTTP API did not answer the question; the SDK path must."""

    asked: bool
    """The running campaign was asked for its status and did not answer (no worker):
    asking again would only wait as long again, so the SDK path reads the history."""


def embedded_http_api(env: Mapping[str, str] | None = None) -> str | None:
    """``127.0.0.1:PORT`` of the running embedded server's HTTP API, when the embedded
    server is what the command uses and its record names the address; else None.

    Any Temporal client setting (a ``TEMPORAL_*`` variable or a Temporal config file)
    may name a cluster, a namespace or credentials: then None, and the SDK decides.

    Raises:
        UserError: MOps Flow's own settings are invalid, or the state folder is not the
            user's (the same messages every command gives).
    """
    env = os.environ if env is None else env
    state_dir = local_settings(env).state_dir
    if any(name.startswith("TEMPORAL_") for name in env) or _temporal_config_file(env):
        return None
    private_folder(state_dir.expanduser().absolute())
    return http_api_of_running_server(state_dir.expanduser().absolute())


def _temporal_config_file(env: Mapping[str, str]) -> bool:
    """Whether a Temporal client config file is where the SDK would look for one."""
    home = Path(env.get("HOME") or Path.home())
    folders = [home / ".config", home / "Library" / "Application Support"]
    if xdg := env.get("XDG_CONFIG_HOME"):
        folders.insert(0, Path(xdg))
    return any((folder / "temporalio" / "temporal.toml").exists() for folder in folders)


def status_document(http_api: str, campaign_id: str) -> dict[str, Any] | Unanswered:
    """``mops status --json``'s document of a running campaign, asked over the HTTP API.

    Raises:
        UserError: no campaign has that id.
    """
    if not _PLAIN_ID.fullmatch(campaign_id):
        return Unanswered(asked=False)
    host, _, port = http_api.rpartition(":")
    api = _Api(http.client.HTTPConnection(host, int(port), timeout=DESCRIBE_TIMEOUT))
    try:
        described = api.call("GET", campaign_id, timeout=DESCRIBE_TIMEOUT)
        if described.error:
            # As on the SDK path: whatever the server says, there is no such campaign.
            raise UserError(f"no campaign '{campaign_id}'", hint="'mops list' shows the campaigns")
        info = described.body.get("workflowExecutionInfo") or {}
        if info.get("status") not in _RUNNING:
            return Unanswered(asked=False)  # closed: its status is rebuilt from the history
        status = api.status_of(campaign_id, timeout=QUERY_TIMEOUT)
        if status is None:
            return Unanswered(asked=True)
        inner = api.sub_process_items(status) if status.get("state") == "running" else []
    except (OSError, http.client.HTTPException, ValueError):
        return Unanswered(asked=False)  # the server went away meanwhile: the SDK path says so
    finally:
        api.close()
    return {"id": campaign_id, **status, "sub_process_items": inner}


class _Reply(NamedTuple):
    body: dict[str, Any]
    error: bool
    """The server answered with a gRPC error (a JSON body with a code)."""


class _Api:
    """One kept-alive connection to the HTTP API, for a few requests."""

    def __init__(self, connection: http.client.HTTPConnection) -> None:
        self._connection = connection

    def close(self) -> None:
        self._connection.close()

    def call(self, method: str, campaign_id: str, *, timeout: float, query: str = "") -> _Reply:
        """Describe the campaign, or ask it ``query``.

        Raises:
            OSError, http.client.HTTPException, ValueError: no usable answer at all.
        """
        path = f"/api/v1/namespaces/{NAMESPACE}/workflows/{quote(campaign_id, safe='')}"
        if query:
            path += f"/query/{query}"
        # The server gives up after ``timeout``; the socket waits a second longer for that.
        self._connection.timeout = timeout + 1
        if self._connection.sock is not None:
            self._connection.sock.settimeout(timeout + 1)
        headers = {"Accept": _ACCEPT, "Grpc-Timeout": f"{int(timeout * 1000)}m"}
        body = None
        if method == "POST":
            body = json.dumps({"query": {"queryType": query}}).encode()
            headers["Content-Type"] = "application/json"
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        answer = json.loads(response.read() or b"{}")
        if not isinstance(answer, dict):
            raise ValueError("not a JSON object")
        if response.status == 200:
            return _Reply(answer, error=False)
        if isinstance(answer.get("code"), int):
            return _Reply(answer, error=True)
        raise ValueError(f"HTTP {response.status} without a gRPC status")

    def status_of(self, campaign_id: str, *, timeout: float) -> dict[str, Any] | None:
        """The campaign's answer to its ``status`` query, or None if it gave none (no
        worker, the query failed), as the SDK path takes an RPC or query error.

        Raises:
            ValueError: an answer that is not a status; the SDK path then asks again
                and says what it always said of that.
        """
        try:
            reply = self.call("POST", campaign_id, timeout=timeout, query="status")
        except TimeoutError:
            self._connection.close()  # a fresh connection for the next request
            return None
        if reply.error:
            return None
        payloads = (reply.body.get("queryResult") or {}).get("payloads") or []
        status = _json_payload(payloads[0]) if payloads else None
        if not isinstance(status, dict) or not status.keys() >= _STATUS_KEYS:
            raise ValueError("the answer to the status query is not a campaign's status")
        return status

    def sub_process_items(self, status: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The open steps of the sub-processes a campaign runs, and of theirs, as
        ``{"campaign": id, **work item}`` (as ``engine.client.sub_process_items``)."""
        found: list[dict[str, Any]] = []
        for step in status.get("steps") or ():
            child_id = step.get("campaign")
            if child_id is None or step.get("state") != "running":
                continue
            if not isinstance(child_id, str) or not _PLAIN_ID.fullmatch(child_id):
                raise ValueError("a sub-process id the SDK path must ask for")
            child = self.status_of(child_id, timeout=SUB_PROCESS_TIMEOUT)
            if child is None:
                continue  # not started yet, just ended, or no worker to answer
            found += [{"campaign": child_id, **item} for item in child.get("open_items") or ()]
            found += self.sub_process_items(child)
        return found


def _json_payload(payload: Mapping[str, Any]) -> Any:
    """A ``json/plain`` payload's value (what the pydantic data converter writes)."""
    metadata = payload.get("metadata") or {}
    encoding = base64.b64decode(metadata.get("encoding", ""))
    if encoding != b"json/plain":
        raise ValueError(f"a payload in {encoding!r}")
    return json.loads(base64.b64decode(payload.get("data", "")))
