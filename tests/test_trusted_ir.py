"""The compiler builds the IR without validating it again; it must still be valid IR.

The IR a campaign runs is read back from its JSON (the workflow's input) and
validated then. Every process in the repository - the processes folder, the
test examples, every ```mops block of the docs and a generated one using every
kind of step - compiles to exactly the IR that validation makes of its JSON.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_docs import ALL_BLOCKS

from bench.compile import generate
from dsl import Catalogue, SourceFile, check_file, check_source
from engine import ir
from engine.compiler import compile_process
from workers import builtin_registry

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = Catalogue(builtin_registry().signatures())
FILES = [
    ROOT / "processes" / "blog_post.mops",
    *sorted((ROOT / "tests" / "examples").glob("*.mops")),
]

EVERY_KIND = """\
calendar berlin "Berlin office"
  time zone "Europe/Berlin"
  working days mon to fri
  office hours 09:00 to 17:00
  holidays "DE" region "BE"
  send window 08:00 to 20:00
  blackout 2026-12-24 to 2026-12-26

process every_kind "Every kind of step"
  input budget: money = 100 EUR
  input channels: list of text = ["email", "blog"]
  input tier: one of "gold", "silver"
  owner role marketing_ops
  calendar berlin
  task draft "Draft" = log.info(message: "draft for {tier}", fields: {n: 1.5, ok: true})
    timeout 90 minutes
    retry 3 times backoff 10 seconds to 5 minutes
  work edit "Edit"
    assign role editor, person ana
    deadline 2 business days
    remind every 4 hours
    escalate to role lead after 1 business days
    returns url: url, notes: list of text
  approval review "Review"
    by 2 of role legal, role brand
    not by edit.assignee
    deadline 5 business days
    no delegation
    on changes -> edit
    at most 3 rounds, then fail "too many rounds for {tier}: {review.comment}"
  decide channel
    hit policy first
    when budget > 50 EUR and tier == "gold" -> lane = "paid", share = 20%
    otherwise -> lane = "organic", share = 0%
  if channel.lane == "paid"
    set spend = budget * 2 - -1 EUR
  else if not ("email" in channels)
    wait 1d
  else
    fail "no {join(channels, ", ")}"
  parallel 2 of "Publish"
    branch web
      task post = log.info(message: "web")
    branch mail
      for each channel_name in channels, 2 at a time
        notify role editor "sending to {channel_name}"
    task extra = log.info(message: "{[1, 2][0]}")
  wait until 2026-12-01 09:30
  wait until 2026-12-01 at 10:00 in "Europe/Berlin" in send window
  wait for event "signed" key draft.logged_at as signature, deadline 3 days -> finish
  go back to draft, at most 2 times
  task finish = log.info(message: "done {5m}")
  exit when event "cancelled" key tier
  output summary: text = "{channel.lane} {channel.share}"
"""


def _processes() -> list[pytest.ParameterSet]:
    found = [pytest.param(path.read_text(), path, id=path.name) for path in FILES]
    found += [
        pytest.param(block.source().text, None, id=block.where)
        for block in ALL_BLOCKS
        if block.lang == "mops"
    ]
    found.append(pytest.param(EVERY_KIND, None, id="every kind of step"))
    found.append(pytest.param(generate(100), None, id="generated"))
    return found


@pytest.mark.parametrize(("text", "path"), _processes())
def test_the_compiled_ir_is_what_validation_makes_of_its_json(text: str, path: Path | None) -> None:
    if path is None:
        checked = check_source(SourceFile.from_text(text, "example.mops"), CATALOGUE)
    else:
        checked = check_file(path, CATALOGUE)
    assert checked.ok, checked.diagnostics
    compiled = compile_process(checked, CATALOGUE, today=dt.date(2026, 11, 22))
    validated = ir.ProcessIR.model_validate_json(compiled.model_dump_json())
    assert validated == compiled
    assert validated.model_dump_json() == compiled.model_dump_json()
    assert ir.ProcessIR.model_validate(compiled.model_dump(mode="json")) == compiled


def test_an_unvalidated_node_has_the_defaults_of_the_fields_not_given() -> None:
    span = ir.unvalidated(ir.Span)(line=1, col=2, end_line=1, end_col=5)
    ref = ir.unvalidated(ir.Ref)(name="budget", span=span)
    assert ref == ir.Ref(name="budget", span=ir.Span(line=1, col=2, end_line=1, end_col=5))
    assert ref.kind == "ref" and ref.model_fields_set == {"name", "span"}


def test_only_a_model_is_built_unvalidated() -> None:
    # mypy refuses it too (the type variable is bound to models).
    with pytest.raises(TypeError, match="is not an IR model"):
        ir.unvalidated(dict)(a=1)  # type: ignore[type-var, call-arg]
