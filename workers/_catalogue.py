"""The action catalogue as data: what the checker needs, without importing a connector.

Checking, formatting and drawing a process must not pay for the Temporal SDK,
httpx and every connector just to learn which actions exist. So the signatures
come as data:

- the built-in actions' signatures are a file kept beside this module
  (``builtin_actions.json``), generated from the registry by
  ``python -m workers._catalogue --write``; a test proves it equals what the
  registry exports;
- a plugin's signatures (``mops.actions`` entry points) are read from a cache
  made the first time the plugin is seen, keyed by the entry point and the
  installed distribution's name, version and install time. A plugin installed
  in editable mode (its code changes without a reinstall) is loaded every time;
- that there is no plugin at all is remembered too, keyed by the folders
  Python finds distributions in and the time each last changed (installing or
  removing a distribution adds or removes a folder in one of them): then not
  even ``importlib.metadata`` is imported (0.03 s, a tenth of ``mops check``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsl import ActionSignature, Catalogue, kept_file_command
from workers._group import ENTRY_POINT_GROUP

if TYPE_CHECKING:
    from importlib.metadata import Distribution, EntryPoint

__all__ = [
    "BUILTIN_CATALOGUE",
    "ENTRY_POINT_GROUP",
    "action_catalogue",
    "builtin_signatures",
    "plugin_signatures",
]

BUILTIN_CATALOGUE = Path(__file__).with_name("builtin_actions.json")
"""The checked-in signatures of the built-in actions."""

_CACHE_FORMAT = 1


def builtin_signatures() -> tuple[ActionSignature, ...]:
    """The built-in actions' signatures, read from the checked-in file."""
    data = json.loads(BUILTIN_CATALOGUE.read_text(encoding="utf-8"))
    return tuple(ActionSignature.from_data(each) for each in data["actions"])


def action_catalogue(*, entry_points: bool = True) -> Catalogue:
    """Every action a process may call: the built-ins and, unless disabled, the plugins'.

    Raises:
        UserError: a plugin fails to load or clashes with another action (only
            when its signatures are not cached yet).
    """
    signatures = list(builtin_signatures())
    if entry_points:
        signatures.extend(plugin_signatures())
    return Catalogue(signatures)


def plugin_signatures() -> tuple[ActionSignature, ...]:
    """The signatures of the actions installed plugins declare, from the cache when fresh."""
    none_here = _no_plugins_file()
    if none_here is not None and none_here.is_file():
        return ()
    from importlib.metadata import entry_points

    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value))
    if not found:
        if none_here is not None:
            _write_marker(none_here)
        return ()
    key = _cache_key(found)
    cached = None if key is None else _read_cache(key)
    if cached is not None:
        return cached
    signatures = _load_plugins()
    if key is not None:
        _write_cache(key, signatures)
    return signatures


def _no_plugins_file() -> Path | None:
    """The file that says no distribution on this ``sys.path``, as it is now, has plugins."""
    parts = [str(_CACHE_FORMAT), sys.version.split()[0], ENTRY_POINT_GROUP]
    for folder in sys.path:
        try:
            changed = Path(folder or ".").stat().st_mtime_ns
        except OSError:
            changed = 0
        parts.append(f"{folder}@{changed}")
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return _cache_folder() / "actions" / f"no-plugins-{key}"


def _write_marker(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError:
        pass  # a read-only home: looked for again next time


def _load_plugins() -> tuple[ActionSignature, ...]:
    # The slow path: import the plugins (and with them the worker side) once.
    from workers._registry import load_registry

    builtin = {s.name for s in builtin_signatures()}
    return tuple(s for s in load_registry().signatures() if s.name not in builtin)


def _cache_key(found: Sequence[EntryPoint]) -> str | None:
    """What the plugins' signatures depend on; None when one of them may change unseen."""
    parts: list[str] = [str(_CACHE_FORMAT), sys.version.split()[0]]
    for entry_point in found:
        dist = entry_point.dist
        if dist is None or _editable(dist):
            return None
        installed = _installed_at(dist)
        if installed is None:
            return None
        parts.append(
            f"{entry_point.name}={entry_point.value}@{dist.name}=={dist.version}:{installed}"
        )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _editable(dist: Distribution) -> bool:
    text = dist.read_text("direct_url.json")
    if not text:
        return False
    try:
        info: Any = json.loads(text)
    except ValueError:
        return True
    return bool(isinstance(info, dict) and info.get("dir_info", {}).get("editable"))


def _installed_at(dist: Distribution) -> str | None:
    # The metadata folder is written anew by every install of the distribution.
    path = getattr(dist, "_path", None)
    try:
        return None if path is None else str(Path(path).stat().st_mtime_ns)
    except OSError:
        return None


def _cache_folder() -> Path:
    configured = os.environ.get("MOPS_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mops"


def _cache_file(key: str) -> Path:
    return _cache_folder() / "actions" / f"{key}.json"


def _read_cache(key: str) -> tuple[ActionSignature, ...] | None:
    try:
        data = json.loads(_cache_file(key).read_text(encoding="utf-8"))
        return tuple(ActionSignature.from_data(each) for each in data["actions"])
    except (OSError, ValueError, KeyError, TypeError):
        # Missing, unreadable or from another version: made again.
        return None


def _write_cache(key: str, signatures: Iterable[ActionSignature]) -> None:
    path = _cache_file(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(_dump(signatures), encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass  # a read-only home: the plugins are loaded again next time


def _dump(signatures: Iterable[ActionSignature]) -> str:
    actions = [s.to_data() for s in signatures]
    return json.dumps({"format": _CACHE_FORMAT, "actions": actions}, indent=2) + "\n"


def generated_builtin_catalogue() -> str:
    """The text ``builtin_actions.json`` must hold: the registry's built-in signatures."""
    from workers._registry import builtin_registry

    return _dump(builtin_registry().signatures())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m workers._catalogue [--write]``: check (or rewrite) the built-in catalogue."""
    return kept_file_command(
        BUILTIN_CATALOGUE, generated_builtin_catalogue, "workers._catalogue", argv
    )


if __name__ == "__main__":
    sys.exit(main())
