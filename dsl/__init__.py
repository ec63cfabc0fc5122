"""The MOps Flow process language: parse, check and describe ``.mops`` files.

This package depends on nothing else of ours. The engine compiles what it
returns; the worker registry supplies the :class:`Catalogue` of actions.
"""

from dsl import _ast as ast
from dsl import _scenario_ast as scenario_ast
from dsl._api import CheckedProcess, check_file, check_source
from dsl._check import iter_tasks
from dsl._diagnostics import CODES, Diagnostic, Severity, has_errors, render_all
from dsl._directory import (
    Absence,
    Directory,
    DirectoryError,
    Person,
    load_directory,
    parse_directory,
)
from dsl._functions import FUNCTIONS
from dsl._scenario_api import CheckedScenarios, check_scenario_file, check_scenario_source
from dsl._signatures import ActionSignature, Catalogue, FieldSpec
from dsl._source import SourceFile, Span
from dsl._suggest import did_you_mean
from dsl._types import ListOf, OneOf, Scalar, Type, TypeSyntaxError, parse_type

__all__ = [
    "CODES",
    "FUNCTIONS",
    "Absence",
    "ActionSignature",
    "Catalogue",
    "CheckedProcess",
    "CheckedScenarios",
    "Diagnostic",
    "Directory",
    "DirectoryError",
    "FieldSpec",
    "ListOf",
    "OneOf",
    "Person",
    "Scalar",
    "Severity",
    "SourceFile",
    "Span",
    "Type",
    "TypeSyntaxError",
    "ast",
    "check_file",
    "check_scenario_file",
    "check_scenario_source",
    "check_source",
    "did_you_mean",
    "has_errors",
    "iter_tasks",
    "load_directory",
    "parse_directory",
    "parse_type",
    "render_all",
    "scenario_ast",
]
