"""Values print as a person reads them, the same in the CLI, the history, the report and
exported text: money ``25,000.00 EUR``, records ``queue: partner_desk, ...``, lists
comma-separated (issue 15: they printed as Python reprs and raw JSON)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from support import compile_text, new_task_queue, recorded_notify, registry_replacing, start
from support import worker_for as worker
from temporalio.testing import WorkflowEnvironment

from engine.audit import (
    campaign_histories,
    export_records,
    process_of,
    read_timeline,
    readable,
    readable_pairs,
    render_timeline,
    report_html,
    time_zone,
)

REGISTRY = registry_replacing(recorded_notify)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ({"amount": "25000", "currency": "EUR"}, "25,000.00 EUR"),
        ({"amount": "1234567", "currency": "JPY"}, "1,234,567 JPY"),
        ({"amount": "12.5", "currency": "KWD"}, "12.500 KWD"),
        # Never rounded: an amount finer than its currency keeps every digit.
        ({"amount": "0.005", "currency": "EUR"}, "0.005 EUR"),
        ({"amount": "-1200.5", "currency": "USD"}, "-1,200.50 USD"),
        ({"queue": "partner_desk", "owner": "agency"}, "queue: partner_desk, owner: agency"),
        (["newsletter", "linkedin"], "newsletter, linkedin"),
        ({"queue": "a", "channels": ["x", "y"]}, "queue: a, channels: (x, y)"),
        ([{"a": 1}, {"a": 2}], "(a: 1), (a: 2)"),
        ({"amount": 2, "unit": "business_days"}, "2 business days"),
        ({"amount": "1", "unit": "days"}, "1 day"),
        (True, "true"),
        (None, "nothing"),
        ("", '""'),
        (2.5, "2.5"),
        (1e20, "100000000000000000000"),
        ("Spring launch", "Spring launch"),
    ],
)
def test_a_value_reads_as_a_person_writes_it(value: Any, shown: str) -> None:
    assert readable(value) == shown


def test_text_is_quoted_only_inside_a_sentence_and_pairs_keep_lists_apart() -> None:
    assert readable("paid", quote=True) == '"paid"'
    assert readable({"tier": "paid"}, quote=True) == "tier: paid"
    pairs = {"budget": {"amount": "5000", "currency": "EUR"}, "channels": ["a", "b"]}
    assert readable_pairs(pairs) == "budget = 5,000.00 EUR; channels = a, b"


ROUTING = """\
process routing "Route the partner lead"
  input budget: money = 25000 EUR
  input channels: list of text = ["newsletter", "linkedin"]
  decide route "Route it"
    when budget >= 10000 EUR -> queue = "partner_desk", owner = "agency"
    otherwise -> queue = "self_serve", owner = "inside_sales"
  output queue = route.queue
  output budget_seen = budget
"""


async def test_history_report_and_export_print_values_as_people_read_them(
    time_env: WorkflowEnvironment,
) -> None:
    client = time_env.client
    process = compile_text(ROUTING, REGISTRY)
    queue = new_task_queue()
    async with worker(client, REGISTRY, queue):
        inputs = {
            "budget": {"amount": "25000", "currency": "EUR"},
            "channels": ["newsletter", "linkedin"],
        }
        handle = await start(client, process, inputs, queue)
        await handle.result()
        histories = await campaign_histories(client, handle.id)
    timeline = read_timeline(histories)
    text = render_timeline(timeline, time_zone("UTC"))
    assert "inputs    budget = 25,000.00 EUR; channels = newsletter, linkedin" in text
    assert "outputs   queue = partner_desk; budget_seen = 25,000.00 EUR" in text
    decided = next(e for e in timeline.entries if e.what == "decided")
    assert decided.text.startswith("decided queue: partner_desk, owner: agency by the row at ")
    assert decided.text.endswith("with budget = 25,000.00 EUR")
    assert "{'" not in text and '{"' not in text
    # The report's header and entries, and the exported texts, say the same.
    page = report_html(timeline, process_of(histories), time_zone("UTC"), dt.datetime.now(dt.UTC))
    assert "budget = 25,000.00 EUR; channels = newsletter, linkedin" in page
    assert "amount" not in page.split('id="facts"', 1)[1].split("</table>", 1)[0]
    exported = [r["text"] for r in export_records([timeline])]
    assert decided.text in exported
    assert not any("{'" in t or '"amount"' in t for t in exported)
    assert json.loads(json.dumps(exported))  # plain text, nothing else
