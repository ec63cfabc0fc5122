"""The people's app's store keeps a signed-in person signed in while others sign in.

Sessions were once written with sqlite3's default datetime text (a space between date
and time) and pruned by comparing that text with an ISO time (a 'T' there): on every
sign-in, each session that expired later the same day was taken for expired, so in
the morning (UTC) signing in signed out everyone else."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mops.web import _store
from mops.web._store import Session, Store

MORNING = dt.datetime(2026, 12, 8, 0, 42, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(_store, "now", lambda: MORNING)
    return Store(tmp_path / "app.sqlite")


def session(who: str, expires: dt.datetime) -> Session:
    return Session(id=f"{who}-session", person=who, method="web_login", csrf="c", expires=expires)


def test_signing_in_keeps_the_others_signed_in(store: Store) -> None:
    store.add_session(session("cleo", MORNING + dt.timedelta(hours=12)))
    store.add_session(session("zoe", MORNING + dt.timedelta(hours=12)))
    store.add_session(session("ana", MORNING + dt.timedelta(hours=12)))
    for who in ("cleo", "zoe", "ana"):
        kept = store.session(f"{who}-session")
        assert kept is not None and kept.person == who


def test_expired_sessions_go_and_so_do_those_written_the_old_way(store: Store) -> None:
    store.add_session(session("cleo", MORNING - dt.timedelta(minutes=1)))
    with store._tx() as db:  # rows as the old adapter wrote them: a space, not a 'T'
        for who, expires in (
            ("old", MORNING + dt.timedelta(hours=1)),
            ("gone", MORNING - dt.timedelta(hours=1)),
        ):
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, 'web_login', 'c', ?)",
                (f"{who}-session", who, str(expires)),
            )
    store.add_session(session("ana", MORNING + dt.timedelta(hours=12)))
    left = {row[0] for row in store._all("SELECT id FROM sessions")}
    assert left == {"old-session", "ana-session"}
    assert store.session("cleo-session") is None
    old = store.session("old-session")
    assert old is not None and old.person == "old"
