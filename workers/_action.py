"""What an action is: a dotted name, a typed signature and an async function.

An action is a plain async function ``(params, ctx) -> result`` whose params and
result are pydantic models. Its signature is exported in the process language's
type names so the checker can check calls before anything runs.
"""

from __future__ import annotations

import inspect
import logging
import re
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from types import NoneType, UnionType
from typing import Annotated, Any, Generic, Literal, TypeVar, Union

import httpx
import temporalio.activity
from pydantic import AnyUrl, BaseModel, EmailStr, SecretStr

from engine.contracts import ActionSignature, FieldSpec, NoticeFact
from workers._config import WorkerConfig
from workers._destinations import check_secrets_may_go
from workers._failures import ActionFailed
from workers._secrets import SecretStore

__all__ = ["Action", "ActionContext", "ActionFailed", "action"]

_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")

P = TypeVar("P", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True, kw_only=True)
class ActionContext:
    """Where an action runs: the campaign, the step and the attempt.

    Attributes:
        campaign_id: The workflow id of the campaign.
        run_id: The workflow run id.
        step: The step's id in the process.
        title: The step's title as the user wrote it.
        source: ``file:line:col`` of the step in its process file.
        activity_id: The activity id the interpreter chose for this execution.
        attempt: The attempt number, starting at 1.
        idempotency_key: Stable across retries and crashes; send it with every
            side effect so the receiver can drop duplicates.
        notice: For ``notify.send`` sending a notice about a work item or approval:
            which notice (reminder, escalation, ...), to whom and whom it added.
        logger: A logger whose records carry all of the above as extra fields;
            secret values are scrubbed from its messages.
        config: The worker's configuration (SMTP server, export folder, ...).
        secrets: Where the worker looks secrets up; prefer ``secret()``.
        used_secrets: Every secret value this step holds, scrubbed from its
            messages; add a value the step got as plain text to scrub it too.
        secret_names: ``name -> value`` of the worker's secrets this step resolved
            (from its arguments or ``secret()``): what :meth:`require_destination` checks.
    """

    campaign_id: str
    run_id: str
    step: str
    title: str
    source: str
    activity_id: str
    attempt: int
    idempotency_key: str
    logger: logging.LoggerAdapter[logging.Logger]
    notice: NoticeFact | None = None
    config: WorkerConfig = field(default_factory=WorkerConfig)
    secrets: SecretStore = field(default_factory=SecretStore)
    used_secrets: set[str] = field(default_factory=set, repr=False)
    secret_names: dict[str, str] = field(default_factory=dict, repr=False)
    last_heartbeat: list[Any] = field(default_factory=list, repr=False)
    """The details of the latest heartbeat, repeated by the worker's liveness beats."""

    def secret(self, name: str) -> str:
        """The value of a secret the worker holds (e.g. the SMTP password).

        The value is scrubbed from this step's error messages and log lines.

        Raises:
            SecretMissing: the worker has no such secret.
        """
        value = self.secrets.get(name)
        self.used_secrets.add(value)
        self.secret_names[name] = value
        return value

    def require_destination(
        self,
        target: str | httpx.URL,
        *,
        secrets: Iterable[str] | None = None,
        show_path: bool = True,
    ) -> None:
        """Refuse to go on when a secret may not be sent to ``target``.

        Call it before a request leaves, with the URL it goes to
        (``smtp://host:port`` for a mail server). Each secret names the
        destinations it may go to; one bound elsewhere, or nowhere, stops the step.

        Args:
            target: Where the request goes.
            secrets: The names of the secrets the request carries or is signed
                with (default: every secret this step resolved).
            show_path: Name the target's path in the message; pass False when the
                URL is itself a secret (a chat webhook's path is its token).

        Raises:
            SecretNotAllowed: a secret is not bound to ``target``; the message
                names the secret and the target, never the value.
        """
        names = self.secret_names if secrets is None else list(secrets)
        check_secrets_may_go(self.secrets, names, target, show_path=show_path)

    def heartbeat(self, *details: Any) -> None:
        """Tell Temporal the action is still alive, with optional progress details.

        The details are kept: a retry reads them from
        ``temporalio.activity.info().heartbeat_details`` to resume where it stopped.
        """
        self.last_heartbeat[:] = details
        temporalio.activity.heartbeat(*details)


