"""The people's app (``mops serve``): a web inbox and task pages for approvers and
assignees, campaigns and audit for operators and auditors, and a JSON API with
signed inbound events for the marketing stack. One ASGI application (FastAPI),
served by uvicorn; it signs what people do with its own key (``app:NAME``).
"""

from mops.web._app import create_app, directory_file, make_backend
from mops.web._auth import hash_password, new_token
from mops.web._backend import Backend
from mops.web._settings import WebSettings, app_signer, integration_signer, trust_entry
from mops.web._store import Integration, Store

__all__ = [
    "Backend",
    "Integration",
    "Store",
    "WebSettings",
    "app_signer",
    "create_app",
    "directory_file",
    "hash_password",
    "integration_signer",
    "make_backend",
    "new_token",
    "trust_entry",
]
