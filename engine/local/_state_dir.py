"""The state folder of the embedded server: private to its owner.

It holds the server's SQLite file (every campaign's inputs, decisions and
comments), its log and the records ``mops`` keeps. A folder others can read or
write is tightened to ``0700`` when it is ours, and refused with a clear message
when it is not; the files in it are ``0600`` whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from engine.errors import UserError

PRIVATE_FILES = ("temporal.db", "temporal.db-wal", "temporal.db-shm", "server.log")
"""Files the server writes (SQLite and its journals, the log): kept 0600."""


def private_folder(folder: Path) -> None:
    """Create ``folder`` 0700, or make an existing one private.

    Raises:
        UserError: it belongs to someone else, is not a folder, or cannot be tightened.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        found = folder.lstat()
    except OSError as error:
        raise UserError(f"cannot use the state folder {folder}: {error.strerror}") from None
    if stat.S_ISLNK(found.st_mode) or not stat.S_ISDIR(found.st_mode):
        raise UserError(
            f"the state folder {folder} is not a folder (a link or a file)",
            hint="point MOPS_HOME at a folder of your own",
        )
    if found.st_uid != os.geteuid():
        raise UserError(
            f"the state folder {folder} belongs to another user (uid {found.st_uid})",
            hint="point MOPS_HOME at a folder of your own: the server's database holds "
            "every campaign's inputs and decisions",
        )
    if found.st_mode & 0o077:
        try:
            folder.chmod(0o700)
        except OSError as error:
            raise UserError(
                f"the state folder {folder} can be read or written by others "
                f"(mode {stat.S_IMODE(found.st_mode):04o}) and cannot be made private: "
                f"{error.strerror}",
                hint=f"chmod 700 {folder}",
            ) from None


def keep_private(folder: Path) -> None:
    """Make the server's files in ``folder`` 0600 (the server creates them 0644)."""
    for name in PRIVATE_FILES:
        with contextlib.suppress(FileNotFoundError, PermissionError):
            (folder / name).chmod(0o600)


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` 0600, whole or not at all (readers never see half a record)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as out:  # mkstemp makes it 0600
            out.write(data)
        Path(temp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise
