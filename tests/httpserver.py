"""A real HTTP server on 127.0.0.1 that records what actions send it.

Use the ``http_server`` fixture (``from httpserver import http_server``)
or :meth:`RecordingServer.running` directly. Tell it how to answer with
:meth:`RecordingServer.answer` (every request) or :meth:`RecordingServer.answer_next`
(the next request only, queued in order).
"""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = ["Answer", "RecordedRequest", "RecordingServer", "http_server"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes
    json: Any
    """The body parsed as JSON, or None when it is not JSON."""


@dataclass(frozen=True)
class Answer:
    """How the server answers a request."""

    status: int = 200
    body: str = '{"ok": true}'
    content_type: str = "application/json"
    delay: float = 0.0
    """Seconds to wait before answering."""
    headers: dict[str, str] = field(default_factory=dict)
    chunk_size: int = 0
    """Send the body in pieces of this many bytes (0: all at once) ..."""
    chunk_delay: float = 0.0
    """... waiting this many seconds before each piece: a slow answer."""


class RecordingServer:
    """A threaded HTTP server that records requests and answers as told."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[RecordedRequest] = []
        self.by_idempotency_key: Counter[str] = Counter()
        self.applied: list[RecordedRequest] = []
        """Requests acted on, as an idempotent receiver does: the first per key (and
        every request without a key). A repeat of a key is answered, not applied."""
        self._answer = Answer()
        self._queued: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        # A short poll interval: stopping the server waits for one poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @classmethod
    @contextmanager
    def running(cls, host: str = "127.0.0.1") -> Iterator[RecordingServer]:
        """Start a server on ``host`` (any loopback address), yield it, and stop it
        (also waking delayed answers)."""
        server = cls(host)
        server._thread.start()
        try:
            yield server
        finally:
            server._closing.set()
            server._server.shutdown()
            server._server.server_close()
            server._thread.join(timeout=5)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        port: int = self._server.server_address[1]
        return port

    @property
    def url(self) -> str:
        """The server's base URL, without a trailing slash."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, answer: Answer | None = None, /, **fields: Any) -> None:
        """Answer every later request this way (``Answer`` fields as keywords)."""
        with self._lock:
            self._answer = answer or Answer(**fields)

    def answer_next(self, answer: Answer | None = None, /, **fields: Any) -> None:
        """Answer the next unanswered request this way, then go back to the default."""
        with self._lock:
            self._queued.append(answer or Answer(**fields))

    def _record(self, request: RecordedRequest) -> Answer:
        with self._lock:
            self.requests.append(request)
            key = request.headers.get("idempotency-key")
            if key is None or key not in self.by_idempotency_key:
                self.applied.append(request)
            if key is not None:
                self.by_idempotency_key[key] += 1
            return self._queued.popleft() if self._queued else self._answer


def _handler_for(server: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._handle()

        def do_GET(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_PATCH(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                parsed = None
            answer = server._record(
                RecordedRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    json=parsed,
                )
            )
            # Wait on the closing event, not sleep: stopping the server ends the wait.
            if answer.delay and server._closing.wait(answer.delay):
                return
            payload = answer.body.encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                size = answer.chunk_size or len(payload) or 1
                for start in range(0, len(payload), size):
                    if answer.chunk_delay and server._closing.wait(answer.chunk_delay):
                        return
                    self.wfile.write(payload[start : start + size])
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first, e.g. on its timeout

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


@pytest.fixture
def http_server() -> Iterator[RecordingServer]:
    """A running :class:`RecordingServer`, stopped after the test."""
    with RecordingServer.running() as server:
        yield server
