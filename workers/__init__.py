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

from workers._action import Action, ActionContext, action
from workers._config import EgressConfig, SmtpConfig, WorkerConfig, settings_problem
from workers._destinations import Destination
from workers._egress import egress_client
from workers._failures import ActionFailed, EgressRefused, SecretNotAllowed
from workers._registry import ENTRY_POINT_GROUP, Registry, builtin_registry, load_registry
from workers._sandbox import INTERPRETER, PASSED_THROUGH, WORKFLOWS, workflow_runner
from workers._secrets import SECRET_MARKER, SecretMissing, SecretStore, redact
from workers._worker import build_worker, run_worker

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
    "build_worker",
    "builtin_registry",
    "egress_client",
    "load_registry",
    "redact",
    "run_worker",
    "settings_problem",
    "workflow_runner",
]
