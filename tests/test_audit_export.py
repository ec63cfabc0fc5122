"""Hash-chained exports: every kind of tampering is found and named; the files are
written whole or not at all."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest
from test_history import recorded

from engine.audit import GENESIS, digest, read_timeline, to_csv, to_jsonl
from engine.audit import chain_head as head
from engine.audit import export_records as records
from engine.audit import verify_export as verify
from mops.cli import main


def exported() -> list[dict[str, object]]:
    timeline = read_timeline([recorded()])
    # Two campaigns' worth, so that the chain runs across campaigns.
    second = timeline.model_copy(update={"campaign": "article-2"})
    return records([timeline, second])


def lines(chained: list[dict[str, object]]) -> list[str]:
    return to_jsonl(chained).splitlines(keepends=True)


def test_an_untouched_export_verifies_and_its_head_is_the_last_hash() -> None:
    chained = exported()
    assert chained[0]["prev"] == GENESIS and chained[0]["seq"] == 1
    assert all(b["prev"] == a["hash"] for a, b in pairwise(chained))
    count, chain_head, finding = verify(to_jsonl(chained), expected_head=head(chained))
    assert (count, chain_head, finding) == (len(chained), chained[-1]["hash"], None)
    # The same records as CSV verify the same way.
    assert verify(to_csv(chained), expected_head=head(chained))[1:] == (chain_head, None)


def test_an_edited_record_is_named() -> None:
    text = lines(exported())
    record = json.loads(text[4])
    record["comment"] = "looks fine"
    text[4] = json.dumps(record) + "\n"
    finding = verify("".join(text))[2]
    assert finding is not None
    assert (finding.kind, finding.seq, finding.line) == ("edited", 5, 5)


def test_an_edit_with_a_recomputed_hash_is_named_by_the_next_link() -> None:
    text = lines(exported())
    record = json.loads(text[9])
    record["actor"] = "mallory"
    record["hash"] = digest(record)
    text[9] = json.dumps(record) + "\n"
    finding = verify("".join(text))[2]
    assert finding is not None
    assert (finding.kind, finding.seq) == ("edited", 10)


def test_removed_records_are_named() -> None:
    text = lines(exported())
    finding = verify("".join(text[:6] + text[8:]))[2]
    assert finding is not None
    assert (finding.kind, finding.seq, finding.message) == (
        "removed",
        7,
        "records 7 to 8 were removed (before line 7)",
    )
    first = verify("".join(text[1:]))[2]
    assert first is not None and (first.kind, first.seq) == ("removed", 1)


def test_records_cut_off_the_end_are_found_against_the_printed_head() -> None:
    chained = exported()
    cut = to_jsonl(chained[:-3])
    assert verify(cut)[2] is None  # a chain cannot know its own end...
    finding = verify(cut, expected_head=head(chained))[2]  # ...the printed head does
    assert finding is not None and finding.kind == "truncated"


@pytest.mark.parametrize("forge_hash", [False, True])
def test_an_inserted_record_is_named(forge_hash: bool) -> None:
    chained = exported()
    text = lines(chained)
    fake = dict(chained[3], text="approved", actor="mallory", seq=5, prev=chained[3]["hash"])
    if forge_hash:
        fake["hash"] = digest(fake)
    text.insert(4, json.dumps(fake) + "\n")
    finding = verify("".join(text))[2]
    assert finding is not None
    assert (finding.kind, finding.line) == ("inserted", 5)


def test_reordered_records_are_named() -> None:
    text = lines(exported())
    text[6], text[7] = text[7], text[6]
    finding = verify("".join(text))[2]
    assert finding is not None
    assert (finding.kind, finding.seq, finding.line) == ("reordered", 8, 7)


def test_verify_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chained = exported()
    good = tmp_path / "audit.csv"
    good.write_text(to_csv(chained))
    assert main(["audit", "verify", str(good), "--head", head(chained)]) == 0
    assert f"intact, {len(chained)} records" in capsys.readouterr().out
    rows = to_csv(chained).splitlines(keepends=True)
    rows[3] = rows[3].replace("article-1", "article-9", 1)
    bad = tmp_path / "tampered.csv"
    bad.write_text("".join(rows))
    assert main(["audit", "verify", str(bad)]) == 1
    assert capsys.readouterr().out == f"{bad}:4: edited: record 3 (line 4) was edited\n"
    junk = tmp_path / "notes.txt"
    junk.write_text("hello\n")
    assert main(["audit", "verify", str(junk)]) == 1
    assert "not an export" in capsys.readouterr().err
    assert main(["audit", "verify", str(tmp_path / "missing.jsonl")]) == 1
    assert "cannot be read" in capsys.readouterr().err


def test_an_export_without_a_selection_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "export", "--format", "csv"]) == 1
    assert "which campaigns?" in capsys.readouterr().err
