"""The MOps Flow process language: parse, check and describe ``.mops`` files.

This package depends on nothing else of ours. The engine compiles what it
returns; the worker registry supplies the :class:`Catalogue` of actions.
"""

# The names are loaded when first used (PEP 562): a command that only formats a
# file does not pay for the checker, the graph or the renderers. Type checkers
# read the imports below; ``_WHERE`` says where each name lives at run time.

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsl import _ast as ast
    from dsl import _scenario_ast as scenario_ast
    from dsl._api import CheckedProcess, check_file, check_source
    from dsl._calendar_defs import resolve_calendar
    from dsl._calendars import PRESETS as CALENDAR_PRESETS
    from dsl._calendars import pin as pin_calendar
    from dsl._calendars import time_zones, years_to_pin
    from dsl._check import APPROVAL_FIELDS, WORK_FIELDS, iter_tasks
    from dsl._check_chosen import chosen_texts
    from dsl._check_expr import declared_type
    from dsl._complete import Expected, expected_at
    from dsl._diagnostics import CODES, Diagnostic, Severity, has_errors, render_all
    from dsl._digraph import Graph as ProcessGraph
    from dsl._directory import (
        Absence,
        Directory,
        DirectoryError,
        Person,
        directory_for,
        load_directory,
        parse_directory,
    )
    from dsl._fixes import Fix, suggested_fix
    from dsl._format import FormatError, format_source
    from dsl._functions import FUNCTIONS
    from dsl._graph import build_graph, process_graph
    from dsl._kept import kept_file_command
    from dsl._plan import Plan, plan
    from dsl._render import to_dot, to_mermaid, to_svg
    from dsl._render_svg import draw as draw_scene
    from dsl._scenario_api import CheckedScenarios, check_scenario_file, check_scenario_source
    from dsl._scene import Arrow, Scene, Shape
    from dsl._signatures import ActionSignature, Catalogue, FieldSpec
    from dsl._source import SourceFile, Span, gc_paused
    from dsl._suggest import did_you_mean
    from dsl._symbols import STEP_KINDS, Definition, Reference, Symbols, step_kind, symbols
    from dsl._types import ListOf, OneOf, Scalar, Type, TypeSyntaxError, parse_type
    from dsl._walk import iter_steps

