"""Who acted, proven: the seal every start, decision and signal carries, and its check.

Whoever starts a campaign, decides on a step, pushes a team directory, pauses,
resumes or cancels it, or sends it an event signs what they send with an Ed25519
key. The seal travels as the last argument of the start, update or signal; the
signed message covers the kind of message, the campaign, the exact payload (its
canonical JSON's SHA-256), for a start the content hash of its IR, who the
principal is and how they authenticated, when, and a single-use id. The campaign
checks the seal before anything happens, against the public keys of its worker's
trust file (:class:`Trust`), which say which key may sign what.

Everything here is pure: the campaign runs it inside the workflow sandbox, and
``mops audit verify`` runs it again offline on an export.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fnmatch
import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

SignedKind = Literal[
    "start", "schedule", "act", "pause", "resume", "cancelling", "team", "event", "refused"
]
"""What a signed message is: the start, the start a schedule makes (``schedule``: bound
to the schedule, not to one campaign), a decision (``act``), or a signal."""

Right = Literal["start", "decide", "assert", "operate", "team", "events"]
"""What a key may sign: start campaigns; decide for people it authenticated (the app);
assert a person's decision as an operator (``--as``); pause, resume and cancel;
push a team directory; send events."""

Method = Literal["operator_key", "web_login", "sso", "api_token", "integration_key", "email_link"]
"""How the principal was authenticated by whoever signed (``email_link``: the people's
app, by a signed single-use link it mailed to the person, confirmed on its page)."""

PrincipalKind = Literal["person", "operator", "integration"]

FRESH_FOR = dt.timedelta(minutes=10)
"""By default, how old (or how far ahead of the campaign's clock) a signed decision or
signal may be."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Seal(_Model):
    """The signature a sender attaches to what it sends, and what it vouches for."""

    principal: str
    """Who acts: a person's id, an operator's user name or an integration's name."""
    kind: PrincipalKind
    method: Method
    asserted_by: str | None = None
    """For a person's decision asserted by an operator (``mops approve --as``): the operator."""
    key_id: str
    signed_at: dt.datetime
    nonce: str
    """A single-use id: the update id of a decision, a fresh random id otherwise."""
    digest: str
    """SHA-256 of the payload's exact bytes (as it travels, JSON)."""
    ir_hash: str | None = None
    """For a start: SHA-256 of the canonical JSON of the IR it runs."""
    signature: str
    """Ed25519 over :func:`message`, base64."""


class TrustedKey(_Model):
    """One public key of the trust file, and what it may sign."""

    holder: str
    """``operator:olga``, ``app:people``, ``integration:crm``: who holds the private key."""
    public: str
    """The raw 32-byte Ed25519 public key, base64."""
    may: tuple[Right, ...]
    methods: tuple[Method, ...] = ("operator_key",)
    events: tuple[str, ...] = ("*",)
    """For ``events``: the event names it may send (``lead.*`` patterns)."""
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    """A rotated or revoked key signs nothing after this; what it signed before stays valid."""


class Trust(_Model):
    """The public keys a campaign accepts seals from, by key id."""

    keys: dict[str, TrustedKey] = Field(default_factory=dict)
    fresh_for: dt.timedelta | None = FRESH_FOR
    """How far a decision's or signal's signing time may be from the campaign's clock;
    None: not checked (a time-skipping test server, whose clock runs ahead)."""


class Verified(_Model):
    """A seal that checked out: who acted, how they authenticated, with which key."""

    principal: str
    kind: PrincipalKind
    method: Method
    asserted_by: str | None = None
    key_id: str
    holder: str
    schedule: str | None = None
    """For a campaign a schedule started: the schedule (the principal created it)."""


class Refused(Exception):
    """A seal that does not check out, and why (in words for the person who sent it)."""


def canonical(value: Any) -> bytes:
    """The canonical JSON of a JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(data: bytes) -> str:
    """SHA-256 of a payload's exact bytes, hex: what a seal covers."""
    return hashlib.sha256(data).hexdigest()


def key_id(public: bytes) -> str:
    """The id of a public key: ``k-`` and the first 16 hex digits of its SHA-256."""
    return "k-" + hashlib.sha256(public).hexdigest()[:16]


def message(what: SignedKind, campaign: str, seal: Seal) -> bytes:
    """The bytes a seal's signature covers."""
    fields = seal.model_dump(mode="json", exclude={"signature"})
    return canonical({"mops": 1, "what": what, "campaign": campaign, **fields})


def right_for(what: SignedKind, seal: Seal) -> Right:
    """The right a key needs to sign ``what`` with this seal."""
    match what:
        case "start" | "schedule":
            return "start"
        case "act" | "refused":
            return "assert" if seal.asserted_by is not None else "decide"
        case "pause" | "resume" | "cancelling":
            return "operate"
        case "team":
            return "team"
        case "event":
            return "events"


def check(
    trust: Trust,
    what: SignedKind,
    campaign: str,
    payload: bytes,
    seal: Seal,
    *,
    now: dt.datetime | None = None,
    nonce: str | None = None,
    event: str | None = None,
) -> Verified:
    """Check ``seal`` on ``payload`` (its exact bytes) sent to ``campaign``.

    Args:
        now: the campaign's clock, for a decision's freshness (None: not checked).
        nonce: the single-use id the seal must name (a decision's update id).
        event: for an event, its name (the key may be limited to some).

    Raises:
        Refused: with the reason, when anything does not match.
    """
    key = trust.keys.get(seal.key_id)
    if key is None:
        raise Refused(f"signed with a key this campaign does not trust ({seal.key_id})")
    if (key.valid_from and seal.signed_at < key.valid_from) or (
        key.valid_until and seal.signed_at >= key.valid_until
    ):
        raise Refused(f"key {seal.key_id} ({key.holder}) was not valid when it signed")
    right = right_for(what, seal)
    if right not in key.may:
        raise Refused(f"key {seal.key_id} ({key.holder}) may not {_RIGHT_WORDS[right]}")
    if seal.method not in key.methods:
        raise Refused(f"key {seal.key_id} ({key.holder}) does not sign for {seal.method}")
    _check_principal(key, seal, right)
    if event is not None and not any(fnmatch.fnmatchcase(event, p) for p in key.events):
        raise Refused(f"key {seal.key_id} ({key.holder}) may not send the event {event}")
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public, validate=True))
        public.verify(
            base64.b64decode(seal.signature, validate=True), message(what, campaign, seal)
        )
    except (InvalidSignature, ValueError):
        raise Refused("the signature does not match what was sent") from None
    if seal.digest != digest(payload):
        raise Refused("the signature is for another payload")
    if nonce is not None and seal.nonce != nonce:
        raise Refused("the signature was made for another request (replayed?)")
    if (
        now is not None
        and trust.fresh_for is not None
        and abs(now - seal.signed_at) > trust.fresh_for
    ):
        raise Refused(f"signed at {seal.signed_at.isoformat()}: too long ago, sign it again")
    return Verified(
        principal=seal.principal,
        kind=seal.kind,
        method=seal.method,
        asserted_by=seal.asserted_by,
        key_id=seal.key_id,
        holder=key.holder,
    )


