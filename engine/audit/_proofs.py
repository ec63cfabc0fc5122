"""Checking the seals of an export again, offline, years later.

Every signed fact of an export carries its proof: the seal and the exact payload
it covers. With the public keys of the trust file the campaign's workers used,
anyone can check that each seal is genuine, that it covers that payload, and
that the record names the person the seal proves acted (so editing a fact's
actor, even with the hash chain recomputed, is found).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from engine.audit._export import Record
from engine.workflow.provenance import Refused, Seal, SignedKind, Trust, check


@dataclass(frozen=True)
class BadProof:
    """The first record whose seal does not prove what it says."""

    seq: int
    message: str


_KINDS: frozenset[str] = frozenset(
    ("start", "schedule", "act", "pause", "resume", "cancelling", "team", "event", "refused")
)


def check_proofs(records: Iterable[Record], trust: Trust) -> tuple[int, BadProof | None]:
    """How many records carry a proof, and the first that does not check out (or None)."""
    checked = 0
    for record in records:
        raw = record.get("proof") or ""
        if not raw:
            continue
        checked += 1
        problem = _problem(record, str(raw), trust)
        if problem is not None:
            return checked, BadProof(int(record["seq"]), problem)
    return checked, None


def _problem(record: Record, raw: str, trust: Trust) -> str | None:
    try:
        proof = json.loads(raw)
        seal = Seal.model_validate(proof["seal"])
        payload = base64.b64decode(proof["payload"], validate=True)
        what = str(proof["what"])
        bound = str(proof.get("bound") or record["campaign"])
    except (ValueError, KeyError, TypeError, ValidationError, binascii.Error):
        return "its proof cannot be read"
    if what not in _KINDS:
        return f"its proof is for an unknown kind of message ({what})"
    kind: SignedKind = what  # type: ignore[assignment]
    try:
        check(trust, kind, bound, payload, seal)
    except Refused as why:
        return f"its seal does not check out: {why}"
    if record["actor"] != seal.principal:
        return f"it names {record['actor']} as the actor, but the seal is {seal.principal}'s"
    return None
