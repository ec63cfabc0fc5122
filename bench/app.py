"""The people's app under load: one person's inbox among many open campaigns, and the
decision round trip from the app to the campaign's accepted update.

    python -m bench app [--campaigns 10000] [--mine 1000] [--requests 30]
                        [--decisions 400] [--rate 20]

``--campaigns`` campaigns wait on one approval each on a fresh embedded server
with one worker process (``mops worker``'s defaults; they are made on the same
database served without an fsync per commit, by a worker that caches them all,
which is several times faster): ``--mine`` of them by role
editor (Ana's inbox), the others by role lead (Ben's). Then, with the app in this
process (``mops.web.create_app`` around its real backend, its store in a
temporary folder):

- the inbox: Ana's inbox page (HTML, signed in with a session cookie), her
  ``GET /api/tasks`` (JSON, personal token), and the visibility query they both
  make, alone and unrendered (the floor), taking turns ``--requests`` times.
  Server time: each request goes through the ASGI interface in-process (httpx's
  ASGI transport, no socket), so the figure is what the app spends;
- the decision round trip at ``--rate`` decisions per second, sent on a fixed
  schedule (not one after the other): ``POST /api/tasks/{campaign}/review/decision``
  (approve) until its answer says ``confirmed`` — following ``GET
  /api/decisions/{id}`` while it says ``pending`` — against the same decision sent
  straight to the campaign the way ``mops approve`` does (``engine.client.act``),
  in batches of 50 that take turns.
"""

from __future__ import annotations

import asyncio
import functools
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench._harness import (
    BENCH,
    Server,
    bounded,
    embedded_server,
    median,
    options,
    percentile,
    unsynced_server,
    worker_process,
)
from bench._report import machine, spread, write_section
from bench._workload import APPROVAL_TEXT, APPROVER, TEAM, compile_text
from engine.client import ConnectionInfo, Settings, act, start_campaign, trust_path
from engine.workflow import attributes as sa
from engine.workflow.work_items import Act
from mops.web import WebSettings, app_signer, create_app, hash_password, make_backend, new_token

FULL = 10_000
MINE = 1_000
CONCURRENCY = 200
BATCH = 50
PASSWORD = "bench password, long enough"
OTHER_TEXT = APPROVAL_TEXT.replace("bench_approval", "bench_other").replace(
    "by role editor", "by role lead"
)
TEAM_TOML = """\
[roles]
editor = "Approves"
lead = "Leads"

[people.ana]
name = "Ana"
email = "ana@bench.example"
roles = ["editor"]

[people.ben]
name = "Ben"
email = "ben@bench.example"
roles = ["lead"]
"""


@dataclass
class Figures:
    campaigns: int
    mine: int
    start_seconds: float = 0.0
    fill_seconds: float = 0.0
    rows: int = 0
    page: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    rate: float = 0.0
    app: list[float] = field(default_factory=list)
    direct: list[float] = field(default_factory=list)
    pending: int = 0
    refused: list[str] = field(default_factory=list)


def _waiting(task_queue: str, key: str) -> str:
    return (
        f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running' "
        f"AND {sa.WAITING_ON.name} = '{key}'"
    )


async def _until_count(server: Server, query: str, wanted: int, limit: float = 1800) -> int:
    deadline = time.monotonic() + limit
    found = (await server.client.count_workflows(query)).count
    while found < wanted and time.monotonic() < deadline:
        await asyncio.sleep(2)
        found = (await server.client.count_workflows(query)).count
    return found


