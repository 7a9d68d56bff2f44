"""The state file as a file: its lock, its header, and refusing one triage must not touch.

Kept apart from store.py (the SQLite schema and queries) so each stays small. Nothing here opens
the database: the header is read before SQLite does, because SQLite replays or deletes a WAL
file beside even a file it cannot read.
"""

from __future__ import annotations

import fcntl
import os
import shlex
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
SAFE_TO_MOVE_ASIDE = "drafts already in Drafts are not duplicated, as triage searches Drafts first"


class StoreError(RuntimeError):
    """The state file cannot be used; the message names it and says what to do."""


class StoreLocked(StoreError):
    """Another process holds the state file's lock: two daemons sharing one state would race."""


def take_lock(path: Path) -> int:
    """Lock `<path>.lock`, creating the folder (0700) and the lock file; the lock dies with us."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        message = f"Could not create {path}: {exc.strerror}. Check that {path.parent} is writable."
        raise StoreError(message) from exc
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(lock)
        raise StoreLocked(
            f"The state file {path} is locked: another `triage run` seems to be using it "
            f"(it holds {lock_path}). Stop that one first, or give this one its own state file."
        ) from exc
    return lock


def read_header(path: Path) -> tuple[int, str]:
    """The schema version and any problem, from the header alone: read before SQLite opens the
    file, because SQLite replays or deletes a WAL file beside even a file it cannot read."""
    with path.open("rb") as file:
        header = file.read(100)
    problem = "" if header.startswith(SQLITE_MAGIC) or not header else "no SQLite header"
    return int.from_bytes(header[60:64], "big"), problem  # offset 60: user_version


def refuse(path: Path, version: int, problem: str, known: int) -> None:
    """Raise for a file triage must leave as it is: damaged, or written by a newer triage."""
    if problem:
        raise StoreError(
            f"The state file {path} is not a SQLite database or is damaged ({problem}). Move it "
            f"aside with `{move_aside(path, '.broken')}` and run again: {SAFE_TO_MOVE_ASIDE}."
        )
    if version > known:
        raise StoreError(
            f"The state file {path} was written by a newer triage (schema version {version}; "
            f"this one knows up to {known}). Upgrade triage, or move the file aside "
            f"with `{move_aside(path, '.newer')}` and run again: {SAFE_TO_MOVE_ASIDE}."
        )


def move_aside(path: Path, suffix: str) -> str:
    """The mv command for the file, and for the WAL file beside it when that holds writes."""
    wal = Path(f"{path}-wal")
    tails = ["", "-wal"] if wal.is_file() and wal.stat().st_size else [""]
    moves = [f"mv {shlex.quote(f'{path}{t}')} {shlex.quote(f'{path}{suffix}{t}')}" for t in tails]
    return " && ".join(moves)
