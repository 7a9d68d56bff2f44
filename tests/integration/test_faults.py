"""`triage run` under faults: kill -9, server restarts, stalled connections, a bad state file.

Through all of them: one draft per recruiter message (drafts name their original in
X-Triage-Original-Message-ID), every message recorded, nothing marked read or removed, no password
logged, and a daemon still running, or, for a bad state file, stopped with the way out."""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.integration.daemon_helpers import (
    ORDINARY,
    PASSWORD_ENV,
    RECRUITER,
    daemon_env,
    imap_config,
    parse,
    run_once,
    start_daemon,
    wait_until,
    with_message_id,
)
from tests.integration.dovecot import HOST, Account, Dovecot

SEED = 20261126
RESTARTS = 5
# Quick restarts count as one fault (watch.STEADY_SECONDS), so reconnect delays keep doubling.
RESTART_BOUND = 60.0
IDLE_RENEW = 10  # the least [run] idle_renew allows: a frozen IDLE is found at the renewal
STALL_TIMEOUT = 2
APPENDED = "draft appended"
OUTCOME = " message_id="  # in the one line logged per message


class Daemon:
    """`triage -v run` in a subprocess, its stderr read as it comes (a full pipe would block it)."""

    def __init__(self, config_path: Path, account: Account) -> None:
        self.process = start_daemon(config_path, daemon_env(account))
        self.lines: list[str] = []
        self.last_line = time.monotonic()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.decode("utf-8", "replace"))
            self.last_line = time.monotonic()

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def silent_for(self, seconds: float) -> bool:
        return time.monotonic() - self.last_line > seconds

    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return "".join(self.lines)

    def kill(self) -> str:
        """SIGKILL (nothing once it has exited), then all it logged; closes its pipes."""
        self.process.kill()
        self.process.wait(10)
        self._reader.join(5)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        return self.log()

    def stop(self) -> int:
        """SIGTERM and the exit code; one still running 15 s later is killed, failing the test."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(15)
        finally:
            self.kill()


def mixed_mail(count: int, tag: str) -> tuple[list[bytes], list[str]]:
    """`count` distinct messages, every third a recruiter's; and the Message-IDs of those."""
    raws, recruiter_ids = [], []
    for n in range(count):
        message_id = f"<{tag}-{n}@faults.example>"
        source = RECRUITER[n // 3 % 2] if n % 3 == 0 else ORDINARY
        raws.append(with_message_id(source.read_bytes(), message_id))
        if n % 3 == 0:
            recruiter_ids.append(message_id)
    return raws, recruiter_ids


def recruiter_mail(message_id: str) -> bytes:
    return with_message_id(RECRUITER[0].read_bytes(), message_id)


def originals(account: Account) -> list[str]:
    """The X-Triage-Original-Message-ID of every draft, sorted: a duplicate shows twice."""
    return sorted(
        str(parse(raw)["X-Triage-Original-Message-ID"]).strip()
        for _, _, raw in account.messages("Drafts")
    )


def drafts_reach(account: Account, count: int, timeout: float) -> bool:
    """Whether Drafts holds `count` messages within `timeout` seconds."""

    def reached() -> bool:
        with account.client() as imap:
            return bool(imap.folder_status("Drafts", [b"MESSAGES"])[b"MESSAGES"] == count)

    return wait_until(reached, timeout, step=0.2)


def assert_inbox_untouched(account: Account, count: int) -> None:
    """All `count` messages are still there, none marked read or deleted."""
    inbox = account.messages("INBOX")
    assert len(inbox) == count
    assert not [uid for uid, flags, _ in inbox if flags & {b"\\Seen", b"\\Deleted"}]


def state_statuses(state: Path) -> dict[str, int]:
    with closing(sqlite3.connect(state)) as db:
        return dict(db.execute("select status, count(*) from messages group by status").fetchall())


def kill_plan(rng: random.Random) -> list[tuple[str, float]]:
    """When to kill each start, stratified so the kills spread over the backfill: ("start", s)
    s seconds after the start (imports, state file, model load), ("pass", s) s seconds after
    "Watching" (search, drafts index, fetch, classifying), ("outcome", n) just after the n-th
    message's log line (mid-batch; after an appended draft, before its row is committed)."""
    phases = {"start": (8, 0.3, 2.5), "pass": (4, 0.0, 1.5), "outcome": (8, 1, 75)}
    plan = [
        (phase, low + (high - low) * (n + rng.random()) / count)
        for phase, (count, low, high) in phases.items()
        for n in range(count)
    ]
    rng.shuffle(plan)
    return plan


def kill_at(config_path: Path, account: Account, phase: str, value: float) -> str:
    """Start a daemon, SIGKILL it at the moment given (see kill_plan) and return its log."""
    daemon = Daemon(config_path, account)
    if phase == "start":
        time.sleep(value)
    else:
        assert wait_until(lambda: daemon.count("Watching") > 0, 30, step=0.01), daemon.log()
        if phase == "pass":
            time.sleep(value)
        else:  # or when the pass is over: nothing logged for 4 s
            wait_until(lambda: daemon.count(OUTCOME) >= value or daemon.silent_for(4), 30, 0.002)
    crashed = daemon.process.poll()
    log = daemon.kill()
    assert crashed is None, f"the daemon exited ({crashed}) before the kill:\n{log}"
    return log


@pytest.fixture
def account(imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> Account:
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    return imap_account


def test_kill_9_at_20_moments_of_a_backfill_gives_one_draft_per_recruiter_mail(
    account: Account, tmp_path: Path
) -> None:
    raws, recruiter_ids = mixed_mail(300, "kill")
    account.bulk_append(raws)
    config_path = imap_config(tmp_path, account)
    logs = [kill_at(config_path, account, *moment) for moment in kill_plan(random.Random(SEED))]
    code, out, err = run_once(config_path)
    assert code == 0, err
    assert json.loads(out)["errors"] == 0
    assert originals(account) == sorted(recruiter_ids)
    assert state_statuses(tmp_path / "state.sqlite3") == {"done": 300}
    assert_inbox_untouched(account, 300)
    assert len(logs) == 20 and sum(APPENDED in log for log in logs) >= 5  # many amid drafting
    for text in [*logs, err, (tmp_path / "state.sqlite3").read_bytes().decode("latin-1")]:
        assert account.password not in text


def deliver_while_down(account: Account, message_id: str) -> None:
    """Mail an MTA delivers while the IMAP server is down: a file in the Maildir's new/."""
    owner, name = account.maildir.stat(), f"{time.time_ns()}.faults.{HOST}"
    partial = account.maildir / "tmp" / name
    partial.write_bytes(recruiter_mail(message_id))
    os.chown(partial, owner.st_uid, owner.st_gid)
    partial.rename(account.maildir / "new" / name)


def test_the_daemon_outlives_five_server_restarts_and_drafts_all_mail_once(
    own_dovecot: Dovecot, tmp_path: Path
) -> None:
    """Restarts at seeded moments: the daemon may be in IDLE, mid-pass or waiting to reconnect."""
    account, rng = own_dovecot.add_user(), random.Random(SEED)
    daemon = Daemon(imap_config(tmp_path, account), account)
    expected: list[str] = []
    try:
        assert wait_until(lambda: daemon.count("Watching") == 1, 30), daemon.log()
        for n in range(RESTARTS):
            own_dovecot.stop()
            deliver_while_down(account, f"<down-{n}@faults.example>")
            own_dovecot.start()
            account.append(recruiter_mail(f"<up-{n}@faults.example>"))
            expected += [f"<down-{n}@faults.example>", f"<up-{n}@faults.example>"]
            time.sleep(rng.uniform(0.2, 2.5))
        assert drafts_reach(account, len(expected), RESTART_BOUND), daemon.log()
        assert daemon.running(), daemon.log()
    finally:
        code = daemon.stop()
    assert code == 0, daemon.log()
    assert originals(account) == sorted(expected)
    assert account.password not in daemon.log()


class Link:
    """One proxied connection: the daemon's socket, the server's, and whether it is frozen."""

    def __init__(self, client: socket.socket, server: socket.socket, freeze_after: int | None):
        self.sockets = (client, server)
        self.frozen = threading.Event()
        self.freeze_after = freeze_after
        self.from_server = 0

    def pump(self, source: socket.socket, target: socket.socket) -> None:
        """Forward until either side closes; a frozen link swallows everything and stays open."""
        try:
            while data := source.recv(65536):
                if source is self.sockets[1]:
                    self.from_server += len(data)
                    if self.freeze_after is not None and self.from_server >= self.freeze_after:
                        self.frozen.set()
                if not self.frozen.is_set():
                    target.sendall(data)
        except OSError:
            pass
        if not self.frozen.is_set():
            self.close()

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


class FreezingProxy:
    """A TCP proxy from a free loopback port to a server's, whose connections can stall: no
    byte passes either way, nothing is closed, and new connections are forwarded as usual."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.freeze_first_after: int | None = None  # bytes from the server, then it stalls
        self.links: list[Link] = []
        self._listener = socket.create_server((HOST, 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection((HOST, self.target_port))
            link = Link(client, server, None if self.links else self.freeze_first_after)
            self.links.append(link)
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=link.pump, args=(source, target), daemon=True).start()

    def freeze(self) -> None:
        for link in self.links:
            link.frozen.set()

    def close(self) -> None:
        self._listener.close()
        for link in self.links:
            link.close()


@pytest.fixture
def proxy(account: Account) -> Iterator[FreezingProxy]:
    """A proxy to the account's TLS port (the certificate names 127.0.0.1, so it verifies)."""
    made = FreezingProxy(account.tls_port)
    yield made
    made.close()


def stall_config(tmp_path: Path, account: Account, proxy: FreezingProxy) -> Path:
    path = imap_config(tmp_path, account, port=proxy.port, timeout=STALL_TIMEOUT)
    path.write_text(path.read_text().replace("idle_renew = 30", f"idle_renew = {IDLE_RENEW}"))
    return path


def test_a_connection_stalled_in_idle_is_timed_out_and_later_mail_drafted(
    account: Account, tmp_path: Path, proxy: FreezingProxy
) -> None:
    daemon = Daemon(stall_config(tmp_path, account, proxy), account)
    try:
        account.append(recruiter_mail("<before@faults.example>"))
        assert drafts_reach(account, 1, 30), daemon.log()
        time.sleep(0.5)  # back in IDLE
        proxy.freeze()
        account.append(recruiter_mail("<after@faults.example>"))
        bound = IDLE_RENEW + 2 * STALL_TIMEOUT + 15
        assert drafts_reach(account, 2, bound), daemon.log()
        assert daemon.running(), daemon.log()
    finally:
        code = daemon.stop()
    assert code == 0, daemon.log()
    assert "IMAP connection lost while waiting in IDLE" in daemon.log()
    assert originals(account) == ["<after@faults.example>", "<before@faults.example>"]


def test_a_connection_stalled_in_a_backfill_fetch_is_timed_out_and_resumed(
    account: Account, tmp_path: Path, proxy: FreezingProxy
) -> None:
    raws, recruiter_ids = mixed_mail(90, "stall")
    account.bulk_append(raws)
    proxy.freeze_first_after = 32_000  # past the login and the search, inside the fetch
    daemon = Daemon(stall_config(tmp_path, account, proxy), account)
    try:
        assert drafts_reach(account, len(recruiter_ids), 30), daemon.log()
        assert daemon.running(), daemon.log()
    finally:
        code = daemon.stop()
    assert code == 0, daemon.log()
    assert "IMAP connection lost while fetching" in daemon.log()
    assert originals(account) == sorted(recruiter_ids)
    assert state_statuses(tmp_path / "state.sqlite3") == {"done": 90}


def noise(keep: int) -> Callable[[Path], None]:
    """Garbage over all of the file but its first `keep` bytes (100: a sound header)."""

    def damage(state: Path) -> None:
        raw = state.read_bytes()
        state.write_bytes(raw[:keep] + random.Random(SEED).randbytes(len(raw) - keep))

    return damage


def newer(state: Path) -> None:
    copy = state.with_name("copy.sqlite3")
    shutil.copy(state, copy)
    with closing(sqlite3.connect(copy)) as db:
        db.execute("PRAGMA user_version = 99")
    copy.replace(state)


def follow_the_way_out(error: str) -> None:
    """Run the `mv A B [&& mv C D]` the message gives, as a person pasting it would."""
    match = re.search(r"`(mv [^`]+)`", error)
    assert match is not None, error
    for command in match.group(1).split(" && "):
        name, source, target = shlex.split(command)
        assert name == "mv"
        Path(source).rename(target)


@pytest.mark.parametrize(
    "damage", [noise(0), noise(100), newer], ids=["garbage", "damaged-pages", "newer"]
)
def test_a_bad_state_file_stops_the_run_untouched_and_moving_it_aside_is_safe(
    account: Account, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    config_path, state = imap_config(tmp_path, account), tmp_path / "state.sqlite3"
    account.append(recruiter_mail("<first@faults.example>"))
    assert json.loads(run_once(config_path)[1])["drafted"] == 1
    damage(state)
    before, files_before = state.read_bytes(), sorted(os.listdir(tmp_path))
    account.append(recruiter_mail("<second@faults.example>"))
    code, _, err = run_once(config_path)
    assert code == 1 and str(state) in err and "aside" in err, err
    assert state.read_bytes() == before and sorted(os.listdir(tmp_path)) == files_before
    assert originals(account) == ["<first@faults.example>"]
    follow_the_way_out(err)
    assert not state.exists()
    code, out, err = run_once(config_path)
    assert code == 0 and json.loads(out)["already_drafted"] == 1, err
    assert originals(account) == ["<first@faults.example>", "<second@faults.example>"]
