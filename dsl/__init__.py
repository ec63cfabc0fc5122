"""The MOps Flow process language: parse, check and describe ``.mops`` files.

This package depends on nothing else of ours. The engine compiles what it
returns; the worker registry supplies the :class:`Catalogue` of actions.
"""

from dsl import _ast as ast
from dsl import _scenario_ast as scenario_ast
from dsl._api import CheckedProcess, check_file, check_source
from dsl._calendar_defs import resolve_calendar
from dsl._calendars import pin as pin_calendar
from dsl._calendars import years_to_pin
from dsl._check import APPROVAL_FIELDS, WORK_FIELDS, iter_tasks
from dsl._check_expr import declared_type
from dsl._diagnostics import CODES, Diagnostic, Severity, has_errors, render_all
from dsl._directory import (
    Absence,
    Directory,
    DirectoryError,
    Person,
    directory_for,
    load_directory,
    parse_directory,
)
from dsl._format import FormatError, format_source
from dsl._functions import FUNCTIONS
from dsl._graph import build_graph
from dsl._plan import Plan, plan
from dsl._render import to_dot, to_mermaid, to_svg
from dsl._render_svg import draw as draw_scene
from dsl._scenario_api import CheckedScenarios, check_scenario_file, check_scenario_source
from dsl._scene import Arrow, Scene, Shape
from dsl._signatures import ActionSignature, Catalogue, FieldSpec
from dsl._source import SourceFile, Span, gc_paused
from dsl._suggest import did_you_mean
from dsl._types import ListOf, OneOf, Scalar, Type, TypeSyntaxError, parse_type

__all__ = [
    "APPROVAL_FIELDS",
    "CODES",
    "FUNCTIONS",
    "WORK_FIELDS",
    "Absence",
    "ActionSignature",
    "Arrow",
    "Catalogue",
    "CheckedProcess",
    "CheckedScenarios",
    "Diagnostic",
    "Directory",
    "DirectoryError",
    "FieldSpec",
    "FormatError",
    "ListOf",
    "OneOf",
    "Person",
    "Plan",
    "Scalar",
    "Scene",
    "Severity",
    "Shape",
    "SourceFile",
    "Span",
    "Type",
    "TypeSyntaxError",
    "ast",
    "build_graph",
    "check_file",
    "check_scenario_file",
    "check_scenario_source",
    "check_source",
    "declared_type",
    "did_you_mean",
    "directory_for",
    "draw_scene",
    "format_source",
    "gc_paused",
    "has_errors",
    "iter_tasks",
    "load_directory",
    "parse_directory",
    "parse_type",
    "pin_calendar",
    "plan",
    "render_all",
    "resolve_calendar",
    "scenario_ast",
    "to_dot",
    "to_mermaid",
    "to_svg",
    "years_to_pin",
]
