"""`triage run` over a local Maildir: one threaded draft per recruiter mail, and nothing else.

The same behaviours as test_daemon_imap.py, on real directories: no Dovecot is needed, so the
package's autouse `dovecot_binary` fixture is overridden here and these tests never skip.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.daemon_helpers import (
    ORDINARY,
    RECRUITER,
    daemon_env,
    maildir_config,
    message_id_of,
    parse,
    run_once,
    start_daemon,
    wait_until,
    with_message_id,
)
from triage import classify, config, pipeline, watch
from triage.maildir import create_maildir, deliver
from triage.store import Store

RELOADED = "Reloaded the config and the model"


@pytest.fixture(scope="session")
def dovecot_binary() -> str:
    """Replaces the autouse fixture that skips the package's tests without Dovecot."""
    return ""


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    root = tmp_path / "Mail"
    create_maildir(root)
    return root


def drafts(root: Path) -> list[Path]:
    """Every message file in the Drafts folder (new/ and cur/); none there yet is an empty list."""
    folder = root / ".Drafts"
    return sorted(path for sub in ("new", "cur") for path in (folder / sub).glob("*"))


def originals_of(root: Path) -> list[str]:
    return [str(parse(path.read_bytes())["X-Triage-Original-Message-ID"]) for path in drafts(root)]


def inbox_files(root: Path) -> dict[str, tuple[int, int, int, bytes]]:
    """Each file in new/ and cur/ by relative name: inode, mtime, ctime (any rename or chmod
    moves it) and bytes."""
    found = {}
    for path in sorted([*(root / "new").iterdir(), *(root / "cur").iterdir()]):
        info = path.stat()
        found[f"{path.parent.name}/{path.name}"] = (
            info.st_ino, info.st_mtime_ns, info.st_ctime_ns, path.read_bytes()
        )  # fmt: skip
    return found


def file_of(root: Path, ref: str) -> Path:
    (path,) = [p for sub in ("new", "cur") for p in (root / sub).glob(f"{ref}*")]
    return path


def flags_of(path: Path) -> str:
    _, _, info = path.name.partition(":2,")
    return info


def keywords_of(root: Path, path: Path) -> set[str]:
    """The keyword names of a message, by its letters and the folder's dovecot-keywords file."""
    names = dict(
        line.split(" ", 1) for line in (root / "dovecot-keywords").read_text().splitlines()
    )
    return {names[str(ord(letter) - ord("a"))] for letter in flags_of(path) if letter.islower()}


def read_as_client(root: Path, ref: str, flags: str) -> Path:
    """What a mail client does when it shows or flags a message: rename it into cur/."""
    target = root / "cur" / f"{ref}:2,{flags}"
    (root / "new" / ref).rename(target)
    return target


def state_counts(tmp_path: Path) -> tuple[int, int]:
    """(rows in messages, rows in folders) of the state file."""
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        (messages,) = db.execute("select count(*) from messages").fetchone()
        (folders,) = db.execute("select count(*) from folders").fetchone()
    return messages, folders


