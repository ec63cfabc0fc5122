"""Exports of timelines as JSON Lines or CSV, every record hash-chained to the one before.

Each record carries its sequence number (from 1), the hash of the record before
it (64 zeros for the first) and its own hash: SHA-256 of the record's canonical
form (its fields but ``hash``, as JSON with sorted keys, no spaces, UTF-8).
Editing a record breaks its hash; removing, inserting or reordering records
breaks the sequence numbers and the links, so :func:`verify` can say which
record was touched and how. The chain head (the last hash) is printed when the
export is written; checking against it also catches records cut off the end.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.audit._model import Proof, Timeline

GENESIS = "0" * 64
FIELDS = (
    "seq",
    "prev",
    "campaign",
    "process",
    "version",
    "run",
    "at",
    "actor",
    "actor_kind",
    "via",
    "step",
    "title",
    "source",
    "what",
    "text",
    "comment",
    "details",
    "proof",
    "hash",
)
"""The columns of a CSV export, and the keys of each JSON Lines record, in this order."""
BEFORE_PROOFS = tuple(field for field in FIELDS if field != "proof")
"""The columns of an export written before facts carried their seals."""

Record = dict[str, Any]


def canonical(record: Record) -> bytes:
    """The bytes a record's hash is taken over: every field but ``hash``."""
    body = {key: value for key, value in record.items() if key != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(record: Record) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


def records(
    timelines: Iterable[Timeline], *, scrub: Callable[[str], str] | None = None
) -> list[Record]:
    """The chained records of every entry of every timeline, in order.

    ``scrub`` is applied to every text field before the record is chained (the CLI
    passes the worker's redaction, so a secret never reaches an export file).
    """
    chained: list[Record] = []
    previous = GENESIS
    for timeline in timelines:
        for entry in timeline.entries:
            record: Record = {
                "seq": len(chained) + 1,
                "prev": previous,
                "campaign": timeline.campaign,
                "process": timeline.process,
                "version": timeline.version,
                "run": str(entry.run),
                "at": entry.at.isoformat().replace("+00:00", "Z"),
                "actor": entry.actor,
                "actor_kind": entry.actor_kind,
                "via": entry.via,
                "step": entry.step,
                "title": entry.title,
                "source": entry.source,
                "what": entry.what,
                "text": entry.text,
                "comment": entry.comment,
                "details": json.dumps(
                    entry.details, sort_keys=True, separators=(",", ":"), ensure_ascii=False
                ),
                "proof": "" if entry.proof is None else _proof(entry.proof),
            }
            if scrub is not None:
                record = {k: scrub(v) if isinstance(v, str) else v for k, v in record.items()}
            record["hash"] = previous = digest(record)
            chained.append(record)
    return chained


def head(chained: Sequence[Record]) -> str:
    """The chain head: the hash of the last record (64 zeros for an empty export)."""
    return str(chained[-1]["hash"]) if chained else GENESIS


def to_jsonl(chained: Sequence[Record]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chained)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP, CSV injection)."""
_ESCAPE = "'"


def _neutral(cell: Any) -> Any:
    """A cell a spreadsheet shows as text: a ``'`` before a formula's first character
    (and before a ``'``, so that reading it back is exact); numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith((*_FORMULA_STARTS, _ESCAPE)):
        return _ESCAPE + cell
    return cell


def _as_written(cell: str) -> str:
    """The text of a cell written by :func:`_neutral`."""
    return cell[1:] if cell.startswith(_ESCAPE) else cell


def to_csv(chained: Sequence[Record]) -> str:
    """CSV with every cell quoted and every text that could be a formula neutralised
    (docs/security.md, "Exports"); :func:`parse` reads the records back exactly."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=FIELDS, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC
    )
    writer.writeheader()
    writer.writerows({k: _neutral(v) for k, v in record.items()} for record in chained)
    return out.getvalue()


@dataclass(frozen=True)
class Finding:
    """The first thing wrong with an export: what kind of change, and where."""

    kind: str
    """edited | removed | inserted | reordered | truncated | unreadable"""
    seq: int
    """The sequence number the finding is about."""
    line: int
    """The line of the file (the first line is 1)."""
    message: str


class Unreadable(ValueError):
    """The file is not an export (not JSON Lines nor CSV of records)."""


def parse(text: str) -> list[tuple[int, Record]]:
    """The records of an export with their line numbers; the format is told by its start.

    Raises:
        Unreadable: a line is not a record.
    """
    if text.lstrip().startswith("{"):
        found: list[tuple[int, Record]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise Unreadable(f"line {number} is not JSON: {error.msg}") from None
            found.append((number, _checked(record, number)))
        return found
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) not in (FIELDS, BEFORE_PROOFS):
        raise Unreadable("neither JSON Lines nor a CSV export (its header is not the expected one)")
    header = tuple(rows[0])
    found = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise Unreadable(f"line {number} has {len(row)} columns, not {len(header)}")
        record = dict(zip(header, (_as_written(cell) for cell in row), strict=True))
        found.append((number, _checked(record, number)))
    return found


def _checked(record: Any, number: int) -> Record:
    if not isinstance(record, dict) or set(record) not in (set(FIELDS), set(BEFORE_PROOFS)):
        raise Unreadable(f"line {number} is not a record of an export")
    try:
        record["seq"] = int(record["seq"])
    except (TypeError, ValueError):
        raise Unreadable(f"line {number}: 'seq' is not a number") from None
    return record


def verify(text: str, *, expected_head: str | None = None) -> tuple[int, str, Finding | None]:
    """Check an export: (records, chain head, the first finding or None when intact).

    Raises:
        Unreadable: the text is not an export.
    """
    found = parse(text)
    seq_of_hash = {str(r["hash"]): r["seq"] for _, r in found}
    accepted: list[tuple[int, str, int]] = [(0, GENESIS, 0)]
    """(seq, hash, line) of the records that passed, after a stand-in for the start."""
    for index, (line, record) in enumerate(found):
        seq, link = record["seq"], record["prev"]
        last_seq, last_hash, last_line = accepted[-1]
        intact = digest(record) == record["hash"]
        if intact and link == last_hash and seq == last_seq + 1:
            accepted.append((seq, record["hash"], line))
            continue
        finding = _diagnose(found[index + 1 :], record, line, intact, accepted, seq_of_hash)
        return len(found), "", finding
    chain_head = accepted[-1][1]
    if expected_head is not None and expected_head != chain_head:
        last_seq, _, last_line = accepted[-1]
        return (
            len(found),
            chain_head,
            Finding(
                "truncated",
                last_seq + 1,
                last_line + 1,
                f"the chain ends at record {last_seq}, not at the expected head: "
                "records were removed from the end (or this is another export)",
            ),
        )
    return len(found), chain_head, None


def _diagnose(
    rest: list[tuple[int, Record]],
    record: Record,
    line: int,
    intact: bool,
    accepted: list[tuple[int, str, int]],
    seq_of_hash: dict[str, int],
) -> Finding:
    """What happened, given the first record that does not follow on from the chain."""
    seq, link = record["seq"], record["prev"]
    last_seq, last_hash, last_line = accepted[-1]
    linked = link == last_hash
    if len(accepted) > 1 and link == accepted[-2][1]:
        # This record follows the one before the last: the last one does not belong.
        return Finding("inserted", last_seq, last_line, f"record at line {last_line} was inserted")
    genuine_link = (seq == 1 and link == GENESIS) or seq_of_hash.get(link) == seq - 1
    if intact and not linked and genuine_link and seq != last_seq + 1:
        return Finding(
            "reordered",
            seq,
            line,
            f"record {seq} (line {line}) is out of order: it should follow record {seq - 1}, "
            f"not record {last_seq}",
        )
    if rest and rest[0][1]["prev"] == last_hash:
        return Finding("inserted", seq, line, f"record at line {line} was inserted")
    if not intact and linked and seq == last_seq + 1:
        return Finding("edited", seq, line, f"record {seq} (line {line}) was edited")
    if intact and not linked and seq == last_seq + 1 and last_seq > 0:
        return Finding(
            "edited",
            last_seq,
            last_line,
            f"record {last_seq} (line {last_line}) was edited (and its hash recomputed: "
            f"record {seq} still links to the original)",
        )
    if seq > last_seq + 1:
        gone = (
            f"record {last_seq + 1} was"
            if seq == last_seq + 2
            else f"records {last_seq + 1} to {seq - 1} were"
        )
        return Finding("removed", last_seq + 1, line, f"{gone} removed (before line {line})")
    if not intact:
        return Finding("edited", seq, line, f"record {seq} (line {line}) was edited")
    return Finding("inserted", seq, line, f"record at line {line} was inserted")


def _proof(proof: Proof) -> str:
    """A proof as its JSON; ``bound`` only where it is set (as exports had it before)."""
    return proof.model_dump_json(exclude=None if proof.bound else {"bound"})
