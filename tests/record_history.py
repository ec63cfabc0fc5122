"""Record a history for the replay suite: ``python -m tests.record_history PROCESS OUT.json``.

Runs the process on a fresh time-skipping server with the stand-ins and the
auto-responder of process_runs.py (``--inputs`` gives the inputs as a JSON
object; by default inputs without a default get sample values) and writes the
finished campaign's history as JSON. Keep it as
``tests/histories/<process>/<what it shows>.json``: tests/test_replay.py
replays every history under tests/histories on every change.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from process_runs import replayer, run_to_the_end
from support import time_skipping_server_path
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment


async def record(process: Path, inputs: dict[str, object] | None) -> tuple[str, str]:
    """The finished campaign's history as JSON, and a line about it."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=time_skipping_server_path(),
    )
    try:
        result, history = await run_to_the_end(env, process, inputs=inputs)
    finally:
        await env.shutdown()
    await replayer().replay_workflow(history, raise_on_replay_failure=True)
    return history.to_json(), f"{len(history.events)} events, outputs {result['outputs']}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.record_history")
    parser.add_argument("process", type=Path, help="a .mops file, e.g. processes/blog_post.mops")
    parser.add_argument("out", type=Path, help="e.g. tests/histories/blog_post/sample.json")
    parser.add_argument("--inputs", help="the campaign's inputs as a JSON object")
    args = parser.parse_args()
    inputs = None if args.inputs is None else json.loads(args.inputs)
    recorded, about = asyncio.run(record(args.process.resolve(), inputs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(recorded)
    print(f"{args.out}: {about}")


if __name__ == "__main__":
    main()