@dataclass(frozen=True, kw_only=True)
class Action(Generic[P, R]):
    """One action: a dotted name, a typed signature and the function that does the work.

    Attributes:
        name: Dotted name used in process files, e.g. ``http.post``.
        description: One line shown to process authors.
        params: Pydantic model of the arguments; must forbid extra fields.
        result: Pydantic model of what the action returns.
        run: The async function ``(params, ctx) -> result``.
        timeout: Default start-to-close timeout of one attempt.
    """

    name: str
    description: str
    params: type[P]
    result: type[R]
    run: Callable[[P, ActionContext], Awaitable[R]]
    timeout: timedelta = timedelta(minutes=1)
    heartbeat: timedelta | None = None

    def __post_init__(self) -> None:
        where = f"action '{self.name}' ({self.module})"
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"{where}: name must be dotted lower-case words such as 'http.post'")
        if not self.description.strip() or "\n" in self.description:
            raise ValueError(f"{where}: description must be one non-empty line")
        if self.params.model_config.get("extra") != "forbid":
            raise TypeError(f"{where}: params model {self.params.__name__} must set extra='forbid'")
        if not inspect.iscoroutinefunction(self.run):
            raise TypeError(f"{where}: the function must be async (async def)")
        if self.timeout <= timedelta():
            raise ValueError(f"{where}: timeout must be positive")
        self.signature()  # an unmappable field is the plugin author's bug: fail now

    @property
    def module(self) -> str:
        """The module that defines the action's function."""
        return getattr(self.run, "__module__", "<unknown>")

    def signature(self) -> ActionSignature:
        """The action's signature in the process language's type names.

        Raises:
            TypeError: if a field's annotation has no type in the language.
        """
        return ActionSignature(
            name=self.name,
            description=self.description,
            params=_fields(self.params, f"action '{self.name}' params"),
            result=_fields(self.result, f"action '{self.name}' result"),
            timeout_seconds=self.timeout.total_seconds(),
            heartbeat_seconds=None if self.heartbeat is None else self.heartbeat.total_seconds(),
        )


def _fields(model: type[BaseModel], where: str) -> tuple[FieldSpec, ...]:
    specs = []
    for name, info in model.model_fields.items():
        shown = info.alias or name
        try:
            type_, _allows_none = _type_name(info.annotation)
        except TypeError as error:
            raise TypeError(f"{where}: field '{shown}': {error}") from None
        specs.append(
            FieldSpec(
                name=shown,
                type=type_,
                # No default: the worker needs it, even when None is allowed.
                required=info.is_required(),
                description=info.description or "",
            )
        )
    return tuple(specs)


# Order matters: bool is an int and datetime is a date.
_SCALARS: tuple[tuple[type, str], ...] = (
    (bool, "bool"),
    (int, "number"),
    (float, "number"),
    (Decimal, "number"),
    (datetime, "datetime"),
    (date, "date"),
    (timedelta, "duration"),
    (AnyUrl, "url"),
    (SecretStr, "secret"),
    (str, "text"),
    (Mapping, "record"),
    (BaseModel, "record"),
)


def _type_name(annotation: Any) -> tuple[str, bool]:
    """The language's name for a Python annotation, and whether it admits None."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (Union, UnionType):
        names = {_type_name(arg)[0] for arg in args if arg is not NoneType}
        if len(names) != 1:
            raise TypeError(f"union {annotation} has no single type in the language")
        return names.pop(), NoneType in args
    if annotation is Any:
        return "any", True
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _one_of(annotation, [member.value for member in annotation]), False
    if origin is Literal:
        return _one_of(annotation, args), False
    if origin in (list, tuple, set, frozenset, Sequence) or annotation in (list, Sequence):
        if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
            raise TypeError(f"fixed-length tuple {annotation} has no type in the language")
        item, item_optional = _type_name(args[0]) if args else ("any", False)
        if item_optional and item != "any":
            raise TypeError(f"list items of {annotation} may be None")
        return f"list of {item}", False
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return "record", False
    if isinstance(annotation, type):
        if annotation is EmailStr:
            return "email", False
        for python_type, name in _SCALARS:
            if issubclass(annotation, python_type):
                return name, False
    raise TypeError(f"{annotation!r} has no type in the language")


def _one_of(annotation: Any, choices: Sequence[object]) -> str:
    # The language writes choices as quoted text separated by commas.
    if not choices or not all(isinstance(c, str) and not set(c) & set(',"') for c in choices):
        raise TypeError(f"{annotation!r}: choices must be text without commas or quotes")
    return "one of " + ", ".join(f'"{c}"' for c in choices)


def action(
    name: str,
    *,
    description: str,
    timeout: timedelta = timedelta(minutes=1),
    heartbeat: timedelta | None = None,
) -> Callable[[Callable[[P, ActionContext], Awaitable[R]]], Action[P, R]]:
    """Turn an async function ``(params: P, ctx: ActionContext) -> R`` into an :class:`Action`.

    Args:
        name: Dotted action name, e.g. ``crm.add_tag``.
        description: One line shown to process authors.
        timeout: Default start-to-close timeout of one attempt.
        heartbeat: For long actions: the worker heartbeats for the action while it
            runs, and Temporal retries it elsewhere after this long without one
            (a dead worker is noticed in ``heartbeat``, not in ``timeout``).

    Raises:
        TypeError: if the function is not annotated as above.
    """

    def wrap(fn: Callable[[P, ActionContext], Awaitable[R]]) -> Action[P, R]:
        try:
            hints = typing.get_type_hints(fn)
        except NameError as error:
            raise TypeError(f"action '{name}': cannot resolve an annotation: {error}") from None
        returns = hints.pop("return", None)
        annotated = list(hints.values())
        if (
            len(annotated) != 2
            or not _is_model(annotated[0])
            or annotated[1] is not ActionContext
            or not _is_model(returns)
        ):
            raise TypeError(
                f"action '{name}' ({fn.__module__}.{fn.__qualname__}) must be annotated "
                "as (params: <BaseModel>, ctx: ActionContext) -> <BaseModel>"
            )
        return Action(
            name=name,
            description=description,
            params=annotated[0],
            result=typing.cast(type[R], returns),
            run=fn,
            timeout=timeout,
            heartbeat=heartbeat,
        )

    return wrap


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