async def _start(server: Server, task_queue: str, campaigns: int, mine: int) -> None:
    ours = compile_text(APPROVAL_TEXT, "bench_approval.mops")
    others = compile_text(OTHER_TEXT, "bench_other.mops")
    every = max(1, campaigns // max(mine, 1))

    async def one(n: int) -> None:
        process = ours if n % every == 0 and n // every < mine else others
        await start_campaign(
            server.client,
            process,
            {},
            task_queue=task_queue,
            credentials=BENCH,
            campaign_id=f"{process.name}-{n:05d}-{uuid.uuid4().hex[:6]}",
            team=TEAM,
        )

    await bounded(CONCURRENCY, [functools.partial(one, n) for n in range(campaigns)])
    for key, wanted in (("role:editor", mine), ("role:lead", campaigns - mine)):
        found = await _until_count(server, _waiting(task_queue, key), wanted)
        if found < wanted:
            raise RuntimeError(f"only {found} of {wanted} campaigns wait on {key}")


async def _timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await call()
    return time.perf_counter() - started, result


async def _sign_in(browser: httpx.AsyncClient) -> None:
    form = await browser.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    done = await browser.post(
        "/login",
        data={"person": APPROVER, "password": PASSWORD, "csrf": token.group(1), "next": "/"},
    )
    if done.status_code != 303:
        raise RuntimeError(f"signing in failed: {done.status_code} {done.text[:200]}")


async def _paced(rate: float, calls: list[Callable[[], Awaitable[float]]]) -> list[float]:
    """Start call ``n`` at ``n / rate`` seconds, whether or not the earlier ones ended."""
    began = time.perf_counter()

    async def at(n: int, call: Callable[[], Awaitable[float]]) -> float:
        await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
        return await call()

    return list(await asyncio.gather(*(at(n, c) for n, c in enumerate(calls))))


async def measure(
    *,
    campaigns: int,
    mine: int,
    requests: int,
    decisions: int,
    rate: float,
) -> Figures:
    """Fill a server with the campaigns (fast), then measure on the embedded server."""
    figures = Figures(campaigns=campaigns, mine=mine, rate=rate)
    folder = Path(tempfile.mkdtemp(prefix="mops-bench-app-"))
    try:
        state, home = folder / "state", folder / "server"
        home.mkdir()
        (folder / "team.toml").write_text(TEAM_TOML)
        app_signer(state, "people", {})  # the app's key, and its entry in the trust file
        trust = trust_path(state, {})
        task_queue = f"bench-app-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        # Filling: the same server's database without an fsync per commit, and a worker
        # that keeps every campaign in its cache (no replays); then the measured server.
        async with (
            unsynced_server(home) as filling,
            worker_process(
                filling,
                "interpreter",
                trust=trust,
                task_queue=task_queue,
                max_cached=campaigns + 100,
            ),
        ):
            await _start(filling, task_queue, campaigns, mine)
        figures.start_seconds = time.perf_counter() - started
        async with (
            embedded_server(home) as server,
            worker_process(server, "interpreter", trust=trust, task_queue=task_queue),
        ):
            await _measure(server, task_queue, folder, figures, requests, decisions)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return figures


async def _measure(
    server: Server,
    task_queue: str,
    folder: Path,
    figures: Figures,
    requests: int,
    decisions: int,
) -> None:
    state = folder / "state"
    web = WebSettings(base_url="http://bench", state_dir=state, task_queue=task_queue)
    settings = Settings(state_dir=state, task_queue=task_queue)
    embedded = ConnectionInfo(
        address=server.address, namespace="default", embedded=True, ui_url=None
    )
    backend = make_backend(server.client, web, settings, folder / "team.toml", connection=embedded)
    backend.store.set_account(APPROVER, hash_password(PASSWORD), ())
    token = new_token("personal")
    backend.store.add_token(token, APPROVER, "personal", "bench")
    # What the app does as it starts (the ASGI transport runs no lifespan): its index.
    figures.fill_seconds, _ = await _timed(lambda: backend.open_steps.fill(server.client))
    transport = httpx.ASGITransport(app=create_app(backend), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://bench", timeout=120
    ) as browser:
        await _sign_in(browser)
        api = {"Authorization": f"Bearer {token}"}
        await _inbox(server, browser, api, task_queue, figures, requests)
        await _decide(server, browser, api, figures, decisions)
    await backend.open_steps.close()
    backend.store.close()


async def _inbox(
    server: Server,
    browser: httpx.AsyncClient,
    api: dict[str, str],
    task_queue: str,
    figures: Figures,
    requests: int,
) -> None:
    query = (
        f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running' AND "
        f"{sa.WAITING_ON.name} IN ('person:{APPROVER}', 'role:editor')"
    )

    async def floor() -> int:
        return len([e async for e in server.client.list_workflows(query, limit=5000)])

    # The first request reads each process version's IR once; it is not counted.
    first = await browser.get("/")
    title = re.search(r"<title>\((\d+)\)", first.text)
    figures.rows = int(title.group(1)) if title else 0
    if figures.rows != figures.mine:
        raise RuntimeError(f"the inbox shows {figures.rows} tasks, not {figures.mine}")
    for _ in range(requests):
        seconds, answer = await _timed(lambda: browser.get("/"))
        assert answer.status_code == 200
        figures.page.append(seconds)
        seconds, answer = await _timed(lambda: browser.get("/api/tasks", headers=api))
        assert answer.status_code == 200 and len(answer.json()) == figures.mine
        figures.api.append(seconds)
        seconds, found = await _timed(floor)
        assert found == figures.mine
        figures.floor.append(seconds)


async def _decide(
    server: Server,
    browser: httpx.AsyncClient,
    api: dict[str, str],
    figures: Figures,
    decisions: int,
) -> None:
    rows = (await browser.get("/api/tasks", headers=api)).json()
    campaigns = [r["campaign"] for r in rows][: 2 * decisions]
    as_ana = BENCH.asserting(APPROVER)

    async def through_app(campaign: str) -> float:
        started = time.perf_counter()
        answer = await browser.post(
            f"/api/tasks/{campaign}/review/decision",
            json={"action": "approve", "decision_id": uuid.uuid4().hex},
            headers=api,
        )
        sent = answer.json()
        if sent.get("state") == "pending":
            figures.pending += 1
        while sent.get("state") == "pending":
            await asyncio.sleep(0.05)
            sent = (await browser.get(f"/api/decisions/{sent['update_id']}", headers=api)).json()
        if sent.get("state") != "confirmed":
            figures.refused.append(f"{campaign}: {sent}")
        return time.perf_counter() - started

    async def straight(campaign: str) -> float:
        started = time.perf_counter()
        await act(
            server.client,
            campaign,
            Act(step="review", actor=APPROVER, action="approve"),
            credentials=as_ana,
        )
        return time.perf_counter() - started

    batch = min(BATCH, max(1, len(campaigns) // 2))
    for n in range(0, len(campaigns) - batch + 1, 2 * batch):
        app_side = campaigns[n : n + batch]
        direct_side = campaigns[n + batch : n + 2 * batch]
        figures.app += await _paced(
            figures.rate, [functools.partial(through_app, c) for c in app_side]
        )
        figures.direct += await _paced(
            figures.rate, [functools.partial(straight, c) for c in direct_side]
        )


def render(figures: Figures, command: str) -> str:
    def ms(values: list[float]) -> str:
        return spread([v * 1000 for v in values])

    def p(values: list[float], fraction: float) -> str:
        return f"{percentile(values, fraction) * 1000:.0f}" if values else "n/a"

    def trips(values: list[float]) -> str:
        return f"{len(values)} | {p(values, 0.5)} | {p(values, 0.95)} | {p(values, 1.0)}"

    ratio_page = median(figures.page) / median(figures.floor)
    ratio_api = median(figures.api) / median(figures.floor)
    ratio_p95 = (
        percentile(figures.app, 0.95) / percentile(figures.direct, 0.95)
        if figures.app and figures.direct
        else float("nan")
    )
    refused = f" Refused or lost: {len(figures.refused)}." if figures.refused else ""
    return f"""\
Command: `{command}`. Machine: {machine()}.

{figures.campaigns:,} open campaigns, each waiting on one approval, on one
embedded server with one worker process; {figures.mine:,} of them wait on role
editor, which Ana holds (her inbox shows {figures.rows:,} tasks), the others on
role lead. Starting them all until every one waited took {figures.start_seconds:.0f} s
(on the server's database served without an fsync per commit, by a worker that
caches every campaign); then the embedded server is started on that database with
its own settings, with a fresh worker of `mops worker`'s defaults, for what is
measured. The app runs in the benchmark's process around its real backend; each
request goes through the ASGI interface without a socket, so the times are the
app's own (server time). As it starts, the app fills its index of open steps from
visibility: {figures.fill_seconds:.1f} s (not counted below; until then inboxes
query visibility themselves). Inbox: {len(figures.page)} requests of each kind,
taking turns; median (min-max) in milliseconds. Each inbox asks visibility for the
campaigns changed since its last look (at most one look a second) and for those
without `MopsChangedAt` (none here); the last row is the one visibility query the
inbox made before the index (every campaign waiting on Ana), listed and not rendered.

| Ana's inbox, {figures.rows:,} tasks | median (min-max) ms | p95 ms | ratio to the query |
|---|---:|---:|---:|
| inbox page (HTML) | {ms(figures.page)} | {p(figures.page, 0.95)} | {ratio_page:.2f} |
| `GET /api/tasks` (JSON) | {ms(figures.api)} | {p(figures.api, 0.95)} | {ratio_api:.2f} |
| the {figures.rows:,}-row query | {ms(figures.floor)} | {p(figures.floor, 0.95)} | 1.00 |

Decisions at {figures.rate:g} per second on a fixed schedule, in batches of {BATCH}
taking turns: through the app's API (`POST /api/tasks/{{campaign}}/review/decision`
until its answer is `confirmed`; {figures.pending} were first answered `pending`
and followed) and straight to the campaign as `mops approve` sends them.{refused}

| decision round trip | decisions | p50 ms | p95 ms | max ms |
|---|---:|---:|---:|---:|
| through the app | {trips(figures.app)} |
| straight to the campaign | {trips(figures.direct)} |
| ratio app / straight (p95) | | | {ratio_p95:.2f} | |
"""


async def _main(campaigns: int, mine: int, requests: int, decisions: int, rate: float) -> Figures:
    return await measure(
        campaigns=campaigns, mine=mine, requests=requests, decisions=decisions, rate=rate
    )


def main(argv: list[str] | None = None) -> None:
    args, command = options(
        "app", argv, campaigns=FULL, mine=MINE, requests=30, decisions=400, rate=20
    )
    figures = asyncio.run(
        _main(args.campaigns, args.mine, args.requests, args.decisions, float(args.rate))
    )
    write_section("The people's app", render(figures, command))