_WHERE: dict[str, tuple[str, str]] = {
    "ast": ("dsl._ast", ""),
    "scenario_ast": ("dsl._scenario_ast", ""),
    "CheckedProcess": ("dsl._api", "CheckedProcess"),
    "check_file": ("dsl._api", "check_file"),
    "check_source": ("dsl._api", "check_source"),
    "resolve_calendar": ("dsl._calendar_defs", "resolve_calendar"),
    "pin_calendar": ("dsl._calendars", "pin"),
    "years_to_pin": ("dsl._calendars", "years_to_pin"),
    "APPROVAL_FIELDS": ("dsl._check", "APPROVAL_FIELDS"),
    "WORK_FIELDS": ("dsl._check", "WORK_FIELDS"),
    "iter_tasks": ("dsl._check", "iter_tasks"),
    "iter_steps": ("dsl._check", "iter_steps"),
    "chosen_texts": ("dsl._check_chosen", "chosen_texts"),
    "declared_type": ("dsl._check_expr", "declared_type"),
    "CODES": ("dsl._diagnostics", "CODES"),
    "Diagnostic": ("dsl._diagnostics", "Diagnostic"),
    "Severity": ("dsl._diagnostics", "Severity"),
    "has_errors": ("dsl._diagnostics", "has_errors"),
    "render_all": ("dsl._diagnostics", "render_all"),
    "Absence": ("dsl._directory", "Absence"),
    "Directory": ("dsl._directory", "Directory"),
    "DirectoryError": ("dsl._directory", "DirectoryError"),
    "Person": ("dsl._directory", "Person"),
    "directory_for": ("dsl._directory", "directory_for"),
    "load_directory": ("dsl._directory", "load_directory"),
    "parse_directory": ("dsl._directory", "parse_directory"),
    "FormatError": ("dsl._format", "FormatError"),
    "format_source": ("dsl._format", "format_source"),
    "FUNCTIONS": ("dsl._functions", "FUNCTIONS"),
    "build_graph": ("dsl._graph", "build_graph"),
    "process_graph": ("dsl._graph", "process_graph"),
    "ProcessGraph": ("dsl._digraph", "Graph"),
    "Plan": ("dsl._plan", "Plan"),
    "plan": ("dsl._plan", "plan"),
    "to_dot": ("dsl._render", "to_dot"),
    "to_mermaid": ("dsl._render", "to_mermaid"),
    "to_svg": ("dsl._render", "to_svg"),
    "draw_scene": ("dsl._render_svg", "draw"),
    "CheckedScenarios": ("dsl._scenario_api", "CheckedScenarios"),
    "check_scenario_file": ("dsl._scenario_api", "check_scenario_file"),
    "check_scenario_source": ("dsl._scenario_api", "check_scenario_source"),
    "Arrow": ("dsl._scene", "Arrow"),
    "Scene": ("dsl._scene", "Scene"),
    "Shape": ("dsl._scene", "Shape"),
    "ActionSignature": ("dsl._signatures", "ActionSignature"),
    "Catalogue": ("dsl._signatures", "Catalogue"),
    "FieldSpec": ("dsl._signatures", "FieldSpec"),
    "SourceFile": ("dsl._source", "SourceFile"),
    "Span": ("dsl._source", "Span"),
    "gc_paused": ("dsl._source", "gc_paused"),
    "did_you_mean": ("dsl._suggest", "did_you_mean"),
    "kept_file_command": ("dsl._kept", "kept_file_command"),
    "ListOf": ("dsl._types", "ListOf"),
    "OneOf": ("dsl._types", "OneOf"),
    "Scalar": ("dsl._types", "Scalar"),
    "Type": ("dsl._types", "Type"),
    "TypeSyntaxError": ("dsl._types", "TypeSyntaxError"),
    "parse_type": ("dsl._types", "parse_type"),
    "CALENDAR_PRESETS": ("dsl._calendars", "PRESETS"),
    "time_zones": ("dsl._calendars", "time_zones"),
    "Definition": ("dsl._symbols", "Definition"),
    "Reference": ("dsl._symbols", "Reference"),
    "Symbols": ("dsl._symbols", "Symbols"),
    "STEP_KINDS": ("dsl._symbols", "STEP_KINDS"),
    "step_kind": ("dsl._symbols", "step_kind"),
    "symbols": ("dsl._symbols", "symbols"),
    "Expected": ("dsl._complete", "Expected"),
    "expected_at": ("dsl._complete", "expected_at"),
    "Fix": ("dsl._fixes", "Fix"),
    "suggested_fix": ("dsl._fixes", "suggested_fix"),
}
"""Each public name: its module and the name there ("" for the module itself)."""


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'dsl' has no attribute {name!r}") from None
    loaded = importlib.import_module(module)
    value = getattr(loaded, attribute) if attribute else loaded
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "APPROVAL_FIELDS",
    "CALENDAR_PRESETS",
    "CODES",
    "FUNCTIONS",
    "STEP_KINDS",
    "WORK_FIELDS",
    "Absence",
    "ActionSignature",
    "Arrow",
    "Catalogue",
    "CheckedProcess",
    "CheckedScenarios",
    "Definition",
    "Diagnostic",
    "Directory",
    "DirectoryError",
    "Expected",
    "FieldSpec",
    "Fix",
    "FormatError",
    "ListOf",
    "OneOf",
    "Person",
    "Plan",
    "ProcessGraph",
    "Reference",
    "Scalar",
    "Scene",
    "Severity",
    "Shape",
    "SourceFile",
    "Span",
    "Symbols",
    "Type",
    "TypeSyntaxError",
    "ast",
    "build_graph",
    "check_file",
    "check_scenario_file",
    "check_scenario_source",
    "check_source",
    "chosen_texts",
    "declared_type",
    "did_you_mean",
    "directory_for",
    "draw_scene",
    "expected_at",
    "format_source",
    "gc_paused",
    "has_errors",
    "iter_steps",
    "iter_tasks",
    "kept_file_command",
    "load_directory",
    "parse_directory",
    "parse_type",
    "pin_calendar",
    "plan",
    "process_graph",
    "render_all",
    "resolve_calendar",
    "scenario_ast",
    "step_kind",
    "suggested_fix",
    "symbols",
    "time_zones",
    "to_dot",
    "to_mermaid",
    "to_svg",
    "years_to_pin",
]
