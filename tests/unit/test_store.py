"""The state file: real SQLite files on disk, and real second processes for the lock and crashes."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from triage import store
from triage.store import Record, Store, StoreError, StoreLocked

# SQLite file format: bytes 18-19 are 2 in WAL mode; bytes 60-63 hold user_version (big-endian).
WAL_MODE_BYTES = slice(18, 20)
USER_VERSION_BYTES = slice(60, 64)

HOLD_LOCK = """
import sys
from pathlib import Path
from triage.store import Store

with Store.open(Path(sys.argv[1])):
    print("open", flush=True)
    sys.stdin.read()
"""

RECORD_THEN_DIE = """
import os, sys
from pathlib import Path
from triage.store import Record, Store

store = Store.open(Path(sys.argv[1]))
store.record(Record(key="<crash@example.org>", folder="INBOX", validity="7", ref="42",
    message_id="<crash@example.org>", sender="a@example.org", subject="Role", label="retained",
    confidence=0.9, details={}, standing={}, action="reply"))
store.set_cursor("INBOX", "7", "42")
if sys.argv[2] == "commit":
    store.commit()
os._exit(0)
"""


def a_record(key: str = "<one@example.org>", **changes: Any) -> Record:
    values: dict[str, Any] = {
        "key": key,
        "folder": "INBOX",
        "validity": "1700000000",
        "ref": "17",
        "message_id": key,
        "sender": "Ann Example <ann@search.example>",
        "subject": "CFO role – Zürich",
        "label": "retained",
        "confidence": 0.87,
        "details": {"role": "CFO", "places": ["Zürich"], "pay": None},
        "standing": {"firm": "Example Search", "known": True},
        "action": "reply",
        "draft_message_id": "<draft-1@triage>",
    }
    return Record(**(values | changes))


def record_fields(row: Record) -> dict[str, Any]:
    """The fields a Record has, taken from a Row, to compare what was written with what was read."""
    return {field.name: getattr(row, field.name) for field in dataclasses.fields(Record)}


def in_another_process(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=30
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "triage" / "triage.db"


@pytest.fixture
def opened(path: Path) -> Iterator[Store]:
    with Store.open(path) as state:
        yield state


def test_open_creates_a_private_migrated_database_in_wal_mode(path: Path) -> None:
    with Store.open(path) as state:
        assert state.path == path
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        for file in [path, Path(f"{path}.lock"), Path(f"{path}-wal")]:
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        state.record(a_record())
    header = path.read_bytes()[:100]
    assert header.startswith(b"SQLite format 3\x00")
    assert header[WAL_MODE_BYTES] == b"\x02\x02"
    assert int.from_bytes(header[USER_VERSION_BYTES], "big") == len(store.MIGRATIONS) >= 1


def test_an_existing_file_readable_by_others_is_made_private(path: Path) -> None:
    Store.open(path).close()
    path.chmod(0o644)
    Store.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reopening_keeps_messages_and_cursors(path: Path) -> None:
    with Store.open(path) as state:
        state.record(a_record())
        state.set_cursor("INBOX", "1700000000", "17")
        state.commit()
    with Store.open(path) as state:
        row = state.get("<one@example.org>")
        cursor = state.cursor("INBOX")
    assert row is not None and record_fields(row) == record_fields(a_record())
    assert cursor is not None and (cursor.validity, cursor.last_ref) == ("1700000000", "17")


def test_a_record_reads_back_as_written_with_its_times(opened: Store) -> None:
    before = datetime.now(UTC)
    opened.record(a_record())
    row = opened.get("<one@example.org>")
    assert row is not None
    assert record_fields(row) == record_fields(a_record())
    assert (row.attempts, row.status) == (0, "done")
    assert before <= row.first_seen == row.updated_at <= datetime.now(UTC)
    assert opened.get("<other@example.org>") is None


def test_recording_again_updates_counts_failures_and_keeps_first_seen(opened: Store) -> None:
    opened.record(a_record(status="failed", error="IMAP append refused", draft_message_id=""))
    first = opened.get("<one@example.org>")
    opened.record(a_record(status="failed", error="timed out", draft_message_id=""))
    opened.record(a_record(label="contingent"))
    last = opened.get("<one@example.org>")
    assert first is not None and last is not None
    assert (first.attempts, last.attempts) == (1, 2)
    assert (last.status, last.error, last.label) == ("done", "", "contingent")
    assert last.first_seen == first.first_seen < last.updated_at
    assert opened.counts() == {"done": 1, "failed": 0}


def test_a_row_read_back_can_be_recorded_again(opened: Store) -> None:
    opened.record(a_record(status="failed", error="boom"))
    row = opened.get("<one@example.org>")
    assert row is not None
    opened.record(dataclasses.replace(row, error="boom again"))
    again = opened.get("<one@example.org>")
    assert again is not None and (again.attempts, again.error) == (2, "boom again")


def test_failed_messages_are_retried_until_their_third_failure(opened: Store) -> None:
    failed = a_record(status="failed", error="boom")
    seen = []
    for _ in range(4):
        seen.append(opened.retry_refs("INBOX", "1700000000"))
        opened.record(failed)
    assert seen == [[], ["17"], ["17"], []]
    assert opened.retry_refs("INBOX", "1700000000", max_attempts=5) == ["17"]
    assert opened.retry_refs("INBOX", "1") == []
    assert opened.retry_refs("Archive", "1700000000") == []
    assert opened.counts() == {"done": 0, "failed": 1}


def test_done_messages_are_not_retried_and_known_refs_hold_both(opened: Store) -> None:
    opened.record(a_record("<done@x>", ref="1"))
    opened.record(a_record("<failed@x>", ref="2", status="failed"))
    opened.record(a_record("<elsewhere@x>", ref="3", folder="Archive"))
    opened.record(a_record("<old@x>", ref="4", validity="1600000000"))
    assert opened.retry_refs("INBOX", "1700000000") == ["2"]
    assert opened.known_refs("INBOX", "1700000000") == {"1", "2"}
    assert opened.is_done("<done@x>")
    assert not opened.is_done("<failed@x>")
    assert not opened.is_done("<unknown@x>")


def test_history_is_newest_first_and_filters_by_label(opened: Store) -> None:
    opened.record(a_record("<a@x>", label="retained"))
    opened.record(a_record("<b@x>", label="sourcing"))
    opened.record(a_record("<c@x>", label="retained"))
    opened.record(a_record("<a@x>", label="retained", action="decline"))
    assert [row.key for row in opened.history()] == ["<a@x>", "<c@x>", "<b@x>"]
    assert [row.key for row in opened.history("retained")] == ["<a@x>", "<c@x>"]
    assert [row.key for row in opened.history(limit=2)] == ["<a@x>", "<c@x>"]
    assert opened.history("other") == []


def test_cursor_round_trip(opened: Store) -> None:
    assert opened.cursor("INBOX") is None
    opened.set_cursor("INBOX", "1700000000", "17")
    opened.set_cursor("INBOX", "1700000000", "18")
    opened.set_cursor("Archive", "5", "msg.1234:2,S")
    inbox, archive = opened.cursor("INBOX"), opened.cursor("Archive")
    assert inbox is not None and (inbox.validity, inbox.last_ref) == ("1700000000", "18")
    assert archive is not None and archive.last_ref == "msg.1234:2,S"
    assert inbox.updated_at.tzinfo is not None


@contextmanager
def held_by_another_process(path: Path) -> Iterator[None]:
    """The state file open in a second process (flock is per open file, so a thread won't do)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        yield
    finally:
        holder.communicate(timeout=30)
    assert holder.returncode == 0


def test_a_second_process_is_refused_while_the_first_holds_the_file(path: Path) -> None:
    with held_by_another_process(path):
        with pytest.raises(StoreLocked, match="another `triage run`") as refused:
            Store.open(path)
        assert str(path) in str(refused.value)
    Store.open(path).close()


def test_a_reader_sees_committed_rows_while_the_daemon_holds_the_lock(path: Path) -> None:
    with Store.open(path) as state:
        state.record(a_record())
    before = path.read_bytes()
    with held_by_another_process(path), Store.open(path, readonly=True) as reader:
        assert [row.key for row in reader.history()] == ["<one@example.org>"]
        with pytest.raises(StoreError, match="readonly"):
            reader.record(a_record("<two@example.org>"))
    with Store.open(path, readonly=True) as reader:
        assert reader.is_done("<one@example.org>")
    assert path.read_bytes() == before


def test_a_reader_creates_nothing_and_upgrades_nothing(path: Path) -> None:
    with pytest.raises(StoreError, match="No state file"):
        Store.open(path, readonly=True)
    assert not path.parent.exists()
    path.parent.mkdir(parents=True)
    path.touch()
    with pytest.raises(StoreError, match="`triage run` upgrades it"):
        Store.open(path, readonly=True)
    assert path.read_bytes() == b""


def test_close_commits_releases_the_lock_and_may_be_repeated(path: Path) -> None:
    state = Store.open(path)
    with pytest.raises(StoreLocked):
        Store.open(path)
    state.record(a_record())
    state.close()
    state.close()
    with pytest.raises(StoreError, match="closed"):
        state.get("<one@example.org>")
    with Store.open(path) as again:
        assert again.is_done("<one@example.org>")


@pytest.mark.parametrize(("commit", "kept"), [("commit", True), ("no-commit", False)])
def test_only_committed_writes_survive_a_process_that_dies(
    path: Path, commit: str, kept: bool
) -> None:
    died = in_another_process(RECORD_THEN_DIE, str(path), commit)
    assert died.returncode == 0, died.stderr
    with Store.open(path) as state:
        assert state.is_done("<crash@example.org>") is kept
        assert (state.cursor("INBOX") is not None) is kept


def damaged_database(path: Path) -> bytes:
    """A real triage file whose messages table pages were overwritten."""
    with Store.open(path) as state:
        for n in range(200):
            state.record(a_record(f"<{n}@example.org>", ref=str(n)))
    data = bytearray(path.read_bytes())
    data[4096 * 2 : 4096 * 6] = b"\xa5" * (4096 * 4)
    return bytes(data)


@pytest.mark.parametrize(
    "content",
    [b"not a database\n" * 300, b"short", "damaged"],
    ids=["text", "short", "damaged-sqlite"],
)
def test_a_broken_file_is_refused_and_left_byte_identical(path: Path, content: Any) -> None:
    if content == "damaged":
        content = damaged_database(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    for readonly in [False, False, True]:  # refused the same way again: the lock was released
        with pytest.raises(StoreError, match="mv ") as refused:
            Store.open(path, readonly=readonly)
        assert not isinstance(refused.value, StoreLocked)
    message = str(refused.value)
    assert str(path) in message and f"{path}.broken" in message and "Drafts" in message
    assert "-wal" not in message
    assert path.read_bytes() == content


def test_a_leftover_wal_file_is_moved_aside_with_a_broken_file(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 100)
    Path(f"{path}-wal").write_bytes(b"frames of the old file")
    with pytest.raises(StoreError) as refused:
        Store.open(path)
    assert f"mv {path}-wal {path}.broken-wal" in str(refused.value)


def test_a_file_from_a_newer_triage_is_refused_and_left_byte_identical(path: Path) -> None:
    with Store.open(path) as state:
        state.record(a_record())
    data = bytearray(path.read_bytes())
    data[USER_VERSION_BYTES] = (99).to_bytes(4, "big")
    path.write_bytes(data)
    with pytest.raises(StoreError, match="newer triage") as refused:
        Store.open(path)
    assert "99" in str(refused.value) and f"{path}.newer" in str(refused.value)
    assert "Upgrade triage" in str(refused.value)
    assert path.read_bytes() == data


def test_an_added_migration_runs_once_on_an_existing_file(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(path) as state:
        state.record(a_record())
    runs = []

    def m_notes(db: Any) -> None:
        runs.append(1)
        db.execute("CREATE TABLE notes (key TEXT PRIMARY KEY, note TEXT)")

    monkeypatch.setattr(store, "MIGRATIONS", [*store.MIGRATIONS, m_notes])
    for _ in range(2):
        with Store.open(path) as state:
            assert state.is_done("<one@example.org>")
    assert runs == [1]
    assert int.from_bytes(path.read_bytes()[USER_VERSION_BYTES], "big") == len(store.MIGRATIONS)


def test_a_failing_migration_leaves_the_file_at_its_version(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(path) as state:
        state.record(a_record())

    def m_broken(db: Any) -> None:
        db.execute("CREATE TABLE half (a TEXT)")
        db.execute("ALTER TABLE no_such_table ADD COLUMN b TEXT")

    known = store.MIGRATIONS
    monkeypatch.setattr(store, "MIGRATIONS", [*known, m_broken])
    with pytest.raises(StoreError, match="no_such_table"):
        Store.open(path)
    monkeypatch.setattr(store, "MIGRATIONS", known)
    assert int.from_bytes(path.read_bytes()[USER_VERSION_BYTES], "big") == len(known)
    with Store.open(path) as state:
        assert state.is_done("<one@example.org>")


def test_undecodable_header_text_is_stored_not_refused(opened: Store) -> None:
    opened.record(a_record("<caf\udce9@x>", subject="caf\udce9"))
    row = opened.get("<caf\udce9@x>")
    assert row is not None and row.subject == "caf?" and row.key == "<caf?@x>"


def test_a_record_status_must_be_done_or_failed() -> None:
    with pytest.raises(ValueError, match="status"):
        a_record(status="fialed")


def test_a_folder_that_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match=re.escape(str(blocker))):
        Store.open(blocker / "triage.db")
    assert not os.path.exists(blocker / "triage.db")
