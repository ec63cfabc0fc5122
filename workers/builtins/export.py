"""``export.csv`` and ``export.json``: write records to a file in the worker's export folder.

Both are idempotent by construction. The file is ``<export_dir>/<name>.csv`` (or
``.json``; not doubled when ``name`` already ends with it): nothing random, nothing
from the attempt. A retry, or a replay after a
crash, with the same arguments writes the same bytes to the same file; readers
never see a half-written file, because the content goes to a temporary file in
the same folder, is flushed to disk, and then replaces the file in one step
(``os.replace``). Two steps exporting under the same name write the same file:
the later one wins, so put what tells them apart (campaign, date) in the name.

What the files are safe from:

* **Formula injection**: a spreadsheet runs a cell that starts with ``=``,
  ``+``, ``-`` or ``@`` (``=HYPERLINK(...)`` sends data away when clicked), and
  some also one starting with a tab or a carriage return. As OWASP recommends,
  such a text cell (and such a column name) is written with a ``'`` in front,
  and every cell is quoted, so that a ``;`` or ``,`` inside a cell never
  starts a new one in a spreadsheet that splits on it. Numbers are written as
  numbers: ``-5`` stays ``-5``.
* **Other users**: files are written with mode 0600 (``MOPS_EXPORT_MODE``), the
  folder, when created, with the matching ``x`` bits (0700).
* **Secrets**: an export that holds any form of any secret the worker has is not
  written; the step fails for good, naming the secret, never its value.
"""

from __future__ import annotations

import asyncio
import csv
import errno
import hashlib
import io
import json
import os
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from workers._action import ActionContext, action
from workers._failures import ActionFailed
from workers._redact import holds_secret
from workers._secrets import SecretMissing

__all__ = ["CsvParams", "ExportParams", "ExportResult", "to_csv", "to_json", "write_atomically"]

_NAME_CHARS = re.compile(r"[A-Za-z0-9_.-]+")  # fullmatch: '$' would allow a final line break
_NAME_LIMIT = 200
# OWASP, "CSV Injection": what a spreadsheet may read as the start of a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _file_stem(name: str) -> str:
    if not name:
        raise ValueError("name must not be empty")
    if len(name) > _NAME_LIMIT:  # first: nothing else reads a long name
        raise ValueError(f"name must be at most {_NAME_LIMIT} characters long")
    if "/" in name or "\\" in name:
        raise ValueError(f"name '{name}' must not contain path separators")
    if ".." in name:
        raise ValueError(f"name '{name}' must not contain '..'")
    if not _NAME_CHARS.fullmatch(name):
        raise ValueError(f"name '{name}' may only contain letters, digits, '_', '.' and '-'")
    if name.startswith("."):
        raise ValueError(f"name '{name}' must not start with '.'")
    return name


def _distinct(columns: list[str]) -> list[str]:
    twice = [c for c in dict.fromkeys(columns) if columns.count(c) > 1]
    if twice:
        raise ValueError(f"columns named more than once: {', '.join(twice)}")
    return columns


class ExportParams(BaseModel):
    """Arguments of ``export.json``."""

    model_config = ConfigDict(extra="forbid")

    records: list[dict[str, Any]] = Field(description="The records to write, in order.")
    name: Annotated[str, AfterValidator(_file_stem)] = Field(
        description="The file name without extension: letters, digits, '_', '.' and '-'."
    )


class CsvParams(ExportParams):
    """Arguments of ``export.csv``."""

    columns: Annotated[list[str], Field(min_length=1), AfterValidator(_distinct)] | None = Field(
        default=None,
        description="Which fields to write, in this order; default: every field, first seen first.",
    )


class ExportResult(BaseModel):
    """What ``export.csv`` and ``export.json`` return."""

    path: str = Field(description="The absolute path of the file written.")
    rows: int = Field(description="How many records were written.")
    bytes: int = Field(description="The size of the file in bytes.")
    sha256: str = Field(description="The SHA-256 of the file's content, in hex.")


