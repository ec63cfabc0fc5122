"""Validation in workers takes time in proportion to its input, whatever the input.

Each check runs an adversarial input and the same pattern 1,000 times smaller;
the time of the large one may be at most a few times the size ratio (linear, with
room for a noisy machine), far below the square of it that a backtracking
regular expression or a recursive parser takes. No absolute timings: the two
are measured side by side, best of several rounds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from engine.contracts import TaskRequest
from workers import SecretStore, WorkerConfig, builtin_registry, redact
from workers.builtins._http_core import check_headers
from workers.builtins.email import mailbox

SMALL, LARGE = 40, 40_000
BUDGET = 10 * LARGE / SMALL
"""Linear time gives a ratio near 1,000; quadratic time a million."""


def _seconds(check: Callable[[str], object], value: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            with contextlib.suppress(ValueError):
                check(value)
        best = min(best, (time.perf_counter() - started) / repeat)
    return best


def _ratio(check: Callable[[str], object], make: Callable[[int], str]) -> float:
    small = _seconds(check, make(SMALL), repeat=200)
    large = _seconds(check, make(LARGE), repeat=2)
    return large / small


ADDRESSES: dict[str, Callable[[int], str]] = {
    "dots after @ (the issue's)": lambda n: "a@" + "." * n,
    "nested comments": lambda n: "(" * n,
    "angle brackets": lambda n: "<" * n,
    "quotes": lambda n: '"' * n,
    "labels with hyphens": lambda n: "a@" + "a-" * n + "!",
    "many labels": lambda n: "a@" + "a." * n + "-",
    "a name then brackets": lambda n: "Jane " * n + "<jane@acme.com",
}


@pytest.mark.parametrize("make", ADDRESSES.values(), ids=ADDRESSES.keys())
def test_an_adversarial_address_is_refused_in_linear_time(make: Callable[[int], str]) -> None:
    with pytest.raises(ValueError, match="is not an e-mail address"):
        mailbox(make(LARGE))
    assert _ratio(mailbox, make) < BUDGET


async def test_the_issues_address_is_refused_with_a_short_message() -> None:
    registry = builtin_registry()
    activities = registry.activities(config=WorkerConfig(), secrets=SecretStore(env={}))
    send = dict(zip(registry.names, activities, strict=True))["email.send"]
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="c-1", activity_id="mail.1")
    arguments = {"to": ["a@" + "." * 40_000], "subject": "Hi", "body": "."}

    with pytest.raises(ApplicationError) as caught:
        await env.run(
            send, TaskRequest(step="m", title="Mail", source="m:1:1", arguments=arguments)
        )

    assert caught.value.type == "InvalidArguments"
    assert caught.value.non_retryable
    assert caught.value.message.endswith("is not an e-mail address")
    assert "(40002 characters)" in caught.value.message
    assert len(caught.value.message) < 300


def test_header_values_are_checked_in_linear_time() -> None:
    def check(value: str) -> object:
        return check_headers({"X-Note": value})

    def make(n: int) -> str:
        return "a " * n + "\n"

    with pytest.raises(ValueError, match="header 'X-Note' has a character that cannot be sent"):
        check(make(LARGE))
    assert _ratio(check, make) < BUDGET


def test_redaction_is_linear_in_text_full_of_near_misses() -> None:
    secret = 'tok_"live"_5e4d3c2b1a'

    def check(text: str) -> object:
        return redact(text, [secret])

    def make(n: int) -> str:
        # Every position starts a form of the secret that fails at its last character.
        return secret[:-1].lower() * (n // len(secret) + 1)

    assert _ratio(check, make) < BUDGET
