"""The actions every MOps Flow worker offers."""

from typing import Any

from workers._action import Action
from workers.builtins import notify, webhook
from workers.builtins.email import send
from workers.builtins.export import export_csv, export_json
from workers.builtins.http import post, request
from workers.builtins.log import info

__all__ = ["BUILTIN_ACTIONS"]

BUILTIN_ACTIONS: tuple[Action[Any, Any], ...] = (
    export_csv,
    export_json,
    send,
    info,
    post,
    request,
    webhook.post,
    notify.send,
)
"""Every built-in action."""