def _check_principal(key: TrustedKey, seal: Seal, right: Right) -> None:
    """Operators and integrations sign as themselves; a person acts only through a front
    door that authenticated them (an ``app:`` key), or asserted by an operator (``--as``),
    which is recorded as the operator's assertion, never as the person's own act."""
    holder_kind = key.holder.partition(":")[0]
    if seal.asserted_by is not None:
        if right != "assert" or seal.kind != "person":
            raise Refused("only a person's decision can be asserted by an operator")
        if key.holder != f"operator:{seal.asserted_by}":
            raise Refused(f"asserted by {seal.asserted_by}, but key {seal.key_id} is {key.holder}")
        return
    if seal.kind == "person":
        if holder_kind != "app":
            raise Refused(f"key {seal.key_id} ({key.holder}) cannot sign for a person")
        return
    if key.holder != f"{seal.kind}:{seal.principal}":
        raise Refused(f"{seal.kind} {seal.principal} is not who key {seal.key_id} belongs to")


_RIGHT_WORDS: Mapping[Right, str] = {
    "start": "start campaigns",
    "decide": "sign decisions for the people it signs in",
    "assert": "assert a person's decision",
    "operate": "pause, resume or cancel campaigns",
    "team": "push a team directory",
    "events": "send events",
}


def ir_hash(start: bytes) -> str:
    """The content hash of the IR a start carries: SHA-256 of its canonical JSON (numbers
    kept as written, so any payload can be hashed).

    Raises:
        ValueError: the start is not JSON with a process.
    """
    sent = json.loads(start, parse_int=str, parse_float=str)
    if not isinstance(sent, dict) or "process" not in sent:
        raise ValueError("no process")
    return hashlib.sha256(canonical(sent["process"])).hexdigest()


# ---- the trust of each worker ------------------------------------------------------------

_TRUST: dict[str | None, Trust] = {}


def register_trust(task_queue: str | None, trust: Trust) -> None:
    """A worker says which keys the campaigns on its task queue trust (outside the sandbox,
    before it polls); ``None``: any task queue this process names no trust for (a replay
    of a recorded history, say). Campaigns read it through :func:`trust_for`."""
    _TRUST[task_queue] = trust


@contextlib.contextmanager
def trusting(task_queue: str | None, trust: Trust) -> Iterator[None]:
    """:func:`register_trust` for a while: what was registered before comes back after
    (a replay inside a longer-lived process, say, a benchmark run by the test suite)."""
    before = _TRUST.get(task_queue)
    register_trust(task_queue, trust)
    try:
        yield
    finally:
        if before is None:
            del _TRUST[task_queue]
        else:
            _TRUST[task_queue] = before


def trust_for(task_queue: str) -> Trust:
    """The keys the campaigns of ``task_queue`` trust: none if nobody named any."""
    return _TRUST.get(task_queue) or _TRUST.get(None) or Trust()
