"""Workers: the actions a process can call, and the Temporal worker that runs them.

Write an action as an async function over pydantic models::

    from pydantic import BaseModel, ConfigDict
    from workers import ActionContext, action

    class TagParams(BaseModel):
        model_config = ConfigDict(extra="forbid")
        email: str
        tag: str

    class TagResult(BaseModel):
        tagged: bool

    @action("crm.add_tag", description="Add a tag to a CRM contact")
    async def add_tag(params: TagParams, ctx: ActionContext) -> TagResult: ...

and ship it in a package that declares it in the ``mops.actions`` entry-point group.
"""

# The names are loaded when first used (PEP 562): ``mops check`` reads the
# action catalogue (data) without importing the connectors, httpx or the
# Temporal SDK that the worker side needs.

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workers._action import Action, ActionContext, action
    from workers._catalogue import action_catalogue, builtin_signatures
    from workers._config import EgressConfig, SmtpConfig, WorkerConfig, settings_problem
    from workers._destinations import Destination
    from workers._egress import egress_client
    from workers._failures import ActionFailed, EgressRefused, SecretNotAllowed
    from workers._notices import notice_problems
    from workers._registry import ENTRY_POINT_GROUP, Registry, builtin_registry, load_registry
    from workers._sandbox import INTERPRETER, PASSED_THROUGH, WORKFLOWS, workflow_runner
    from workers._secrets import SECRET_MARKER, SecretMissing, SecretStore, redact
    from workers._worker import build_worker, run_worker

_WHERE: dict[str, str] = {
    "Action": "workers._action",
    "ActionContext": "workers._action",
    "action": "workers._action",
    "EgressConfig": "workers._config",
    "SmtpConfig": "workers._config",
    "WorkerConfig": "workers._config",
    "settings_problem": "workers._config",
    "notice_problems": "workers._notices",
    "Destination": "workers._destinations",
    "egress_client": "workers._egress",
    "ActionFailed": "workers._failures",
    "EgressRefused": "workers._failures",
    "SecretNotAllowed": "workers._failures",
    "ENTRY_POINT_GROUP": "workers._registry",
    "Registry": "workers._registry",
    "builtin_registry": "workers._registry",
    "load_registry": "workers._registry",
    "INTERPRETER": "workers._sandbox",
    "PASSED_THROUGH": "workers._sandbox",
    "WORKFLOWS": "workers._sandbox",
    "workflow_runner": "workers._sandbox",
    "SECRET_MARKER": "workers._secrets",
    "SecretMissing": "workers._secrets",
    "SecretStore": "workers._secrets",
    "redact": "workers._secrets",
    "build_worker": "workers._worker",
    "run_worker": "workers._worker",
    "action_catalogue": "workers._catalogue",
    "builtin_signatures": "workers._catalogue",
}
"""The module each public name lives in."""


def __getattr__(name: str) -> Any:
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'workers' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ENTRY_POINT_GROUP",
    "INTERPRETER",
    "PASSED_THROUGH",
    "SECRET_MARKER",
    "WORKFLOWS",
    "Action",
    "ActionContext",
    "ActionFailed",
    "Destination",
    "EgressConfig",
    "EgressRefused",
    "Registry",
    "SecretMissing",
    "SecretNotAllowed",
    "SecretStore",
    "SmtpConfig",
    "WorkerConfig",
    "action",
    "action_catalogue",
    "build_worker",
    "builtin_registry",
    "builtin_signatures",
    "egress_client",
    "load_registry",
    "notice_problems",
    "redact",
    "run_worker",
    "settings_problem",
    "workflow_runner",
]
