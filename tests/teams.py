"""Team directories the end-to-end tests share."""

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
