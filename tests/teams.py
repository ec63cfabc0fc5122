"""Team directories, and a process of theirs, that the end-to-end tests share."""

from __future__ import annotations

WRITER_AND_EDITOR = """\
[roles]
writer = "Writes drafts"
editor = "Reviews drafts"

[people.cleo]
name = "Cleo"
email = "cleo@acme.example"
roles = ["writer"]

[people.ana]
name = "Ana"
email = "ana@acme.example"
roles = ["editor"]
"""
"""Cleo writes, Ana reviews: the article process's people."""

ARTICLE = """\
process article "An article, written and approved"
  allow G101
  input topic: text = "Spring webinar"
  input budget: money = 2500 EUR
  input channels: list of text = ["newsletter", "linkedin"]
  work draft "Write the draft"
    assign role writer
    returns doc_url: url
  approval review "Review the draft"
    by role editor
    not by draft.assignee
    on reject -> draft
    at most 3 rounds
  output approved_by = review.approvers
"""
"""Cleo drafts an article and Ana reviews it, with a round of rework on a rejection;
the inputs have defaults of each kind a page shows (text, money, a list)."""
