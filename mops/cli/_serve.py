"""``mops serve``: the people's app, on the embedded server or any cluster; with
``--with-worker`` a worker runs in the same process (the one-machine default)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path

import uvicorn

from engine.client import Settings, keep_embedded_server, link_key_path, load_trust, trust_path
from engine.contracts import register_trust
from engine.errors import UserError
from mops.cli._commands import summary
from mops.cli._connect import connected, trust
from mops.web import Backend, WebSettings, create_app, directory_file, make_backend, trust_entry


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("serve", help=summary("serve"))
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    parser.add_argument(
        "--with-worker",
        action="store_true",
        help="run a worker in the same process (the one-machine default)",
    )
    parser.add_argument(
        "--processes", type=Path, metavar="DIR", help="process files operators may start"
    )
    parser.set_defaults(handler=run)


def _say(message: str) -> None:
    print(f"mops serve: {message}", file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UserError(f"--port {args.port} is not a port number")
    client, info, settings = await connected()
    web = WebSettings.from_env(settings, host=args.host, port=args.port)
    if args.processes is not None:
        if not args.processes.is_dir():
            raise UserError(f"--processes {args.processes}: not a folder")
        web = web.model_copy(update={"processes": args.processes})
    backend = make_backend(
        client,
        web,
        settings,
        directory_file(os.environ.get("MOPS_DIRECTORY"), Path.cwd()),
        connection=info,
    )
    app = create_app(backend)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=os.environ.get("MOPS_APP_LOG", "warning"),
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    stop = asyncio.Event()
    worker = None
    if args.with_worker:
        follower = TrustFollower(settings)
        backend.refresh_trust = follower.refresh
        worker = asyncio.create_task(_worker(settings, stop, web, follower))
    watching = (
        asyncio.create_task(keep_embedded_server(settings, say=_say)) if info.embedded else None
    )
    where = "embedded server" if info.embedded else "cluster"
    _say(
        f"the people's app at {web.base_url} ({where} {info.address}, task queue "
        f"'{settings.task_queue}'{', with a worker' if args.with_worker else ''}); "
        f"app key {backend.signer.key_id} ({backend.signer.holder}); Ctrl-C to stop"
    )
    if os.environ.get("MOPS_APP_KEY"):
        _say(f"the workers' trust file (MOPS_TRUST_FILE) must hold this entry:\n{_entry(backend)}")
    try:
        await server.serve()  # until SIGINT or SIGTERM
    finally:
        stop.set()
        if worker is not None:
            await worker  # running tasks finish first
        if watching is not None:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
    return 0


def _entry(backend: Backend) -> str:
    """The app key's trust-file entry, as a cluster's operators add it."""
    signer = backend.signer
    lines = [f'[keys."{signer.key_id}"]']
    entry = trust_entry(signer, signer.holder).model_dump(mode="json", exclude_none=True)
    lines += [f"{name} = {json.dumps(value)}" for name, value in entry.items()]
    return "\n".join(lines)


async def _worker(
    settings: Settings, stop: asyncio.Event, web: WebSettings, follower: TrustFollower
) -> None:
    """The same worker ``mops worker`` runs, in this process."""
    from pydantic import ValidationError

    from mops.cli._prepare import registry
    from workers import (
        WORKFLOWS,
        WorkerConfig,
        build_worker,
        run_worker,
        settings_problem,
        workflow_runner,
    )

    try:
        config = WorkerConfig.from_env()
    except ValidationError as error:
        raise UserError(f"worker setting: {settings_problem(error)}") from None
    if config.app_url is None:
        # Its notices link to this very app, and carry approve-by-email links.
        config = config.model_copy(
            update={"app_url": web.base_url, "link_key_file": link_key_path(settings.state_dir)}
        )
    client, _info, _settings = await connected(settings)
    worker = build_worker(
        client,
        task_queue=settings.task_queue,
        registry=registry(),
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(),
        config=config,
        trust=trust(settings),
    )
    following = asyncio.create_task(follower.follow(stop))
    try:
        await run_worker(worker, stop=stop, install_signal_handlers=False)
    finally:
        following.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await following


class TrustFollower:
    """The trust file of the worker in this process, read again when it changes: a key
    added while the app runs (``mops user integration`` makes one per integration) is
    trusted without a restart — checked every few seconds, and by the events endpoint
    just before it delivers. A separate ``mops worker`` reads the file when it starts."""

    def __init__(self, settings: Settings) -> None:
        self.path = trust_path(settings.state_dir)
        self.task_queue = settings.task_queue
        self.seen: float | None = None

    def refresh(self) -> None:
        try:
            stamp = self.path.stat().st_mtime
        except OSError:
            return
        if stamp == self.seen:
            return
        try:
            register_trust(self.task_queue, load_trust(self.path))
        except UserError as error:
            _say(f"the trust file changed but cannot be read, keeping the keys: {error}")
            return
        self.seen = stamp

    async def follow(self, stop: asyncio.Event, every: float = 2.0) -> None:
        while not stop.is_set():
            self.refresh()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
