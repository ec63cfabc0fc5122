"""The registry: which actions a worker offers, as checker data and as activities.

The registry exports each action twice: as an
:class:`~engine.contracts.ActionSignature` (data for the checker) and as a
Temporal activity that takes the engine's :class:`~engine.contracts.TaskRequest`
and returns the action's result as JSON-able data.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

import temporalio.activity
from pydantic import BaseModel, ValidationError
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from engine.contracts import ActionSignature, TaskRequest, idempotency_key
from engine.errors import UserError
from workers._action import Action, ActionContext, ActionFailed
from workers._config import WorkerConfig
from workers._group import ENTRY_POINT_GROUP
from workers._redact import holds_secret
from workers._secrets import SecretMissing, SecretStore, redact

__all__ = ["ENTRY_POINT_GROUP", "Registry", "builtin_registry", "load_registry"]


_LOG = logging.getLogger("mops.worker")


class _ContextLogger(logging.LoggerAdapter[logging.Logger]):
    # The stdlib adapter replaces the caller's ``extra``; merge it instead so an
    # action can add its own structured fields to the step's.
    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs

    def __init__(self, logger: logging.Logger, extra: Mapping[str, Any], secrets: set[str]) -> None:
        super().__init__(logger, extra)
        self.secrets = secrets

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if self.secrets and self.isEnabledFor(level):
            # Format first, then scrub: a secret may arrive through the arguments,
            # or in the structured fields a JSON log prints.
            text = str(msg) % args if args else str(msg)
            msg, args = redact(text, self.secrets), ()
            if "extra" in kwargs:
                kwargs["extra"] = _scrub(kwargs["extra"], self.secrets)
        super().log(level, msg, *args, **kwargs)


def _scrub(value: Any, secrets: set[str]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v, secrets) for v in value]
    return value


class Registry:
    """The actions one worker offers, by name."""

    def __init__(self, actions: Iterable[Action[Any, Any]] = ()) -> None:
        self._actions: dict[str, Action[Any, Any]] = {}
        for each in actions:
            self.register(each)

    def register(self, action: Action[Any, Any]) -> None:
        """Add an action.

        Raises:
            ValueError: if another action already has the same name.
        """
        known = self._actions.get(action.name)
        if known is not None:
            raise ValueError(
                f"action '{action.name}' is defined twice: in {known.module} and in {action.module}"
            )
        self._actions[action.name] = action

    def get(self, name: str) -> Action[Any, Any] | None:
        """The action called ``name``, if registered."""
        return self._actions.get(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every action name, sorted."""
        return tuple(sorted(self._actions))

    def signatures(self) -> tuple[ActionSignature, ...]:
        """Every action's signature, sorted by name: the data the checker reads."""
        return tuple(self._actions[n].signature() for n in self.names)

    def activities(
        self, *, config: WorkerConfig | None = None, secrets: SecretStore | None = None
    ) -> list[Callable[[TaskRequest], Awaitable[dict[str, Any]]]]:
        """One Temporal activity per action, named after it, in the order of :attr:`names`.

        Args:
            config: What the actions see as ``ctx.config`` (default: from the environment).
            secrets: Where secret references are resolved (default: the environment).
        """
        config = config or WorkerConfig.from_env()
        secrets = secrets or SecretStore(file=config.secrets_file)
        return [_activity(self._actions[n], config, secrets) for n in self.names]


def _activity(
    action: Action[Any, Any], config: WorkerConfig, secrets: SecretStore
) -> Callable[[TaskRequest], Awaitable[dict[str, Any]]]:
    async def run_task(request: TaskRequest) -> dict[str, Any]:
        where = f'step "{request.title}" ({request.source})'
        used: set[str] = set()
        names: dict[str, str] = {}
        try:
            arguments = secrets.resolve(request.arguments, used, names)
        except SecretMissing as missing:
            raise ApplicationError(
                f"{where}: {missing}", type="SecretMissing", non_retryable=True
            ) from None
        try:
            params = action.params.model_validate(arguments)
        except ValidationError as error:
            raise ApplicationError(
                redact(f"{where}: {_explain(error, 'argument')}", used),
                type="InvalidArguments",
                non_retryable=True,
            ) from None
        ctx = _context(action, request, config, secrets, used, names)
        try:
            outcome = await _with_liveness(action, ctx, action.run(params, ctx))
        except ActionFailed as failure:
            # A failure the action explains: one readable log line, no traceback (the
            # SDK logs a benign failure at debug level only).
            message = redact(f"{where}: {failure.message}", used)
            _LOG.info("%s failed: %s", action.name, message)
            # 'from None': the chained exception would carry the raw message too.
            raise ApplicationError(
                message,
                type=failure.kind,
                non_retryable=not failure.retryable,
                next_retry_delay=failure.next_retry_delay,
                category=ApplicationErrorCategory.BENIGN,
            ) from None
        except SecretMissing as missing:
            raise ApplicationError(
                f"{where}: {missing}", type="SecretMissing", non_retryable=True
            ) from None
        except Exception as error:
            # Retried per the step's policy like any failure; the message keeps the
            # error's kind ('KeyError: ...') and never a secret.
            raise ApplicationError(
                redact(f"{where}: {type(error).__name__}: {error}", used),
                type=type(error).__name__,
            ) from None
        try:
            result: BaseModel = action.result.model_validate(outcome)
        except ValidationError as error:
            raise ApplicationError(
                f"{where}: action '{action.name}' returned a bad {_explain(error, 'field')}",
                type="InvalidResult",
                non_retryable=True,
            ) from None
        data: dict[str, Any] = result.model_dump(mode="json", by_alias=True)
        if used and holds_secret(data, used):
            # The result goes into the campaign's history: a secret must not.
            raise ApplicationError(
                f"{where}: action '{action.name}' returned a secret value in its result "
                "(as written or encoded); it was not recorded",
                type="SecretInResult",
                non_retryable=True,
            )
        return data

    run_task.__qualname__ = run_task.__name__ = f"run_{action.name.replace('.', '_')}"
    return temporalio.activity.defn(name=action.name)(run_task)


