"""Dovecot's Maildir keywords: the `dovecot-keywords` file that maps keyword names to the
letters a-z in message file names, read and extended under Dovecot's own lock-file protocol.

A helper of maildir.py, kept apart so each module stays small.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import BinaryIO

from triage.mailbox import MailboxError

KEYWORDS_FILE = "dovecot-keywords"
KEYWORD_LETTERS = "abcdefghijklmnopqrstuvwxyz"
LOCK_WAIT_SECONDS = 2.0
# A lock this old is taken over even if someone might hold it (Dovecot's own rule of thumb).
LOCK_STALE_SECONDS = 120.0


def read_keywords(folder: Path) -> dict[int, str]:
    """Index -> name from `dovecot-keywords`; malformed lines are skipped, as Dovecot does."""
    try:
        text = (folder / KEYWORDS_FILE).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return {}
    names: dict[int, str] = {}
    for line in text.splitlines():
        index, _, name = line.partition(" ")
        if index.isascii() and index.isdigit() and int(index) < len(KEYWORD_LETTERS) and name:
            names[int(index)] = name
    return names


def _index_of(names: dict[int, str], keyword: str) -> int | None:
    """Dovecot compares keyword names without regard to case."""
    return next((i for i, name in names.items() if name.lower() == keyword.lower()), None)


def keyword_index(folder: Path, keyword: str) -> int | None:
    """The keyword's index in `dovecot-keywords`, adding it when new; None when all are taken.

    The new file is written as `dovecot-keywords.lock` (created exclusively, which keeps two
    triage processes apart) and renamed over the old one, as Dovecot itself does.
    """
    index = _index_of(read_keywords(folder), keyword)
    if index is not None:
        return index
    lock = folder / f"{KEYWORDS_FILE}.lock"
    handle = _take_lock(lock)
    try:
        with handle:
            names = read_keywords(folder)
            index = _index_of(names, keyword)
            free = [i for i in range(len(KEYWORD_LETTERS)) if i not in names]
            if index is not None or not free:
                lock.unlink()
                return index
            names[free[0]] = keyword
            handle.write("".join(f"{i} {names[i]}\n" for i in sorted(names)).encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(lock, folder / KEYWORDS_FILE)
    except BaseException:
        lock.unlink(missing_ok=True)
        raise
    return free[0]


def _take_lock(lock: Path) -> BinaryIO:
    """Create the lock file exclusively, waiting briefly for another holder.

    triage holds an flock on its lock files while it writes, so a lock nobody flocks that is
    over a second old was left by a triage that was killed (Dovecot holds its own for
    milliseconds) and is taken over; any lock over LOCK_STALE_SECONDS old is too.
    """
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        with contextlib.suppress(FileExistsError):
            handle = create_private(lock)
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        with contextlib.suppress(FileNotFoundError):
            age = time.time() - lock.stat().st_mtime
            if age > LOCK_STALE_SECONDS or (age > 1.0 and _abandoned(lock)):
                lock.unlink()
                continue
            if time.monotonic() > deadline:
                raise MailboxError(f"{lock} is held by another program; if none is, delete it.")
            time.sleep(0.05)


def _abandoned(lock: Path) -> bool:
    """Whether no living process holds an flock on the lock file."""
    with lock.open("rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def create_private(path: Path) -> BinaryIO:
    """A new file only the user can read; FileExistsError if the name is taken."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
