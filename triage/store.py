"""triage's state in one SQLite file: how far each watched folder was read, and what was done with
each message handled (its label, the details, the draft written, or the error); never a body.

Only this module imports sqlite3. One daemon at a time owns a state file (`Store.open` locks
`<file>.lock`). A damaged file, or one from a newer triage, is never reset: the error says how to
move it aside. Senders and subjects are stored, so the file is readable by its owner only.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

BUSY_TIMEOUT_SECONDS = 5.0
STATUSES = ("done", "failed")
SQLITE_MAGIC = b"SQLite format 3\x00"
SAFE_TO_MOVE_ASIDE = "drafts already in Drafts are not duplicated, as triage searches Drafts first"


class StoreError(RuntimeError):
    """The state file cannot be used; the message names it and says what to do."""


class StoreLocked(StoreError):
    """Another process holds the state file's lock: two daemons sharing one state would race."""


@dataclass(frozen=True)
class Cursor:
    """How far one folder was read: the last ref handled, meaningful only under this validity."""

    validity: str
    last_ref: str
    updated_at: datetime


@dataclass(frozen=True)
class Record:
    """What is written for one handled message; never its body.

    `key` is the message's identity: its Message-ID, or "sha256:<hex>" when it has none.
    `details` and `standing` must be JSON-serialisable. `status` is "done" or "failed".
    """

    key: str
    folder: str
    validity: str
    ref: str
    message_id: str
    sender: str
    subject: str
    label: str
    confidence: float
    details: dict[str, Any]
    standing: dict[str, Any]
    action: str
    draft_message_id: str = ""
    status: str = "done"
    error: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")


@dataclass(frozen=True, kw_only=True)
class Row(Record):
    """A stored record. `attempts` counts the failed attempts; `first_seen` survives updates."""

    attempts: int
    first_seen: datetime
    updated_at: datetime


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []  # in order; a file's `PRAGMA user_version` counts those it had


def migration(step: Migration) -> Migration:
    """Add a schema step. Never edit or reorder a released one: files record having run it."""
    MIGRATIONS.append(step)
    return step