async def _with_liveness(action: Action[Any, Any], ctx: ActionContext, work: Awaitable[Any]) -> Any:
    """Run an action, heartbeating for it if it declares a heartbeat timeout.

    Beats repeat the action's own latest details, so a liveness beat never
    erases the progress an action recorded for its retry.
    """
    if action.heartbeat is None:
        return await work
    interval = max(action.heartbeat.total_seconds() / 3, 0.1)

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            temporalio.activity.heartbeat(*ctx.last_heartbeat)

    beating = asyncio.create_task(beat())
    try:
        return await work
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating


def _explain(error: ValidationError, noun: str) -> str:
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in detail["loc"]) or "(all)"
        if detail["type"] == "missing":
            problems.append(f"missing {noun} '{name}'")
        elif detail["type"] == "extra_forbidden":
            problems.append(f"unknown {noun} '{name}'")
        else:
            problems.append(f"{noun} '{name}': {detail['msg']}")
    return "; ".join(problems)


def _context(
    action: Action[Any, Any],
    request: TaskRequest,
    config: WorkerConfig,
    secrets: SecretStore,
    used: set[str],
    names: dict[str, str],
) -> ActionContext:
    info = temporalio.activity.info()
    campaign_id = info.workflow_id or ""
    fields: dict[str, Any] = {
        "campaign_id": campaign_id,
        "run_id": info.workflow_run_id or "",
        "step": record_id(request),
        "title": request.title,
        "source": request.source,
        "activity_id": info.activity_id,
        "attempt": info.attempt,
        "idempotency_key": idempotency_key(campaign_id, info.activity_id),
    }
    logger = logging.getLogger(f"mops.actions.{action.name}")
    return ActionContext(
        **fields,
        logger=_ContextLogger(logger, {"action": action.name, **fields}, used),
        notice=request.notice,
        config=config,
        secrets=secrets,
        used_secrets=used,
        secret_names=names,
    )


def builtin_registry() -> Registry:
    """A registry holding every built-in action."""
    # Imported here: the built-ins themselves import this module.
    from workers.builtins import BUILTIN_ACTIONS

    return Registry(BUILTIN_ACTIONS)


def load_registry(*, entry_points: bool = True) -> Registry:
    """The built-in actions plus, unless disabled, those of installed plugins.

    Args:
        entry_points: Also load actions from the ``mops.actions`` entry-point group.

    Raises:
        UserError: if a plugin fails to load or clashes with another action.
    """
    registry = builtin_registry()
    if entry_points:
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            _register_plugin(registry, entry_point)
    return registry


def _register_plugin(registry: Registry, entry_point: importlib.metadata.EntryPoint) -> None:
    where = f"action plugin '{entry_point.name}' ({entry_point.value})"
    try:
        loaded = entry_point.load()
        actions = [loaded] if isinstance(loaded, Action) else list(loaded)
        for each in actions:
            if not isinstance(each, Action):
                raise TypeError(f"provides {each!r}, not an Action")
            registry.register(each)
    except Exception as error:
        raise UserError(
            f"{where} failed to load: {type(error).__name__}: {error}",
            hint=f"fix or uninstall the package that declares it in the '{ENTRY_POINT_GROUP}' "
            "entry-point group",
        ) from error


def record_id(request: TaskRequest) -> str:
    """The id of the step record the activity runs for: ``draft``, ``draft.notice``,
    ``publish.undo`` (what logs and failures name)."""
    purpose = request.purpose
    if purpose is None or purpose == "task":
        return request.step
    return f"{request.step}.{purpose}"
