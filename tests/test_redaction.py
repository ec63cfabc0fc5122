"""No secret escapes: not cut in two, not escaped, not lower-cased, not in base64.

Receivers here are real local servers that echo the step's secret back, as a
careless API or mail server does, in every form they might: as written, escaped
as JSON, URL or HTML, in another case, in base64 (as inside ``Authorization:
Basic``), placed across the 200-character cut of error excerpts. The property
test generates secrets with quotes, backslashes and non-ASCII letters and looks
for a run of 6 or more of their characters in everything the workflow would
record (results and errors) and everything the worker logs.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import html
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import pytest
from httpserver import Answer, RecordingServer
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from smtpserver import Mailbox, smtp_server
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from engine.contracts import SECRET_MARKER, TaskRequest
from workers import EgressConfig, SecretStore, SmtpConfig, WorkerConfig, builtin_registry, redact

RUN = 6
"""The longest run of a secret's characters allowed anywhere a person can read."""

Activity = Callable[[TaskRequest], Awaitable[dict[str, Any]]]

# What a secret may hold: letters in both cases (with ones whose case changes
# their length), digits, and every character an escaping scheme rewrites.
ALPHABET = list("abcdefgKLMNOP0123456789_-.~") + list("\"\\'<>&%+/= :;,") + list("éÄßøΩİﬁ")


def echoes(secret: str) -> list[str]:
    """The forms a receiver may echo ``secret`` in."""
    return [
        secret,
        json.dumps(secret),
        json.dumps(secret, ensure_ascii=False),
        json.dumps({"detail": quote(secret)}),
        quote(secret, safe=""),
        quote_plus(secret),
        html.escape(secret),
        secret.lower(),
        secret.upper(),
        secret.casefold(),
        base64.b64encode(f"user:{secret}".encode()).decode(),
        base64.urlsafe_b64encode(f"ab{secret}".encode()).decode(),
    ]


def ascii_echoes(secret: str) -> list[str]:
    """The forms that fit in a header line or an SMTP reply."""
    return [e for e in echoes(secret) if e.isascii() and "\\" not in e and "\r" not in e]


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\(.)")


def _json_unescaped(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        return chr(int(match.group(1), 16)) if match.group(1) else match.group(2)

    return _JSON_ESCAPE.sub(one, text)


@functools.lru_cache(maxsize=64)
def _views(text: str) -> list[str]:
    """``text`` as a reader might decode it: as it is, URL-, HTML- and JSON-unescaped."""
    views = {text, unquote(text), unquote_plus(text), html.unescape(text), _json_unescaped(text)}
    for encoded in re.findall(r"[A-Za-z0-9+/_-]{8,}={0,2}", text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                views.add(decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8", "replace"))
            except ValueError:
                continue
    return [*views, *(v.casefold() for v in views)]


def runs_of(secret: str, texts: list[str], *, ignore: str = "") -> set[str]:
    """Every run of :data:`RUN` characters of ``secret`` found in ``texts``, in any
    case or decoding, except those also in ``ignore`` (text any secret would produce)."""
    windows = {secret[i : i + RUN] for i in range(len(secret) - RUN + 1)}
    views = [view for text in texts for view in _views(text)]
    ordinary = _views(ignore)
    found = set()
    for window in windows:
        wanted = {window, window.casefold()}
        if any(w in o for w in wanted for o in ordinary):
            continue
        if any(w in view for w in wanted for view in views):
            found.add(window)
    return found


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        extra = {k: v for k, v in vars(record).items() if k not in _PLAIN_RECORD}
        self.lines.append(f"{record.getMessage()} {extra!r} {record.exc_text or ''}")


# The worker's loggers; not the test's own mail server, which logs what it answers.
_WORKER_LOGGERS = ("mops", "temporalio")
_PLAIN_RECORD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None)))


@dataclasses.dataclass
class Receivers:
    http: RecordingServer
    mail: Mailbox


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receivers]:
    with RecordingServer.running() as http_server, smtp_server() as mailbox:
        yield Receivers(http_server, mailbox)


def _actions(secret: str, receivers: Receivers) -> dict[str, Activity]:
    registry = builtin_registry()
    config = WorkerConfig(
        smtp=SmtpConfig(host="127.0.0.1", port=receivers.mail.port, password_secret="key"),
        webhook_secret="key",
        egress=EgressConfig(allow=("127.0.0.1",)),
    )
    secrets = SecretStore(
        env={
            "MOPS_SECRET_KEY": secret,
            "MOPS_SECRET_KEY_SEND_TO": (
                f"{receivers.http.url} smtp://127.0.0.1:{receivers.mail.port}"
            ),
        }
    )
    activities = registry.activities(config=config, secrets=secrets)
    return dict(zip(registry.names, activities, strict=True))


