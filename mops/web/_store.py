"""What the people's app keeps: accounts, tokens, sessions, its security log, the
decisions it sent, used e-mail links, and the processes and campaign starts it read.

One SQLite file in the state folder (``web.sqlite``, 0600). Nothing here is the
system of record for a campaign: that is its Temporal history. The app keeps what
lets it answer an inbox and a task page without reading histories, and what only
it knows (who signed in, what it refused before anything reached a campaign).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    person TEXT PRIMARY KEY, hash TEXT NOT NULL, rights TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL, changed TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    created TEXT NOT NULL, last_used TEXT, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS integrations (
    name TEXT PRIMARY KEY, secret TEXT NOT NULL, scheme TEXT NOT NULL, events TEXT NOT NULL,
    created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, person TEXT NOT NULL, method TEXT NOT NULL, csrf TEXT NOT NULL,
    expires TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS security_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL,
    person TEXT NOT NULL, address TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    update_id TEXT PRIMARY KEY, campaign TEXT NOT NULL, step TEXT NOT NULL, round INTEGER,
    person TEXT NOT NULL, action TEXT NOT NULL, comment TEXT NOT NULL, outputs TEXT NOT NULL,
    method TEXT NOT NULL, state TEXT NOT NULL, answer TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_campaign ON decisions (campaign, at);
CREATE TABLE IF NOT EXISTS used_links (nonce TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS processes (version TEXT PRIMARY KEY, ir TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS starts (
    campaign TEXT PRIMARY KEY, version TEXT NOT NULL, inputs TEXT NOT NULL,
    started_by TEXT NOT NULL);
"""