class Stderr:
    """A daemon's stderr, read line by line as it comes, so a test can wait for a log line."""

    def __init__(self, daemon: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(daemon,), daemon=True)
        self._thread.start()

    def _read(self, daemon: subprocess.Popen[bytes]) -> None:
        assert daemon.stderr is not None
        for line in daemon.stderr:
            self.lines.append(line.decode("utf-8", "replace"))

    def has(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def text(self) -> str:
        self._thread.join(5)
        return "".join(self.lines)


def stop(daemon: subprocess.Popen[bytes], log: Stderr) -> int:
    """SIGTERM, then the exit code; a daemon that does not stop is killed and the test fails."""
    daemon.send_signal(signal.SIGTERM)
    try:
        return daemon.wait(15)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait(5)
        raise
    finally:
        log.text()
        for pipe in (daemon.stdout, daemon.stderr):
            if pipe is not None:
                pipe.close()


@pytest.mark.parametrize(("where", "flags"), [("new", ""), ("cur", "FR")])
def test_a_recruiter_mail_gets_one_threaded_draft_and_a_keyword(
    inbox: Path, tmp_path: Path, where: str, flags: str
) -> None:
    ref = deliver(inbox, RECRUITER[0].read_bytes())
    if where == "cur":
        read_as_client(inbox, ref, flags)
    deliver(inbox, ORDINARY.read_bytes())
    before = file_of(inbox, ref)
    original = (before.stat().st_ino, before.stat().st_mtime_ns, before.read_bytes())
    code, out, err = run_once(maildir_config(tmp_path, inbox))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["seen"] == 2 and summary["drafted"] == 1 and summary["errors"] == 0
    (draft_path,) = drafts(inbox)
    assert draft_path.parent == inbox / ".Drafts" / "cur"
    assert flags_of(draft_path) == "D"
    draft = parse(draft_path.read_bytes())
    original_id = message_id_of(RECRUITER[0])
    assert draft["In-Reply-To"].strip() == original_id
    assert original_id in str(draft["References"])
    assert str(draft["Subject"]).startswith("Re: ")
    after = file_of(inbox, ref)
    assert after == inbox / "cur" / f"{ref}:2,{flags}a"
    assert (inbox / "dovecot-keywords").read_text() == "0 Triage/Retained\n"
    assert (after.stat().st_ino, after.stat().st_mtime_ns, after.read_bytes()) == original


def test_ordinary_mail_gets_nothing_and_is_not_touched(inbox: Path, tmp_path: Path) -> None:
    deliver(inbox, ORDINARY.read_bytes())
    before = inbox_files(inbox)
    code, out, err = run_once(maildir_config(tmp_path, inbox))
    assert code == 0, err
    assert json.loads(out)["seen"] == 1 and json.loads(out)["drafted"] == 0
    assert drafts(inbox) == []
    assert inbox_files(inbox) == before
    assert not (inbox / "dovecot-keywords").exists()


def test_a_second_pass_adds_nothing(inbox: Path, tmp_path: Path) -> None:
    for path in RECRUITER:
        deliver(inbox, path.read_bytes())
    config_path = maildir_config(tmp_path, inbox)
    assert json.loads(run_once(config_path)[1])["drafted"] == 2
    after_first = inbox_files(inbox)
    again = json.loads(run_once(config_path)[1])
    assert again["seen"] == 0 and again["drafted"] == 0
    assert len(drafts(inbox)) == 2
    assert inbox_files(inbox) == after_first


def test_a_lost_state_file_gives_no_second_draft(inbox: Path, tmp_path: Path) -> None:
    deliver(inbox, RECRUITER[0].read_bytes())
    config_path = maildir_config(tmp_path, inbox)
    assert json.loads(run_once(config_path)[1])["drafted"] == 1
    (tmp_path / "state.sqlite3").unlink()
    again = json.loads(run_once(config_path)[1])
    assert again["seen"] == 1 and again["drafted"] == 0 and again["already_drafted"] == 1
    assert len(drafts(inbox)) == 1


def test_dry_run_writes_renames_and_records_nothing(inbox: Path, tmp_path: Path) -> None:
    deliver(inbox, RECRUITER[0].read_bytes())
    before = inbox_files(inbox)
    config_path = maildir_config(tmp_path, inbox)
    code, out, err = run_once(config_path, "--dry-run")
    assert code == 0 and json.loads(out)["drafted"] == 1, err
    assert drafts(inbox) == []
    assert inbox_files(inbox) == before
    assert not (inbox / "dovecot-keywords").exists()
    assert state_counts(tmp_path) == (0, 0)
    assert json.loads(run_once(config_path)[1])["drafted"] == 1


def test_seen_flags_are_never_changed(inbox: Path, tmp_path: Path) -> None:
    read_ref = deliver(inbox, RECRUITER[0].read_bytes())
    read_as_client(inbox, read_ref, "S")
    unread_ref = deliver(inbox, RECRUITER[1].read_bytes())
    code, out, err = run_once(maildir_config(tmp_path, inbox))
    assert code == 0 and json.loads(out)["drafted"] == 2, err
    read, unread = file_of(inbox, read_ref), file_of(inbox, unread_ref)
    assert "S" in flags_of(read) and "S" not in flags_of(unread)
    assert "Triage/Retained" in keywords_of(inbox, read)
    assert keywords_of(inbox, unread) and all(
        name.startswith("Triage/") for name in keywords_of(inbox, unread)
    )


def test_mail_older_than_the_backfill_window_is_left_alone(inbox: Path, tmp_path: Path) -> None:
    deliver(inbox, RECRUITER[0].read_bytes(), when=datetime.now(UTC) - timedelta(days=30))
    config_path = maildir_config(tmp_path, inbox)
    assert json.loads(run_once(config_path)[1])["seen"] == 0
    assert drafts(inbox) == []
    assert json.loads(run_once(config_path, "--backfill", "60")[1])["drafted"] == 1


def test_mail_synced_later_with_an_earlier_arrival_time_is_still_drafted(
    inbox: Path, tmp_path: Path
) -> None:
    """mbsync gives a fetched message the server's arrival time as its mtime: it may be older
    than the message the cursor points at."""
    deliver(inbox, RECRUITER[0].read_bytes())
    config_path = maildir_config(tmp_path, inbox)
    assert json.loads(run_once(config_path)[1])["drafted"] == 1
    deliver(inbox, RECRUITER[1].read_bytes(), when=datetime.now(UTC) - timedelta(hours=2))
    again = json.loads(run_once(config_path)[1])
    assert again["seen"] == 1 and again["drafted"] == 1
    assert len(drafts(inbox)) == 2


def test_a_folder_that_is_not_a_maildir_stops_with_a_clear_message(tmp_path: Path) -> None:
    folder = tmp_path / "NotMail"
    folder.mkdir()
    code, _, err = run_once(maildir_config(tmp_path, folder))
    assert code == 1
    assert str(folder) in err and "not a Maildir" in err and "cur/" in err


def test_kill_9_in_mid_run_then_a_rerun_gives_no_duplicate_and_no_gap(
    inbox: Path, tmp_path: Path
) -> None:
    expected = [f"<kill-{n}@test.example>" for n in range(40)]
    for n, message_id in enumerate(expected):
        deliver(inbox, with_message_id(RECRUITER[n % 2].read_bytes(), message_id))
    # Both keywords exist already, as after a first day: a kill while one is being added
    # leaves a lock behind, the case of test_a_keyword_lock_left_by_a_killed_triage_...
    (inbox / "dovecot-keywords").write_text("0 Triage/Retained\n1 Triage/Sourcing\n")
    config_path = maildir_config(tmp_path, inbox)
    daemon = start_daemon(config_path, daemon_env())
    try:
        # Drafts are written about 5 ms apart: watch closely so the kill lands among them.
        assert wait_until(lambda: len(drafts(inbox)) >= 3, 60, step=0.001)
    finally:
        daemon.send_signal(signal.SIGKILL)
        daemon.communicate(timeout=10)
    left = len(drafts(inbox))
    assert left < 40, "the daemon finished before the kill: the test proved nothing"
    code, _out, err = run_once(config_path)
    assert code == 0, err
    assert sorted(originals_of(inbox)) == sorted(expected)
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        (handled,) = db.execute("select count(*) from messages where status = 'done'").fetchone()
    assert handled == 40


def test_a_keyword_lock_left_by_a_killed_triage_does_not_fail_the_next_run(
    inbox: Path, tmp_path: Path
) -> None:
    """kill -9 between creating dovecot-keywords.lock and renaming it over dovecot-keywords
    (the first message of each label) leaves the lock; no process holds it any more."""
    ref = deliver(inbox, RECRUITER[0].read_bytes())
    (inbox / "dovecot-keywords.lock").write_bytes(b"")
    code, out, err = run_once(maildir_config(tmp_path, inbox))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["drafted"] == 1 and summary["errors"] == 0, err
    assert "Triage/Retained" in keywords_of(inbox, file_of(inbox, ref))
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        assert db.execute("select status from messages").fetchall() == [("done",)]


def senders_by_original(root: Path) -> dict[str, str]:
    """The From name of each draft, by the Message-ID of the mail it answers."""
    found = {}
    for path in drafts(root):
        draft = parse(path.read_bytes())
        found[str(draft["X-Triage-Original-Message-ID"])] = str(draft["From"]).split(" <")[0]
    return found


def test_a_daemon_drafts_mail_as_it_comes_reloads_on_sighup_and_exits_0_on_sigterm(
    inbox: Path, tmp_path: Path
) -> None:
    """One daemon for the three (each start costs some 3 s of imports and model loading)."""
    deliver(inbox, RECRUITER[0].read_bytes())
    config_path = maildir_config(tmp_path, inbox)
    good = config_path.read_text()
    daemon = start_daemon(config_path, daemon_env())
    log = Stderr(daemon)
    try:
        assert wait_until(lambda: len(drafts(inbox)) == 1, 30), log.text()
        time.sleep(0.3)  # the first pass is over: the daemon is waiting
        deliver(inbox, RECRUITER[1].read_bytes())
        assert wait_until(lambda: len(drafts(inbox)) == 2, 5), "not drafted within 5 s"

        config_path.write_text(good + "[imapp]\n")
        daemon.send_signal(signal.SIGHUP)
        assert wait_until(lambda: log.has("Could not reload"), 10), log.text()
        assert not log.has(RELOADED)
        config_path.write_text(good.replace('name = "Dana Whitfield"', 'name = "Dana Reloaded"'))
        daemon.send_signal(signal.SIGHUP)
        assert wait_until(lambda: log.has(RELOADED), 10), log.text()
        later = with_message_id(RECRUITER[0].read_bytes(), "<after-reload@test.example>")
        deliver(inbox, later)
        assert wait_until(lambda: len(drafts(inbox)) == 3, 10), log.text()
    finally:
        code = stop(daemon, log)
    assert code == 0, log.text()
    assert senders_by_original(inbox) == {
        message_id_of(RECRUITER[0]): "Dana Whitfield",
        message_id_of(RECRUITER[1]): "Dana Whitfield",
        "<after-reload@test.example>": "Dana Reloaded",
    }


def test_mail_delivered_after_a_reload_request_is_handled_with_the_new_config(
    inbox: Path, tmp_path: Path
) -> None:
    """The run loop in this process, set to reload as `triage run`'s SIGHUP handler does; with
    a long poll interval its wait ends only when mail comes."""
    config_path = maildir_config(tmp_path, inbox)
    good = config_path.read_text().replace("poll_interval = 1", "poll_interval = 30")
    config_path.write_text(good)
    settings = config.load_settings(config_path)

    def load_context() -> pipeline.Context:
        fresh = config.load_settings(config_path)
        model = classify.load(config.active_model_dir())
        return pipeline.Context(model, config.load_firm_directory(), fresh)

    stop, reload = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def run_loop() -> None:
        """Opens the store in its own thread, as SQLite asks."""
        try:
            with Store.open(settings.state_path) as state:
                opener = pipeline.mailbox_opener(settings)
                options = watch.Options()
                watch.Watcher(
                    opener, state, load_context, settings.run, options, stop, reload
                ).run()
        except BaseException as error:
            failures.append(error)
            raise

    deliver(inbox, RECRUITER[0].read_bytes())
    loop = threading.Thread(target=run_loop)
    loop.start()
    try:
        assert wait_until(lambda: len(drafts(inbox)) == 1, 10), failures
        # Past RACY_NS after the last change in the folder: the loop waits for mail, not time.
        time.sleep(1.2)
        config_path.write_text(good.replace('name = "Dana Whitfield"', 'name = "Dana Reloaded"'))
        reload.set()
        deliver(inbox, RECRUITER[1].read_bytes())
        assert wait_until(lambda: len(drafts(inbox)) == 2, 10), failures
    finally:
        stop.set()
        loop.join(10)
    assert not failures and not loop.is_alive()
    assert senders_by_original(inbox)[message_id_of(RECRUITER[1])] == "Dana Reloaded"
