"""The people's app in a test: the real embedded server of a private state folder, a
worker in the test's process, and the app itself driven over HTTP in-process (httpx's
ASGI transport) the way a browser drives it: cookies, forms, CSRF tokens."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
from mops_cli import clean_env, free_port
from support import recorded_notify, registry_replacing
from temporalio.client import Client
from temporalio.worker import Worker
from waiting import eventually

from engine.client import EmbeddedServer, Settings, connect, load_trust, trust_path
from mops.web import Backend, WebSettings, create_app, hash_password, make_backend
from workers import WORKFLOWS, build_worker, run_worker, workflow_runner

TEAM = """\
[roles]
writer = "Writes landing pages"
editor = "Reviews them"
cmo = "Chief marketing officer"
operator = "Runs campaigns"

[people.cleo]
name = "Cleo Martin"
email = "cleo@acme.example"
roles = ["writer"]
time_zone = "Europe/Berlin"

[people.ana]
name = "Ana Schmidt"
email = "ana@acme.example"
roles = ["editor"]

[people.max]
name = "Max Braun"
email = "max@acme.example"
roles = ["cmo"]

[people.olga]
name = "Olga Ops"
email = "olga@acme.example"
roles = ["operator"]

[people.zoe]
name = "Zoe Outsider"
email = "zoe@acme.example"
"""

WEBINAR = """\
process webinar "Spring webinar launch"
  input title: text
  input budget: money = 0 EUR

  work draft "Write the landing page"
    assign role writer
    returns doc_url: url, words: number
    deadline 2 business days
    escalate to role cmo

  approval review "Review the landing page"
    by role editor
    not by draft.assignee
    deadline 1 business day
    escalate to role cmo
    on reject -> draft
    at most 3 rounds, then fail "The review did not converge"

  output page = draft.doc_url
"""

LEAD = """\
process lead "Follow up a webinar lead"
  allow G103
  input email: email
  wait for event "lead.replied" key email as reply
  output said = text(reply.answer)
"""

PASSWORD = "correct horse battery"


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no field {name} on the page"
    return html.unescape(found.group(1))


def text(page: str) -> str:
    """A page's text as a person reads it (tags dropped, spaces folded)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


class Harness:
    """The app of one private state folder, its embedded server and a worker."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "processes").mkdir(parents=True)
        (folder / "processes" / "webinar.mops").write_text(WEBINAR)
        (folder / "processes" / "lead.mops").write_text(LEAD)
        (folder / "team.toml").write_text(TEAM)
        self.env = clean_env(
            MOPS_HOME=str(folder / "state"),
            MOPS_SERVER_PORT=str(free_port()),
            MOPS_TASK_QUEUE=f"web-{uuid.uuid4().hex[:8]}",
        )
        self.settings = Settings.from_env(self.env)
        self.web = WebSettings(
            base_url="https://testserver",
            state_dir=self.settings.state_dir,
            task_queue=self.settings.task_queue,
            processes=folder / "processes",
        )
        self.backend: Backend
        self.client: Client
        self._worker: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        self.client, info = await connect(self.settings, env=self.env)
        self.backend = make_backend(
            self.client, self.web, self.settings, self.folder / "team.toml", connection=info
        )
        for person in ("cleo", "ana", "max", "zoe"):
            self.backend.store.set_account(person, hash_password(PASSWORD), ())
        self.backend.store.set_account("olga", hash_password(PASSWORD), ("operate",))
        self.app = create_app(self.backend)

    def worker(self) -> Worker:
        return build_worker(
            self.client,
            task_queue=self.settings.task_queue,
            registry=registry_replacing(recorded_notify),
            workflows=WORKFLOWS,
            workflow_runner=workflow_runner(),
            trust=load_trust(trust_path(self.settings.state_dir)),
        )

    def start_worker(self) -> None:
        self._stop = asyncio.Event()
        worker = self.worker()
        self._worker = asyncio.create_task(
            run_worker(worker, stop=self._stop, install_signal_handlers=False)
        )

    async def stop_worker(self) -> None:
        self._stop.set()
        if self._worker is not None:
            await self._worker
            self._worker = None

    async def close(self) -> None:
        await self.stop_worker()
        self.backend.store.close()
        EmbeddedServer(self.settings).stop()

    @contextlib.asynccontextmanager
    async def browser(self, address: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
        """A browser of its own (cookies kept) at ``address``, talking to the app."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="https://testserver", timeout=60
        ) as browser:
            yield browser

    @contextlib.asynccontextmanager
    async def signed_in(self, person: str) -> AsyncIterator[httpx.AsyncClient]:
        async with self.browser() as browser:
            form = await browser.get("/login")
            done = await browser.post(
                "/login",
                data={"person": person, "password": PASSWORD, "csrf": csrf(form.text), "next": "/"},
            )
            assert done.status_code == 303, done.text
            yield browser

    async def start_campaign(self, process: str = "webinar", **inputs: str) -> str:
        async with self.signed_in("olga") as olga:
            form = await olga.get(f"/start/{process}")
            done = await olga.post(f"/start/{process}", data={"csrf": csrf(form.text), **inputs})
            assert done.status_code == 200, done.text
            found = re.search(r'/campaigns/([^"]+)"', done.text)
            assert found
            return found.group(1)


async def act(
    browser: httpx.AsyncClient, campaign: str, step: str, action: str, **values: str
) -> httpx.Response:
    """Open the task page and press a button on it, as a person does."""
    page = await browser.get(f"/tasks/{campaign}/{step}")
    assert page.status_code == 200, page.text
    data: dict[str, Any] = {
        "csrf": csrf(page.text),
        "decision_id": field(page.text, "decision_id"),
        "action": action,
        **values,
    }
    sent = await browser.post(f"/tasks/{campaign}/{step}", data=data)
    if sent.status_code != 303:
        return sent
    return await browser.get(sent.headers["location"])


async def open_review(app: Harness) -> str:
    """A campaign whose review waits for an editor (Cleo completed the draft in the app)."""
    campaign = await app.start_campaign(title="Spring webinar")
    async with app.signed_in("cleo") as cleo:

        async def completed() -> None:
            done = await act(
                cleo,
                campaign,
                "draft",
                "complete",
                doc_url="https://docs.acme.example/v1",
                words="300",
            )
            assert "is completed" in done.text, done.text

        await eventually(completed)
    async with app.signed_in("ana") as ana:

        async def review_open() -> None:
            assert (await ana.get(f"/tasks/{campaign}/review")).status_code == 200

        await eventually(review_open)
    return campaign


H = TypeVar("H", bound=Harness)


@contextlib.asynccontextmanager
async def running(harness: H) -> AsyncIterator[H]:
    """The app of ``harness`` started with its worker, closed afterwards (a test
    module's ``app`` fixture)."""
    await harness.start()
    harness.start_worker()
    try:
        yield harness
    finally:
        await harness.close()
