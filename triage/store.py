"""triage's state in one SQLite file: how far each watched folder was read, and what was done with
each message handled (its label, the details, the draft written, or the error); never a body.

Only this module imports sqlite3. One daemon at a time owns a state file (`Store.open` locks
`<file>.lock`). A damaged file, or one from a newer triage, is never reset: the error says how to
move it aside. Senders and subjects are stored, so the file is readable by its owner only.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from triage.statefile import StoreError, StoreLocked, read_header, refuse, take_lock

__all__ = ["Correction", "Cursor", "Record", "Row", "Store", "StoreError", "StoreLocked"]

BUSY_TIMEOUT_SECONDS = 5.0
STATUSES = ("done", "failed")


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


@migration
def m002_corrections(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE corrections (
            key TEXT PRIMARY KEY, message_id TEXT NOT NULL, subject TEXT NOT NULL,
            given TEXT NOT NULL, corrected TEXT NOT NULL, source TEXT NOT NULL,
            example TEXT NOT NULL, at TEXT NOT NULL)"""
    )


@migration
def m003_meta(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@dataclass(frozen=True)
class Correction:
    """The person gave a message another label than triage did, by keyword or by folder.

    `example` is the file the message was kept in for retraining ("" when it could not be).
    """

    key: str
    message_id: str
    subject: str
    given: str
    corrected: str
    source: str
    example: str = ""
    at: datetime | None = None


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
        lock = None if readonly else take_lock(path)
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

    def labelled(self, folder: str, validity: str) -> dict[str, Row]:
        """The messages of that folder and validity triage gave a recruiter label, by ref."""
        sql = _SELECT + "WHERE folder = ? AND validity = ? AND status = 'done' AND label != 'other'"
        return {row.ref: row for row in map(_row, self._fetch(sql, folder, validity))}

    def record_correction(self, correction: Correction) -> None:
        """Remember (or update) a correction; durable at the next commit."""
        values = asdict(correction) | {"at": _now()}
        self._write(
            "INSERT OR REPLACE INTO corrections (key, message_id, subject, given, corrected, "
            "source, example, at) VALUES (:key, :message_id, :subject, :given, :corrected, "
            ":source, :example, :at)",
            values,
        )

    def corrections(self) -> list[Correction]:
        """Every correction, newest first."""
        found = self._fetch(
            "SELECT key, message_id, subject, given, corrected, source, example, at "
            "FROM corrections ORDER BY at DESC"
        )
        return [
            Correction(key, message_id, subject, given, corrected, source, example, _when(at))
            for key, message_id, subject, given, corrected, source, example, at in found
        ]

    def meta(self, key: str) -> str | None:
        """A small named value the daemon keeps (such as when the last digest went out)."""
        found = self._fetch("SELECT value FROM meta WHERE key = ?", key)
        return str(found[0][0]) if found else None

    def set_meta(self, key: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO meta (key, value) VALUES (:key, :value)", locals())

    def counts(self) -> dict[str, int]:
        """How many rows have each status ("done", "failed"), for summaries."""
        found = self._fetch("SELECT status, COUNT(*) FROM messages GROUP BY status")
        return dict.fromkeys(STATUSES, 0) | {status: count for status, count in found}


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    """Open the file and refuse it if damaged or newer; to write, switch to WAL and migrate."""
    if not path.exists():
        if readonly:
            raise StoreError(f"No state file at {path} yet: `triage run` creates it.")
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    refuse(path, *read_header(path), len(MIGRATIONS))
    db = None
    try:
        uri = f"{path.resolve().as_uri()}?mode={'ro' if readonly else 'rw'}"
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        version, problem = _inspect(db)
        if problem or version > len(MIGRATIONS):
            db.close()  # first, so the WAL files SQLite made to read it are gone from the advice
            refuse(path, version, problem, len(MIGRATIONS))
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


_when = datetime.fromisoformat


def _now() -> str:
    """ISO 8601 in UTC, to the microsecond: sorts as text, so `history` can order by it."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
