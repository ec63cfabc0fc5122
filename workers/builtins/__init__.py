"""The actions every MOps Flow worker offers."""

from typing import Any

from workers import Action
from workers.builtins.http import post
from workers.builtins.log import info

__all__ = ["BUILTIN_ACTIONS"]

BUILTIN_ACTIONS: tuple[Action[Any, Any], ...] = (info, post)
"""Every built-in action."""