@migration
def m001_folders_and_messages(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE folders (
            folder TEXT PRIMARY KEY, validity TEXT NOT NULL, last_ref TEXT NOT NULL,
            updated_at TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE messages (
            key TEXT PRIMARY KEY, folder TEXT NOT NULL, validity TEXT NOT NULL, ref TEXT NOT NULL,
            message_id TEXT NOT NULL, sender TEXT NOT NULL, subject TEXT NOT NULL,
            label TEXT NOT NULL, confidence REAL NOT NULL,
            details TEXT NOT NULL, standing TEXT NOT NULL, -- JSON objects
            action TEXT NOT NULL, draft_message_id TEXT NOT NULL,
            status TEXT NOT NULL, attempts INTEGER NOT NULL, error TEXT NOT NULL,
            first_seen TEXT NOT NULL, updated_at TEXT NOT NULL)"""
    )
    db.execute("CREATE INDEX messages_by_ref ON messages (folder, validity, ref)")
    db.execute("CREATE INDEX messages_by_label ON messages (label)")


# A Record's fields are the messages table's columns, under the same names.
_FIELDS = [field.name for field in fields(Record)]
_UPSERT = (
    f"INSERT INTO messages ({', '.join(_FIELDS)}, attempts, first_seen, updated_at) "
    f"VALUES ({', '.join(':' + name for name in _FIELDS)}, :attempts, :now, :now) "
    "ON CONFLICT (key) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _FIELDS if name != "key")
    + ", attempts = messages.attempts + excluded.attempts, updated_at = excluded.updated_at"
)
_SET_CURSOR = """INSERT INTO folders (folder, validity, last_ref, updated_at)
VALUES (:folder, :validity, :last_ref, :now) ON CONFLICT (folder) DO UPDATE SET
validity = excluded.validity, last_ref = excluded.last_ref, updated_at = excluded.updated_at"""
_SELECT = f"SELECT {', '.join(_FIELDS)}, attempts, first_seen, updated_at FROM messages "


class Store:
    """An open state file; a writable one is locked for this process until `close()`.

    Writes are grouped into one transaction that only `commit()` (or `close()`) makes durable, so
    a crash loses at most the messages since the last commit; they are handled again.
    """

    def __init__(self, path: Path, db: sqlite3.Connection, lock: int | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = db
        self._lock = lock

    @classmethod
    def open(cls, path: Path, readonly: bool = False) -> Store:
        """Lock, check and migrate the state file, creating it (and its folder) when missing.

        `readonly` is for reports while `triage run` holds the lock: no lock, no migration and
        no writes; a missing or outdated file is an error instead of being created or upgraded.
        """
        lock = None if readonly else _take_lock(path)
        try:
            return cls(path, _connect(path, readonly), lock)
        except BaseException:
            if lock is not None:
                os.close(lock)
            raise

    def close(self) -> None:
        """Commit, close the database and release the lock; calling it again does nothing."""
        if self._db is None:
            return
        try:
            self.commit()
        finally:
            self._db.close()
            self._db = None
            if self._lock is not None:
                os.close(self._lock)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        """The connection; SQLite's errors become StoreError, as callers cannot import sqlite3."""
        if self._db is None:
            raise StoreError(f"The state file {self.path} was already closed.")
        try:
            yield self._db
        except sqlite3.Error as exc:
            message = f"Could not read or write the state file {self.path}: {exc}."
            raise StoreError(message + " Check the free disk space and its permissions.") from exc

    def _fetch(self, sql: str, *params: object) -> list[Any]:
        with self._sql() as db:
            return db.execute(sql, [_storable(value) for value in params]).fetchall()

    def _write(self, sql: str, params: Mapping[str, object]) -> None:
        """Run one write in the open transaction, beginning one if needed (see `commit`)."""
        with self._sql() as db:
            if not db.in_transaction:
                db.execute("BEGIN IMMEDIATE")
            db.execute(sql, {name: _storable(value) for name, value in params.items()})

    def commit(self) -> None:
        """Make the writes since the last commit durable."""
        with self._sql() as db:
            db.commit()

    def cursor(self, folder: str) -> Cursor | None:
        """The folder's stored validity and last ref handled, or None before its first run."""
        sql = "SELECT validity, last_ref, updated_at FROM folders WHERE folder = ?"
        found = self._fetch(sql, folder)
        return next((Cursor(v, ref, datetime.fromisoformat(at)) for v, ref, at in found), None)

    def set_cursor(self, folder: str, validity: str, last_ref: str) -> None:
        """Remember the last ref handled in a folder (durable at the next commit)."""
        params = {"folder": folder, "validity": validity, "last_ref": last_ref, "now": _now()}
        self._write(_SET_CURSOR, params)

    def get(self, key: str) -> Row | None:
        """The stored row for a message key, if any."""
        found = self._fetch(_SELECT + "WHERE key = ?", key)
        return _row(found[0]) if found else None

    def is_done(self, key: str) -> bool:
        """Whether the message was handled successfully (failed ones may be retried)."""
        return bool(self._fetch("SELECT 1 FROM messages WHERE key = ? AND status = 'done'", key))

    def known_refs(self, folder: str, validity: str) -> set[str]:
        """Refs of the messages in that folder and validity that have a row, done or failed."""
        sql = "SELECT ref FROM messages WHERE folder = ? AND validity = ?"
        return {ref for (ref,) in self._fetch(sql, folder, validity)}

    def record(self, record: Record) -> None:
        """Insert or update the row for `record.key` (durable at the next commit).

        A failed record adds one to the row's attempts; a done one leaves them as they were.
        The time the message was first seen is kept.
        """
        values = asdict(record) | {
            "confidence": float(record.confidence),
            "details": json.dumps(record.details, sort_keys=True),
            "standing": json.dumps(record.standing, sort_keys=True),
            "attempts": int(record.status == "failed"),
            "now": _now(),
        }
        self._write(_UPSERT, values)

    def retry_refs(self, folder: str, validity: str, max_attempts: int = 3) -> list[str]:
        """Refs of failed messages in that folder and validity tried fewer than `max_attempts`."""
        sql = """SELECT ref FROM messages WHERE folder = ? AND validity = ? AND status = 'failed'
            AND attempts < ? ORDER BY first_seen, rowid"""
        return [ref for (ref,) in self._fetch(sql, folder, validity, max_attempts)]

    def history(self, label: str | None = None, limit: int | None = None) -> list[Row]:
        """Rows, most recently updated first; only those with `label`, at most `limit`, if given."""
        where, params = ("WHERE label = ? ", [label]) if label is not None else ("", [])
        sql = _SELECT + where + "ORDER BY updated_at DESC, rowid DESC LIMIT ?"
        return [_row(row) for row in self._fetch(sql, *params, -1 if limit is None else limit)]

    def counts(self) -> dict[str, int]:
        """How many rows have each status ("done", "failed"), for summaries."""
        found = self._fetch("SELECT status, COUNT(*) FROM messages GROUP BY status")
        return dict.fromkeys(STATUSES, 0) | {status: count for status, count in found}


def _take_lock(path: Path) -> int:
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


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    """Open the file and refuse it if damaged or newer; to write, switch to WAL and migrate."""
    if not path.exists():
        if readonly:
            raise StoreError(f"No state file at {path} yet: `triage run` creates it.")
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    _refuse(path, *_read_header(path))
    db = None
    try:
        uri = f"{path.resolve().as_uri()}?mode={'ro' if readonly else 'rw'}"
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        version, problem = _inspect(db)
        if problem or version > len(MIGRATIONS):
            db.close()  # first, so the WAL files SQLite made to read it are gone from the advice
            _refuse(path, version, problem)
        if readonly and version < len(MIGRATIONS):
            raise StoreError(f"The state file {path} is outdated: `triage run` upgrades it.")
        if not readonly:
            _prepare(db, path, version)
    except BaseException as exc:
        if db is not None:
            db.close()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"Could not open the state file {path}: {exc}.") from exc
        raise
    db.row_factory = sqlite3.Row
    return db


def _prepare(db: sqlite3.Connection, path: Path, version: int) -> None:
    """Make a sound file ready for writing: WAL journal, current schema, private mode."""
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    _migrate(db, version)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def _read_header(path: Path) -> tuple[int, str]:
    """The schema version and any problem, from the header alone: read before SQLite opens the
    file, because SQLite replays or deletes a WAL file beside even a file it cannot read."""
    with path.open("rb") as file:
        header = file.read(100)
    problem = "" if header.startswith(SQLITE_MAGIC) or not header else "no SQLite header"
    return int.from_bytes(header[60:64], "big"), problem  # offset 60: user_version


def _inspect(db: sqlite3.Connection) -> tuple[int, str]:
    """The schema version and any damage `PRAGMA quick_check` finds in the pages."""
    try:
        problems = [problem for (problem,) in db.execute("PRAGMA quick_check")]
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.OperationalError:
        raise  # locked or unreadable: not a verdict on the file's content
    except sqlite3.DatabaseError as exc:
        return 0, str(exc)
    return version, "" if problems == ["ok"] else "; ".join(problems[:3])


def _refuse(path: Path, version: int, problem: str) -> None:
    """Raise for a file triage must leave as it is: damaged, or written by a newer triage."""
    if problem:
        raise StoreError(
            f"The state file {path} is not a SQLite database or is damaged ({problem}). Move it "
            f"aside with `{_move_aside(path, '.broken')}` and run again: {SAFE_TO_MOVE_ASIDE}."
        )
    if version > len(MIGRATIONS):
        raise StoreError(
            f"The state file {path} was written by a newer triage (schema version {version}; "
            f"this one knows up to {len(MIGRATIONS)}). Upgrade triage, or move the file aside "
            f"with `{_move_aside(path, '.newer')}` and run again: {SAFE_TO_MOVE_ASIDE}."
        )


def _move_aside(path: Path, suffix: str) -> str:
    """The mv command for the file, and for the WAL file beside it when that holds writes."""
    wal = Path(f"{path}-wal")
    tails = ["", "-wal"] if wal.is_file() and wal.stat().st_size else [""]
    moves = [f"mv {shlex.quote(f'{path}{t}')} {shlex.quote(f'{path}{suffix}{t}')}" for t in tails]
    return " && ".join(moves)


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """Run the steps the file has not had, each in one transaction with its new version."""
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        try:
            db.execute("BEGIN IMMEDIATE")
            step(db)
            db.execute(f"PRAGMA user_version = {number:d}")
            db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise


def _row(found: sqlite3.Row) -> Row:
    values = dict(zip(found.keys(), found, strict=True))
    values["details"] = json.loads(values["details"])
    values["standing"] = json.loads(values["standing"])
    values["first_seen"] = datetime.fromisoformat(values["first_seen"])
    values["updated_at"] = datetime.fromisoformat(values["updated_at"])
    return Row(**values)


def _storable(value: object) -> object:
    """Text as SQLite can hold it: lone surrogates (from undecodable headers) become '?'."""
    return value.encode("utf-8", "replace").decode("utf-8") if isinstance(value, str) else value


def _now() -> str:
    """ISO 8601 in UTC, to the microsecond: sorts as text, so `history` can order by it."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