def to_csv(records: list[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    """``records`` as UTF-8 CSV with a header row, every cell quoted (RFC 4180).

    Text is written as is, except that a text starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a ``'`` in front (so does such
    a column name); null is an empty cell, anything else (numbers, true and
    false, lists, records) its JSON text.

    Args:
        records: The rows.
        columns: Fields to write, in order; default: every field, first seen first.
    """
    if columns is None:
        columns = list(dict.fromkeys(key for record in records for key in record))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    if columns:
        writer.writerow([_neutralised(column) for column in columns])
    for record in records:
        writer.writerow([_cell(record.get(column)) for column in columns])
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _neutralised(value)
    return json.dumps(value, ensure_ascii=False)


def _neutralised(text: str) -> str:
    """``text`` as a spreadsheet shows it but never runs it."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_json(records: list[dict[str, Any]]) -> bytes:
    """``records`` as a UTF-8 JSON array indented by 2, fields in their given order."""
    return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_atomically(path: Path, content: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``content`` so that no reader ever sees a partial file.

    Creates the parent folder (with ``mode``'s read bits made searchable). The
    temporary file lives beside ``path`` (so the final rename stays on one file
    system) and is removed if anything fails.

    Args:
        path: The file to write.
        content: Its new content.
        mode: The file's permissions, exactly: the umask does not widen or narrow them.

    Raises:
        OSError: the folder or file cannot be written.
    """
    folder_mode = mode | (mode & 0o444) >> 2
    path.parent.mkdir(mode=folder_mode, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    # Created private, then set to the mode asked for: no moment in which the
    # umask's wider default lets another user open the file.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        if os.name == "posix":
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)  # one rename (os.replace): atomic on POSIX
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if os.name == "posix":  # make the rename itself survive a power cut
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


async def _export(
    ctx: ActionContext, name: str, extension: str, content: bytes, rows: int
) -> ExportResult:
    filename = name if name.endswith(extension) else name + extension
    path = ctx.config.export_dir.absolute() / filename
    try:
        await asyncio.to_thread(write_atomically, path, content, mode=ctx.config.export_mode)
    except OSError as error:
        raise _write_failure(error, path) from None
    ctx.logger.info("exported %d record(s) to %s", rows, path, extra={"path": str(path)})
    return ExportResult(
        path=str(path), rows=rows, bytes=len(content), sha256=hashlib.sha256(content).hexdigest()
    )


def _refuse_secrets(ctx: ActionContext, records: list[dict[str, Any]], columns: Any) -> None:
    """Fail for good when the records hold a form of any secret the worker has.

    Every secret, not only those the step named: a value may reach the records
    by another way (an API that answered with it, a mistyped input). The records
    are read before they are written: CSV doubles quotes, which no form expects.
    """
    data = [records, columns]
    held = dict.fromkeys(ctx.secret_names)
    for name in ctx.secrets.names():
        held.setdefault(name)
    for name in held:
        try:
            value = ctx.secret_names.get(name) or ctx.secrets.get(name)
        except SecretMissing:
            continue
        if holds_secret(data, [value]):
            raise ActionFailed(
                f"the records hold the secret '{name}' (as written or encoded); "
                "a secret is never written to an export file",
                retryable=False,
            )
    # A value the step was handed as plain text to keep secret (e.g. a bearer token).
    if holds_secret(data, ctx.used_secrets):
        raise ActionFailed(
            "the records hold a secret value (as written or encoded); "
            "a secret is never written to an export file",
            retryable=False,
        )


def _write_failure(error: OSError, path: Path) -> ActionFailed:
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOTDIR, errno.EEXIST):
        return ActionFailed(f"export folder {path.parent} is not a folder", retryable=False)
    if error.errno == errno.EISDIR:
        return ActionFailed(f"cannot write {path}: it is a folder", retryable=False)
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ActionFailed(
            f"export folder {path.parent} is not writable: {reason}", retryable=False
        )
    # Full disk, I/O error, ...: may pass.
    return ActionFailed(f"cannot write {path}: {reason}", retryable=True)


@action(
    "export.csv",
    description="Write records to a CSV file in the export folder",
    timeout=timedelta(minutes=5),
)
async def export_csv(params: CsvParams, ctx: ActionContext) -> ExportResult:
    """Write ``records`` as CSV to ``<export_dir>/<name>.csv``, replacing it whole."""
    _refuse_secrets(ctx, params.records, params.columns)
    content = to_csv(params.records, params.columns)
    return await _export(ctx, params.name, ".csv", content, len(params.records))


@action(
    "export.json",
    description="Write records to a JSON file in the export folder",
    timeout=timedelta(minutes=5),
)
async def export_json(params: ExportParams, ctx: ActionContext) -> ExportResult:
    """Write ``records`` as a JSON array to ``<export_dir>/<name>.json``, replacing it whole."""
    _refuse_secrets(ctx, params.records, None)
    content = to_json(params.records)
    return await _export(ctx, params.name, ".json", content, len(params.records))
