"""The abuse suite (issue 16): random inputs, decisions and events sent to live
campaigns on the embedded server, as a script could. No traceback, no stuck
workflow task, no character run of the worker's secret in any history.
``python -m bench abuse`` runs many more cases (docs/benchmarks.md)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench._harness import BENCH_TRUST, embedded_server
from bench.abuse import SECRET_NAME, abuse, new_secret
from workers import WORKFLOWS, WorkerConfig, build_worker, builtin_registry, workflow_runner

pytestmark = pytest.mark.e2e


async def test_random_payloads_leave_no_traceback_no_stuck_task_and_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = new_secret()
    monkeypatch.setenv(f"MOPS_SECRET_{SECRET_NAME.upper()}", secret)
    async with embedded_server() as server:
        queue = f"abuse-{uuid.uuid4().hex[:8]}"
        worker = build_worker(
            server.client,
            task_queue=queue,
            registry=builtin_registry(),
            workflows=WORKFLOWS,
            workflow_runner=workflow_runner(isolate_interpreter=True),
            config=WorkerConfig.from_env(),
            trust=BENCH_TRUST,
        )
        async with worker:
            counts = await abuse(server.client, queue, secret, cases=60, seed=7)
    assert counts.tracebacks == []
    assert counts.stuck == []
    assert counts.leaks == []
    assert counts.decisions_refused > 0 and counts.inputs_refused > 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
))  # fmt: skip
def test_any_json_value_is_either_a_campaign_value_or_a_clear_refusal(value: object) -> None:
    from engine.ir import ListType, ScalarType
    from engine.workflow.values import ValueProblem, check_json

    types: list[ScalarType | ListType] = [
        *(ScalarType(name=n) for n in ("text", "number", "money", "email", "url", "date")),
        *(ScalarType(name=n) for n in ("duration", "record", "any", "percent")),
        ListType(item=ScalarType(name="number")),
    ]
    for type_ in types:
        try:
            check_json(value, type_)
        except ValueProblem as problem:
            assert str(problem) and len(str(problem)) < 400