_LAST_USED = dt.timedelta(minutes=1)
"""How often a token's ``last_used`` is written at most."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def token_digest(token: str) -> str:
    """Tokens are kept as their SHA-256 only: the store never holds one that works."""
    return hashlib.sha256(token.encode()).hexdigest()


class Account(BaseModel):
    model_config = ConfigDict(frozen=True)

    person: str
    hash: str
    rights: tuple[str, ...]
    created: dt.datetime
    changed: dt.datetime


class Session(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    person: str
    method: str
    csrf: str
    expires: dt.datetime


class TokenOwner(BaseModel):
    model_config = ConfigDict(frozen=True)

    owner: str
    kind: str
    """``personal`` (a person) or ``integration``."""
    name: str


class Integration(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    secret: str
    scheme: str
    """``standard-webhooks`` or ``hmac-sha256``."""
    events: tuple[str, ...]


class SentDecision(BaseModel):
    """A decision the app sent, and what became of it."""

    model_config = ConfigDict(frozen=True)

    update_id: str
    campaign: str
    step: str
    round: int | None
    person: str
    action: str
    comment: str
    outputs: dict[str, Any]
    method: str
    state: str
    """``pending`` (sent, not yet confirmed), ``confirmed``, ``refused`` or ``lost``."""
    answer: str
    at: dt.datetime


class LogEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    at: dt.datetime
    kind: str
    person: str
    address: str
    detail: str


class Store:
    """The app's SQLite file; safe to share between the app's threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _all(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def close(self) -> None:
        self._db.close()

    # ---- accounts ------------------------------------------------------------------------

    def set_account(self, person: str, hash_: str, rights: tuple[str, ...] | None = None) -> None:
        stamp = now().isoformat()
        with self._tx() as db:
            found = db.execute("SELECT rights FROM accounts WHERE person=?", (person,)).fetchone()
            kept = found[0] if found else ""
            given = kept if rights is None else " ".join(rights)
            db.execute(
                "INSERT INTO accounts VALUES (?, ?, ?, ?, ?) ON CONFLICT(person) DO UPDATE "
                "SET hash=excluded.hash, rights=excluded.rights, changed=excluded.changed",
                (person, hash_, given, stamp, stamp),
            )
            # A new password ends every session of the account.
            db.execute("DELETE FROM sessions WHERE person=? AND method='web_login'", (person,))

    def account(self, person: str) -> Account | None:
        rows = self._all("SELECT * FROM accounts WHERE person=?", person)
        return _account(rows[0]) if rows else None

    def accounts(self) -> list[Account]:
        return [_account(r) for r in self._all("SELECT * FROM accounts ORDER BY person")]

    # ---- sessions ------------------------------------------------------------------------

    def add_session(self, session: Session) -> None:
        with self._tx() as db:
            # Times are kept as ISO 8601 text, compared as text; rows written before
            # that have a space for the 'T' (sqlite3's old datetime adapter), which
            # sorts before any 'T' of the same day: compared as if written with one.
            db.execute(
                "DELETE FROM sessions WHERE replace(expires, ' ', 'T') < ?", (now().isoformat(),)
            )
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                (
                    session.id,
                    session.person,
                    session.method,
                    session.csrf,
                    session.expires.isoformat(),
                ),
            )

    def session(self, session_id: str) -> Session | None:
        rows = self._all("SELECT * FROM sessions WHERE id=?", session_id)
        if not rows:
            return None
        found = Session(
            id=rows[0][0],
            person=rows[0][1],
            method=rows[0][2],
            csrf=rows[0][3],
            expires=dt.datetime.fromisoformat(rows[0][4]),
        )
        return found if found.expires > now() else None

    def end_session(self, session_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE id=?", (session_id,))

    # ---- tokens and integrations ----------------------------------------------------------

    def add_token(self, token: str, owner: str, kind: str, name: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO tokens (digest, owner, kind, name, created) VALUES (?, ?, ?, ?, ?)",
                (token_digest(token), owner, kind, name, now().isoformat()),
            )

    def token(self, token: str) -> TokenOwner | None:
        digest = token_digest(token)
        rows = self._all(
            "SELECT owner, kind, name, last_used FROM tokens WHERE digest=? AND revoked=0", digest
        )
        if not rows:
            return None
        at = now()
        # To the minute: a script's every call would otherwise be a write (an fsync).
        if rows[0][3] is None or dt.datetime.fromisoformat(rows[0][3]) < at - _LAST_USED:
            with self._tx() as db:
                db.execute("UPDATE tokens SET last_used=? WHERE digest=?", (at.isoformat(), digest))
        return TokenOwner(owner=rows[0][0], kind=rows[0][1], name=rows[0][2])

    def tokens(self, owner: str | None = None) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT owner, kind, name, created, last_used, revoked FROM tokens "
            + ("WHERE owner=? " if owner else "")
            + "ORDER BY created",
            *([owner] if owner else []),
        )
        keys = ("owner", "kind", "name", "created", "last_used", "revoked")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def revoke_tokens(self, owner: str, name: str) -> int:
        with self._tx() as db:
            done = db.execute(
                "UPDATE tokens SET revoked=1 WHERE owner=? AND name=? AND revoked=0", (owner, name)
            )
            return done.rowcount

    def set_integration(self, item: Integration) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO integrations VALUES (?, ?, ?, ?, ?)",
                (item.name, item.secret, item.scheme, " ".join(item.events), now().isoformat()),
            )

    def integration(self, name: str) -> Integration | None:
        rows = self._all("SELECT name, secret, scheme, events FROM integrations WHERE name=?", name)
        if not rows:
            return None
        name_, secret, scheme, events = rows[0]
        return Integration(name=name_, secret=secret, scheme=scheme, events=tuple(events.split()))

    # ---- the security log -----------------------------------------------------------------

    def log(self, kind: str, person: str, address: str, detail: str) -> None:
        """Record a sign-in or a refused attempt (``mops user log``, /audit/security)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO security_log (at, kind, person, address, detail) VALUES (?,?,?,?,?)",
                (now().isoformat(), kind, person, address, detail[:500]),
            )

    def security_log(self, limit: int = 200) -> list[LogEntry]:
        rows = self._all("SELECT * FROM security_log ORDER BY seq DESC LIMIT ?", limit)
        return [
            LogEntry(
                seq=r[0],
                at=dt.datetime.fromisoformat(r[1]),
                kind=r[2],
                person=r[3],
                address=r[4],
                detail=r[5],
            )
            for r in rows
        ]

    # ---- decisions sent ---------------------------------------------------------------------

    def add_decision(self, sent: SentDecision) -> bool:
        """Remember a decision before it is sent; False if this update id is known."""
        with self._tx() as db:
            done = db.execute(
                "INSERT OR IGNORE INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    sent.update_id,
                    sent.campaign,
                    sent.step,
                    sent.round,
                    sent.person,
                    sent.action,
                    sent.comment,
                    json.dumps(sent.outputs),
                    sent.method,
                    sent.state,
                    sent.answer,
                    sent.at.isoformat(),
                ),
            )
            return done.rowcount == 1

    def settle(self, update_id: str, state: str, answer: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE decisions SET state=?, answer=? WHERE update_id=?",
                (state, answer, update_id),
            )

    def decision(self, update_id: str) -> SentDecision | None:
        rows = self._all("SELECT * FROM decisions WHERE update_id=?", update_id)
        return _decision(rows[0]) if rows else None

    def conversation(self, campaign: str) -> list[SentDecision]:
        """Every decision sent to ``campaign`` through the app, oldest first."""
        rows = self._all("SELECT * FROM decisions WHERE campaign=? ORDER BY at", campaign)
        return [_decision(r) for r in rows]

    def acted(self, campaign: str, person: str) -> set[str]:
        """The steps of ``campaign`` on which ``person`` had a decision confirmed."""
        rows = self._all(
            "SELECT DISTINCT step FROM decisions WHERE campaign=? AND person=? "
            "AND state='confirmed' AND action != 'delegate'",
            campaign,
            person,
        )
        return {r[0] for r in rows}

    # ---- e-mail links -------------------------------------------------------------------------

    def use_link(self, nonce: str) -> bool:
        """Mark an e-mail link used; False if it was used before."""
        with self._tx() as db:
            done = db.execute(
                "INSERT OR IGNORE INTO used_links VALUES (?, ?)", (nonce, now().isoformat())
            )
            return done.rowcount == 1

    def link_used(self, nonce: str) -> bool:
        return bool(self._all("SELECT 1 FROM used_links WHERE nonce=?", nonce))

    # ---- processes and starts read once -------------------------------------------------------

    def keep_process(self, version: str, ir_json: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO processes VALUES (?, ?)", (version, ir_json))

    def process(self, version: str) -> str | None:
        rows = self._all("SELECT ir FROM processes WHERE version=?", version)
        return str(rows[0][0]) if rows else None

    def keep_start(self, campaign: str, version: str, inputs: dict[str, Any], by: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO starts VALUES (?, ?, ?, ?)",
                (campaign, version, json.dumps(inputs), by),
            )

    def start(self, campaign: str) -> tuple[str, dict[str, Any], str] | None:
        rows = self._all(
            "SELECT version, inputs, started_by FROM starts WHERE campaign=?", campaign
        )
        if not rows:
            return None
        return rows[0][0], json.loads(rows[0][1]), rows[0][2]


def _account(row: tuple[Any, ...]) -> Account:
    return Account(
        person=row[0],
        hash=row[1],
        rights=tuple(row[2].split()),
        created=dt.datetime.fromisoformat(row[3]),
        changed=dt.datetime.fromisoformat(row[4]),
    )


def _decision(row: tuple[Any, ...]) -> SentDecision:
    return SentDecision(
        update_id=row[0],
        campaign=row[1],
        step=row[2],
        round=row[3],
        person=row[4],
        action=row[5],
        comment=row[6],
        outputs=json.loads(row[7]),
        method=row[8],
        state=row[9],
        answer=row[10],
        at=dt.datetime.fromisoformat(row[11]),
    )