async def _outputs(actions: dict[str, Activity], secret: str, receivers: Receivers) -> list[str]:
    """Everything the workflow would record from each echo path: results and errors."""
    server, mail = receivers.http, receivers.mail
    ref = {SECRET_MARKER: "key"}
    forms, header_forms = echoes(secret), ascii_echoes(secret)
    calls: list[tuple[str, dict[str, Any], Answer | None, str | None]] = []
    for form in forms:
        for filler in (0, 190):  # across the 200-character cut of error excerpts
            body = "x" * filler + form + " tail"
            calls.append(
                ("http.post", {"url": server.url, "json": {"k": ref}}, Answer(400, body), None)
            )
        calls += [
            ("http.post", {"url": server.url, "json": {"k": ref}}, Answer(200, form), None),
            (
                "webhook.post",
                {"url": server.url, "event": "e", "data": {"k": ref}},
                Answer(500, form),
                None,
            ),
        ]
        calls.append(
            (
                "http.request",
                {"method": "POST", "url": server.url, "json": ref},
                Answer(200, json.dumps({"seen": form}), "application/json"),
                None,
            )
        )
    for form in header_forms:
        calls += [
            (
                "http.request",
                {"url": server.url, "bearer_token": ref},
                Answer(200, headers={"X-Echo": form}),
                None,
            ),
            (
                "http.request",
                {"url": server.url, "bearer_token": ref},
                Answer(301, "", headers={"Location": f"/moved/{form}"}),
                None,
            ),
            (
                "email.send",
                {"to": ["jane@acme.com"], "subject": "s", "body": "b"},
                None,
                f"554 5.7.1 not with {form}",
            ),
        ]
    found: list[str] = []
    for name, arguments, answer, mail_reply in calls:
        if answer is not None:
            server.answer(answer)  # not queued: a call refused before sending takes none
        mail.data_reply = mail_reply
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, workflow_id="c-1", activity_id="echo.1")
        request = TaskRequest(step="echo", title="Echo", source="e.mops:1:1", arguments=arguments)
        try:
            found.append(json.dumps(await env.run(actions[name], request), ensure_ascii=False))
        except ApplicationError as error:
            found.append(f"{error.type}: {error.message}")
    return found


def _everything(secret: str, receivers: Receivers) -> tuple[list[str], list[str]]:
    records = _Records()
    loggers = [logging.getLogger(name) for name in _WORKER_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(records)
        logger.setLevel(logging.DEBUG)
    try:
        outputs = asyncio.run(_outputs(_actions(secret, receivers), secret, receivers))
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(records)
            logger.setLevel(level)
    return outputs, records.lines


@pytest.fixture(scope="module")
def ordinary(receivers: Receivers) -> str:
    """What every run records whatever the secret: the same paths with a secret
    made of a character the alphabet lacks."""
    outputs, logs = _everything("Q" * 14, receivers)
    return "\n".join([*outputs, *logs])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(secret=st.text(alphabet=ALPHABET, min_size=RUN + 2, max_size=40))
def test_no_run_of_a_secret_reaches_results_errors_or_logs(
    secret: str, receivers: Receivers, ordinary: str
) -> None:
    assume(secret.strip() == secret and len(set(secret)) >= 4)

    outputs, logs = _everything(secret, receivers)

    assert len(outputs) >= 5 * len(echoes(secret))  # every path ran
    assert not [o for o in outputs if runs_of(secret, [o], ignore=ordinary)]
    assert not [line for line in logs if runs_of(secret, [line], ignore=ordinary)]


# ---- the reproductions of the issue, one by one -------------------------------

TOKEN = 'tok_"Grüße"\\live_Ä9f8e7d6c5b4a3z2y1x0w9v8u7t6'  # 37 characters


@pytest.mark.parametrize("before", [164, 180, 199])
def test_an_error_body_with_the_secret_across_the_cut_keeps_none_of_it(
    receivers: Receivers, before: int
) -> None:
    receivers.http.answer(Answer(401, "e" * before + TOKEN))
    outputs = asyncio.run(
        _one(
            _actions(TOKEN, receivers)["http.post"],
            url=receivers.http.url,
            json={"t": {SECRET_MARKER: "key"}},
        )
    )
    assert not runs_of(TOKEN, outputs)


@pytest.mark.parametrize(
    "form",
    [json.dumps(TOKEN), TOKEN.lower(), TOKEN.upper(), quote(TOKEN), html.escape(TOKEN)],
    ids=["json", "lower", "upper", "url", "html"],
)
def test_a_result_echoing_an_encoded_secret_is_not_recorded(
    receivers: Receivers, form: str
) -> None:
    receivers.http.answer(Answer(200, json.dumps({"seen": form})))
    [output] = asyncio.run(
        _one(
            _actions(TOKEN, receivers)["http.post"],
            url=receivers.http.url,
            json={"t": {SECRET_MARKER: "key"}},
        )
    )
    assert output.startswith("SecretInResult: ")
    assert "returned a secret value in its result (as written or encoded)" in output


def test_redact_hides_every_form_and_leaves_other_text() -> None:
    basic = base64.b64encode(f"mops:{TOKEN}".encode()).decode()
    text = " | ".join([*echoes(TOKEN), basic, "keep this"])

    shown = redact(text, [TOKEN])

    assert shown.endswith("| keep this")
    assert not runs_of(TOKEN, [shown], ignore="[secret]")


async def _one(activity: Activity, **arguments: Any) -> list[str]:
    env = ActivityEnvironment()
    request = TaskRequest(step="echo", title="Echo", source="e.mops:1:1", arguments=arguments)
    try:
        return [json.dumps(await env.run(activity, request), ensure_ascii=False)]
    except ApplicationError as error:
        return [f"{error.type}: {error.message}"]
