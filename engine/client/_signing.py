"""Signing what the client sends, and the keys and trust file of an installation.

A :class:`Signer` holds one Ed25519 private key and whom it belongs to; a
:class:`Credentials` says in whose name it signs (an operator acting as
themselves, a person asserted by an operator with ``--as``, a person the web app
signed in, an integration). The campaign checks every seal against its worker's
trust file (:func:`load_trust`); see docs/security.md.

The embedded default makes the local operator's key and a trust file naming it
on first use, in the state directory (both 0600): nothing to configure. A
cluster names its keys with ``MOPS_SIGNING_KEY`` and ``MOPS_TRUST_FILE``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ValidationError
from temporalio.contrib.pydantic import pydantic_data_converter

from engine.errors import UserError
from engine.workflow.provenance import (
    Method,
    PrincipalKind,
    Right,
    Seal,
    SignedKind,
    Trust,
    TrustedKey,
    digest,
    ir_hash,
    key_id,
    message,
)

OPERATOR_RIGHTS: tuple[Right, ...] = ("start", "assert", "operate", "team", "events")
"""What the local operator's key may sign in the one-machine default."""

_CONVERTER = pydantic_data_converter.payload_converter


def payload_bytes(value: BaseModel) -> bytes:
    """The bytes a payload travels as (what its seal covers)."""
    return _CONVERTER.to_payload(value).data


class Signer:
    """A private key and whom it belongs to (``operator:olga``, ``app:people``)."""

    def __init__(self, private: Ed25519PrivateKey, holder: str) -> None:
        self._private = private
        self.holder = holder
        self.public = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = key_id(self.public)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public).decode()

    def sign(
        self,
        what: SignedKind,
        campaign: str,
        payload: bytes,
        credentials: Credentials,
        *,
        nonce: str | None = None,
        start: bool = False,
        at: dt.datetime | None = None,
    ) -> Seal:
        """A seal for ``payload`` (its exact bytes) sent to ``campaign``, made now (or
        ``at``); for a start, it names the content hash of the IR it carries too."""
        unsigned = Seal(
            principal=credentials.principal,
            kind=credentials.kind,
            method=credentials.method,
            asserted_by=credentials.asserted_by,
            key_id=self.key_id,
            signed_at=at or dt.datetime.now(dt.UTC),
            nonce=nonce or secrets.token_hex(16),
            digest=digest(payload),
            ir_hash=ir_hash(payload) if start else None,
            signature="",
        )
        signature = self._private.sign(message(what, campaign, unsigned))
        return unsigned.model_copy(update={"signature": base64.b64encode(signature).decode()})


@dataclass(frozen=True)
class Credentials:
    """In whose name a signer signs: who acts, of what kind, authenticated how."""

    signer: Signer
    principal: str
    kind: PrincipalKind
    method: Method
    asserted_by: str | None = None

    def asserting(self, person: str) -> Credentials:
        """An operator asserting that ``person`` decided (``--as``): never the person's own act."""
        return Credentials(self.signer, person, "person", self.method, asserted_by=self.principal)


def operator(signer: Signer, user: str) -> Credentials:
    """The local operator, signing as themselves with their key."""
    return Credentials(signer, user, "operator", "operator_key")


# ---- keys and trust on disk ------------------------------------------------------------


def signing_key_path(state_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    named = env.get("MOPS_SIGNING_KEY")
    return Path(named).expanduser() if named else state_dir / "keys" / "operator.pem"


def trust_path(state_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    named = env.get("MOPS_TRUST_FILE")
    return Path(named).expanduser() if named else state_dir / "trust.toml"


def load_signer(path: Path, holder: str) -> Signer:
    """The private key in ``path`` (PEM, PKCS#8, unencrypted).

    Raises:
        UserError: the file is missing, unreadable, open to others or not an Ed25519 key.
    """
    try:
        if path.stat().st_mode & 0o077:
            raise UserError(
                f"{path}: the signing key may be read by others",
                hint=f"chmod 600 {path}",
            )
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as error:
        raise UserError(f"{path}: cannot read the signing key ({error.strerror})") from None
    except (ValueError, TypeError) as error:
        raise UserError(f"{path}: not a private key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UserError(f"{path}: not an Ed25519 key")
    return Signer(key, holder)


def new_key_file(path: Path) -> Signer:
    """Make a new Ed25519 key in ``path`` (0600; its folder 0700)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    return Signer(key, "")


def load_trust(path: Path) -> Trust:
    """The trust file: which public keys may sign what.

    Raises:
        UserError: the file cannot be read or is not a trust file.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"{path}: cannot read the trust file ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: not a trust file: {error}") from None
    try:
        return Trust.model_validate(raw)
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise UserError(f"{path}: {where}: {problem['msg']}") from None


def write_trust(path: Path, trust: Trust) -> None:
    """Write the trust file (0600), replacing it atomically."""
    lines = [
        "# Which keys may sign what: starts, decisions, operator actions, team pushes, events.",
        "# Never delete a key that signed something campaigns still hold: set valid_until.",
        "# docs/security.md explains every field.",
    ]
    for name, key in sorted(trust.keys.items()):
        lines += ["", f'[keys."{name}"]']
        for field, value in key.model_dump(mode="json", exclude_none=True).items():
            lines.append(f"{field} = {json.dumps(value)}")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    partial.replace(path)


def local_operator(state_dir: Path, user: str) -> Signer:
    """The local operator's signer: made on first use, with a trust file naming its key.

    With ``MOPS_SIGNING_KEY`` set, that key is used as it is and no trust file is
    written: a cluster's trust file is the operator's to keep. Several commands may
    start at once on a fresh machine (a batch of ``mops run``, a worker): one makes
    the key and the trust file, under a lock, and the others use them.
    """
    path = signing_key_path(state_dir)
    holder = f"operator:{user}"
    if os.environ.get("MOPS_SIGNING_KEY"):
        return load_signer(path, holder)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _locked(path.parent / ".lock"):
            if not path.exists():
                _make_local_key(path, state_dir, holder)
    return load_signer(path, holder)


def _make_local_key(path: Path, state_dir: Path, holder: str) -> None:
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)  # left by a command killed half-way
    signer = new_key_file(fresh)
    trusted = trust_path(state_dir)
    trust = load_trust(trusted) if trusted.exists() else Trust()
    keys = dict(trust.keys)
    keys[signer.key_id] = TrustedKey(
        holder=holder,
        public=signer.public_b64,
        may=OPERATOR_RIGHTS,
        valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
    )
    write_trust(trusted, Trust(keys=keys))
    # The key appears last: whoever sees it sees the trust file that names it.
    fresh.replace(path)


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[None]:
    descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def local_trust(state_dir: Path) -> Trust:
    """The trust file the workers of this installation use (none yet: nothing is trusted)."""
    path = trust_path(state_dir)
    if not path.exists():
        return Trust()
    return load_trust(path)
