"""Actions, their signatures as the checker sees them, and the registry's activities."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import AnyUrl, BaseModel, ConfigDict, Field, HttpUrl
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from engine.contracts import TaskRequest
from engine.errors import UserError
from workers import (
    Action,
    ActionContext,
    ActionFailed,
    Registry,
    action,
    builtin_registry,
    load_registry,
)
from workers._registry import _register_plugin


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Channel(Enum):
    BLOG = "blog"
    EMAIL = "email"


class Audience(BaseModel):
    segment: str


class Everything(Strict):
    title: str
    budget: Decimal
    count: int = 3
    ratio: float | None = None
    approved: bool
    launch_on: date
    starts_at: datetime
    wait: timedelta
    landing_page: HttpUrl
    mirrors: list[AnyUrl] = []
    tags: list[str]
    audience: Audience
    extra: dict[str, Any] | None = None
    payload: Any
    tone: Literal["formal", "friendly"] = "friendly"
    channel: Channel
    note: str = Field(default="", alias="comment", description="Shown to the approver.")


class Done(BaseModel):
    done: bool


async def _noop(params: Everything, ctx: ActionContext) -> Done:
    return Done(done=True)


def _make(name: str = "acme.noop", **changes: Any) -> Action[Any, Any]:
    fields: dict[str, Any] = {
        "name": name,
        "description": "Do nothing",
        "params": Everything,
        "result": Done,
        "run": _noop,
    }
    return Action(**(fields | changes))


def test_signature_maps_python_types_to_language_types() -> None:
    signature = _make().signature()

    assert [(p.name, p.type, p.required) for p in signature.params] == [
        ("title", "text", True),
        ("budget", "number", True),
        ("count", "number", False),
        ("ratio", "number", False),
        ("approved", "bool", True),
        ("launch_on", "date", True),
        ("starts_at", "datetime", True),
        ("wait", "duration", True),
        ("landing_page", "url", True),
        ("mirrors", "list of url", False),
        ("tags", "list of text", True),
        ("audience", "record", True),
        ("extra", "record", False),
        ("payload", "any", True),
        ("tone", 'one of "formal", "friendly"', False),
        ("channel", 'one of "blog", "email"', True),
        ("comment", "text", False),
    ]
    assert signature.param("comment") is not None
    assert signature.param("comment").description == "Shown to the approver."  # type: ignore[union-attr]
    assert [(f.name, f.type, f.required) for f in signature.result] == [("done", "bool", True)]


@pytest.mark.parametrize(
    ("annotation", "problem"),
    [
        (set[int] | str, "union set[int] | str has no single type in the language"),
        (list[str | None], "list items of list[str | None] may be None"),
        (tuple[int, str], "fixed-length tuple tuple[int, str] has no type in the language"),
        (bytes, "<class 'bytes'> has no type in the language"),
        (Literal["a, b"], "typing.Literal['a, b']: choices must be text without commas or quotes"),
    ],
)
def test_unmappable_field_fails_when_the_action_is_made(annotation: Any, problem: str) -> None:
    params = type("Odd", (Strict,), {"__annotations__": {"odd": annotation}})

    with pytest.raises(TypeError) as caught:
        _make(params=params)

    assert str(caught.value) == f"action 'acme.noop' params: field 'odd': {problem}"


@pytest.mark.parametrize("name", ["noop", "Acme.noop", "acme.", "acme..noop", "acme.no-op", "1x.y"])
def test_action_name_must_be_dotted_lower_case(name: str) -> None:
    with pytest.raises(ValueError) as caught:
        _make(name)

    assert str(caught.value) == (
        f"action '{name}' ({__name__}): name must be dotted lower-case words such as 'http.post'"
    )


def test_params_must_forbid_unknown_arguments() -> None:
    class Loose(BaseModel):
        title: str

    with pytest.raises(TypeError) as caught:
        _make(params=Loose)

    assert str(caught.value) == (
        f"action 'acme.noop' ({__name__}): params model Loose must set extra='forbid'"
    )


def test_decorator_reads_params_and_result_from_annotations() -> None:
    @action("acme.count", description="Count", timeout=timedelta(seconds=5))
    async def count(params: Everything, ctx: ActionContext) -> Done:
        return Done(done=True)

    assert (count.name, count.params, count.result, count.timeout) == (
        "acme.count",
        Everything,
        Done,
        timedelta(seconds=5),
    )


def test_decorator_rejects_a_function_without_model_annotations() -> None:
    async def untyped(params: dict[str, Any], ctx: ActionContext) -> Done:
        return Done(done=True)

    with pytest.raises(TypeError) as caught:
        action("acme.untyped", description="Untyped")(untyped)  # type: ignore[type-var]

    assert "must be annotated as (params: <BaseModel>, ctx: ActionContext)" in str(caught.value)


def test_duplicate_name_names_both_modules() -> None:
    async def other(params: Everything, ctx: ActionContext) -> Done:
        return Done(done=True)

    other.__module__ = "acme_connectors.crm"
    registry = Registry([_make()])

    with pytest.raises(ValueError) as caught:
        registry.register(_make(run=other))

    assert str(caught.value) == (
        f"action 'acme.noop' is defined twice: in {__name__} and in acme_connectors.crm"
    )


BUILTINS = (
    "email.send",
    "export.csv",
    "export.json",
    "http.post",
    "http.request",
    "log.info",
    "notify.send",
    "webhook.post",
)


def test_builtin_registry_exports_every_signature_sorted() -> None:
    registry = builtin_registry()

    assert registry.names == BUILTINS
    assert [s.name for s in registry.signatures()] == list(BUILTINS)
    assert load_registry(entry_points=False).names == registry.names


PLUGIN = """
from pydantic import BaseModel, ConfigDict
from workers import ActionContext, action

