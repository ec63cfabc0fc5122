"""The local installation, read with the standard library only: its settings, its
private state folder, the record of the running embedded server, and a campaign's
status through that server's HTTP API.

Nothing here imports the Temporal SDK or pydantic, so that ``mops status`` on the
embedded server starts in a fraction of what importing the SDK costs
(docs/benchmarks.md). :mod:`engine.client` builds on it: it writes the record,
manages the server and answers everything else through the SDK.
"""

from engine.local._record import HOST, RECORD_FILE, accepts, http_api_of_running_server, is_alive
from engine.local._settings import DEFAULT_TASK_QUEUE, LocalSettings, local_settings
from engine.local._state_dir import keep_private, private_folder, write_private
from engine.local._status import Unanswered, embedded_http_api, status_document

__all__ = [
    "DEFAULT_TASK_QUEUE",
    "HOST",
    "RECORD_FILE",
    "LocalSettings",
    "Unanswered",
    "accepts",
    "embedded_http_api",
    "http_api_of_running_server",
    "is_alive",
    "keep_private",
    "local_settings",
    "private_folder",
    "status_document",
    "write_private",
]
