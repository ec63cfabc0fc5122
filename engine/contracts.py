"""What the engine and the workers agree on.

Workers import this module (and :mod:`engine.errors`), nothing else of the
engine: the shape of a task request as the interpreter sends it, the
idempotency key rule, and the shape of action signatures as the checker
reads them.
"""

from __future__ import annotations

from dsl import ActionSignature, Directory, DirectoryError, FieldSpec, Person, load_directory
from engine.workflow.campaign import SECRET_MARKER, JsonValue, TaskRequest, idempotency_key
from engine.workflow.facts import NoticeFact, NoticeKind
from engine.workflow.provenance import Trust, register_trust

__all__ = [
    "SECRET_MARKER",
    "ActionSignature",
    "Directory",
    "DirectoryError",
    "FieldSpec",
    "JsonValue",
    "NoticeFact",
    "NoticeKind",
    "Person",
    "TaskRequest",
    "Trust",
    "idempotency_key",
    "load_directory",
    "register_trust",
]