class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str

class Tagged(BaseModel):
    tagged: bool

@action("crm.add_tag", description="Tag a contact")
async def add_tag(params: Params, ctx: ActionContext) -> Tagged:
    return Tagged(tagged=True)

ACTIONS = [add_tag]
NOT_ACTIONS = [42]
"""


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "acme_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "acme_plugin"
    sys.modules.pop("acme_plugin", None)


def _entry_point(value: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name="acme", value=value, group="mops.actions")


def test_entry_point_adds_its_actions(plugin_module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def entry_points(*, group: str) -> list[importlib.metadata.EntryPoint]:
        return [_entry_point(f"{plugin_module}:ACTIONS")] if group == "mops.actions" else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)

    assert load_registry().names == ("crm.add_tag", *BUILTINS)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("acme_missing:ACTIONS", "ModuleNotFoundError: No module named 'acme_missing'"),
        ("acme_plugin:NOT_ACTIONS", "TypeError: provides 42, not an Action"),
    ],
)
def test_broken_plugin_is_a_user_error_naming_the_entry_point(
    plugin_module: str, value: str, problem: str
) -> None:
    with pytest.raises(UserError) as caught:
        _register_plugin(Registry(), _entry_point(value))

    assert caught.value.message == f"action plugin 'acme' ({value}) failed to load: {problem}"
    assert caught.value.hint is not None


def test_plugin_clashing_with_a_builtin_names_both(plugin_module: str) -> None:
    registry = builtin_registry()
    log_info = registry.get("log.info")
    assert log_info is not None
    registry.register(dataclasses.replace(log_info, name="crm.add_tag"))

    with pytest.raises(UserError) as caught:
        _register_plugin(registry, _entry_point("acme_plugin:ACTIONS"))

    assert caught.value.message == (
        "action plugin 'acme' (acme_plugin:ACTIONS) failed to load: ValueError: action "
        "'crm.add_tag' is defined twice: in workers.builtins.log and in acme_plugin"
    )


# --- the activities the registry builds ---------------------------------------------


class Say(Strict):
    text: str


async def _fail(params: Say, ctx: ActionContext) -> Done:
    raise ActionFailed(f"refused {params.text}", retryable=params.text == "later")


async def _wrong_result(params: Say, ctx: ActionContext) -> Done:
    return {"done": "maybe"}  # type: ignore[return-value]


def _run(
    fn: Callable[[Say, ActionContext], Awaitable[Done]], **arguments: Any
) -> Awaitable[dict[str, Any]]:
    registry = Registry(
        [Action(name="acme.say", description="Say", params=Say, result=Done, run=fn)]
    )
    request = TaskRequest(step="s1", title="Greet", source="a.mops:3:5", arguments=arguments)
    return ActivityEnvironment().run(registry.activities()[0], request)


@pytest.mark.parametrize("text", ["later", "never"])
async def test_action_failed_becomes_application_error(text: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        await _run(_fail, text=text)

    assert caught.value.message == f'step "Greet" (a.mops:3:5): refused {text}'
    assert caught.value.type == "ActionFailed"
    assert caught.value.non_retryable is (text == "never")


async def test_bad_result_fails_for_good() -> None:
    with pytest.raises(ApplicationError) as caught:
        await _run(_wrong_result, text="hi")

    assert caught.value.message == (
        "step \"Greet\" (a.mops:3:5): action 'acme.say' returned a bad field 'done': "
        "Input should be a valid boolean, unable to interpret input"
    )
    assert caught.value.type == "InvalidResult"
    assert caught.value.non_retryable


async def test_log_info_writes_a_line_with_step_context(caplog: pytest.LogCaptureFixture) -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="launch", activity_id="note#1")
    registry = builtin_registry()
    log_info = dict(zip(registry.names, registry.activities(), strict=True))["log.info"]
    request = TaskRequest(
        step="note",
        title="Note launch",
        source="launch.mops:4:1",
        arguments={"message": "launched", "fields": {"channel": "blog"}},
    )

    with caplog.at_level(logging.INFO, logger="mops.actions"):
        result = await env.run(log_info, request)

    assert result["logged"] is True
    [record] = caplog.records
    logged = vars(record)
    assert record.getMessage() == "launched"
    assert [logged[k] for k in ("campaign_id", "step", "source", "idempotency_key")] == [
        "launch",
        "note",
        "launch.mops:4:1",
        "launch/note#1",
    ]
    assert logged["fields"] == {"channel": "blog"}
