"""``mops serve --with-worker`` as a user starts it, in a private folder: its process
files, its team directory, local accounts made with ``mops user add``; for the tests
that drive it from outside (a real browser, curl)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from mops_cli import MOPS, Mops, free_port
from waiting import wait_until
from web_support import TEAM

PASSWORD = "correct horse battery"


class Served:
    """The app of one private state folder, serving on a free port of 127.0.0.1."""

    def __init__(
        self,
        folder: Path,
        processes: dict[str, str],
        env: dict[str, str] | None = None,
        operators: tuple[str, ...] = ("olga",),
    ) -> None:
        (folder / "processes").mkdir()
        for name, text in processes.items():
            (folder / "processes" / f"{name}.mops").write_text(text)
        self.folder = folder
        self.mops = Mops(folder / "state")
        self.mops.use_team(folder, TEAM)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Relative to the folder the app runs in, as a user names it: pages and
        # histories show processes/NAME.mops.
        self.mops.env.update(MOPS_PROCESSES="processes", **(env or {}))
        for person in ("cleo", "ana", "max", "zoe", "olga"):
            self.user("add", person, *(["--operator"] if person in operators else []))
        self.process = subprocess.Popen(
            [str(MOPS), "serve", "--with-worker", "--port", str(self.port)],
            env=self.mops.env,
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

        def answers() -> bool:
            try:
                return httpx.get(f"{self.url}/login", timeout=5).status_code == 200
            except httpx.HTTPError:
                assert self.process.poll() is None, (
                    self.process.stdout and self.process.stdout.read()
                )
                return False

        wait_until(answers, what="mops serve to answer")

    def user(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(MOPS), "user", *args, "--password-stdin"],
            input=PASSWORD + "\n",
            env=self.mops.env,
            capture_output=True,
            text=True,
            check=False,
            cwd=self.folder,
        )
        assert done.returncode == 0, done.stderr
        return done

    def stop(self) -> None:
        self.process.terminate()
        said, _ = self.process.communicate(timeout=120)
        print(f"mops serve said:\n{said}")  # shown by pytest when a test fails
        self.mops("server", "stop", timeout=60)
