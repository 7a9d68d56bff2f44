"""`triage run` against a real Dovecot: one threaded draft per recruiter mail, and nothing else."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.integration.daemon_helpers import (
    ORDINARY,
    PASSWORD_ENV,
    RECRUITER,
    daemon_env,
    imap_config,
    message_id_of,
    parse,
    run_once,
    start_daemon,
    wait_until,
    with_message_id,
)
from tests.integration.dovecot import Account, Dovecot


@pytest.fixture
def account_env(imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> Account:
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    return imap_account


def drafts_for(account: Account, message_id: str) -> list[bytes]:
    return [
        raw
        for _, _, raw in account.messages("Drafts")
        if str(parse(raw)["X-Triage-Original-Message-ID"] or "").strip() == message_id
    ]


def test_a_recruiter_mail_gets_one_threaded_draft_and_a_keyword(
    account_env: Account, tmp_path: Path
) -> None:
    account = account_env
    uid = account.append(RECRUITER[0].read_bytes())
    account.append(ORDINARY.read_bytes())
    code, out, err = run_once(imap_config(tmp_path, account))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["seen"] == 2 and summary["drafted"] == 1 and summary["errors"] == 0
    original_id = message_id_of(RECRUITER[0])
    (draft,) = [parse(raw) for _, _, raw in account.messages("Drafts")]
    assert draft["In-Reply-To"].strip() == original_id
    assert original_id in str(draft["References"])
    assert str(draft["Subject"]).startswith("Re: ")
    flags = {uid_: flags for uid_, flags, _ in account.messages("INBOX")}
    assert b"Triage/Retained" in flags[uid]
    assert all(b"\\Seen" not in found for found in flags.values())
    assert not any(flag.startswith(b"Triage/") for flag in flags[uid + 1])


def test_the_draft_is_flagged_draft_and_left_unread(account_env: Account, tmp_path: Path) -> None:
    account_env.append(RECRUITER[0].read_bytes())
    assert run_once(imap_config(tmp_path, account_env))[0] == 0
    ((_, flags, _),) = account_env.messages("Drafts")
    assert b"\\Draft" in flags and b"\\Seen" not in flags


def test_ordinary_mail_gets_nothing(account_env: Account, tmp_path: Path) -> None:
    account_env.append(ORDINARY.read_bytes())
    code, out, _ = run_once(imap_config(tmp_path, account_env))
    assert code == 0 and json.loads(out)["drafted"] == 0
    assert account_env.messages("Drafts") == []
    ((_, flags, _),) = account_env.messages("INBOX")
    assert flags == set()


def test_a_second_pass_adds_nothing(account_env: Account, tmp_path: Path) -> None:
    for path in RECRUITER:
        account_env.append(path.read_bytes())
    config_path = imap_config(tmp_path, account_env)
    assert json.loads(run_once(config_path)[1])["drafted"] == 2
    again = json.loads(run_once(config_path)[1])
    assert again["seen"] == 0 and again["drafted"] == 0
    assert len(account_env.messages("Drafts")) == 2


def test_a_lost_state_file_gives_no_second_draft(account_env: Account, tmp_path: Path) -> None:
    account_env.append(RECRUITER[0].read_bytes())
    config_path = imap_config(tmp_path, account_env)
    assert json.loads(run_once(config_path)[1])["drafted"] == 1
    (tmp_path / "state.sqlite3").unlink()
    again = json.loads(run_once(config_path)[1])
    assert again["seen"] == 1 and again["drafted"] == 0 and again["already_drafted"] == 1
    assert len(account_env.messages("Drafts")) == 1


def test_dry_run_appends_flags_and_records_nothing(account_env: Account, tmp_path: Path) -> None:
    account_env.append(RECRUITER[0].read_bytes())
    config_path = imap_config(tmp_path, account_env)
    code, out, _ = run_once(config_path, "--dry-run")
    assert code == 0 and json.loads(out)["drafted"] == 1
    assert account_env.messages("Drafts") == []
    ((_, flags, _),) = account_env.messages("INBOX")
    assert flags == set()
    assert json.loads(run_once(config_path)[1])["drafted"] == 1


def test_seen_flags_are_never_changed(account_env: Account, tmp_path: Path) -> None:
    read_uid = account_env.append(RECRUITER[0].read_bytes(), flags=[b"\\Seen"])
    unread_uid = account_env.append(RECRUITER[1].read_bytes())
    assert run_once(imap_config(tmp_path, account_env))[0] == 0
    flags = {uid: found for uid, found, _ in account_env.messages("INBOX")}
    assert b"\\Seen" in flags[read_uid] and b"\\Seen" not in flags[unread_uid]


def test_mail_older_than_the_backfill_window_is_left_alone(
    account_env: Account, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    account_env.append(RECRUITER[0].read_bytes(), when=datetime.now(UTC) - timedelta(days=30))
    config_path = imap_config(tmp_path, account_env)
    assert json.loads(run_once(config_path)[1])["seen"] == 0
    assert json.loads(run_once(config_path, "--backfill", "60")[1])["drafted"] == 1


def test_a_wrong_password_stops_with_a_clear_message(
    imap_account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    code, _, err = run_once(imap_config(tmp_path, imap_account))
    assert code == 1
    assert f"Could not log in to {imap_account.host} as {imap_account.username}" in err
    assert "not-the-password" not in err


def test_plaintext_to_a_remote_host_is_refused_before_connecting(
    imap_account: Account, tmp_path: Path
) -> None:
    code, _, err = run_once(imap_config(tmp_path, imap_account, host="mail.example.com",
                                        security="none"))  # fmt: skip
    assert code == 1 and "only allowed for a loopback host" in err


def test_starttls_works(account_env: Account, tmp_path: Path) -> None:
    account_env.append(RECRUITER[0].read_bytes())
    config_path = imap_config(
        tmp_path, account_env, security="starttls", port=account_env.plain_port
    )
    code, out, err = run_once(config_path)
    assert code == 0, err
    assert json.loads(out)["drafted"] == 1


def test_an_untrusted_certificate_is_refused(account_env: Account, tmp_path: Path) -> None:
    code, _, err = run_once(imap_config(tmp_path, account_env, cafile=None))
    assert code == 1 and "not trusted" in err and "cafile" in err


def test_kill_9_in_mid_run_then_a_rerun_gives_no_duplicate_and_no_gap(
    account_env: Account, tmp_path: Path
) -> None:
    account = account_env
    raws = [
        with_message_id(RECRUITER[n % 2].read_bytes(), f"<kill-{n}@test.example>")
        for n in range(40)
    ]
    account.bulk_append(raws)
    config_path = imap_config(tmp_path, account)
    daemon = start_daemon(config_path, daemon_env(account))
    assert wait_until(lambda: len(account.messages("Drafts")) >= 3, 60), daemon.stderr
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(10)
    code, _out, err = run_once(config_path)
    assert code == 0, err
    drafts = [str(parse(raw)["X-Triage-Original-Message-ID"]) for _, _, raw in
              account.messages("Drafts")]  # fmt: skip
    assert sorted(drafts) == sorted(f"<kill-{n}@test.example>" for n in range(40))
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        (handled,) = db.execute("select count(*) from messages where status = 'done'").fetchone()
    assert handled == 40


def test_sigterm_finishes_and_exits_zero(account_env: Account, tmp_path: Path) -> None:
    daemon = start_daemon(imap_config(tmp_path, account_env), daemon_env(account_env))
    account_env.append(RECRUITER[0].read_bytes())
    assert wait_until(lambda: len(account_env.messages("Drafts")) == 1, 30)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(10) == 0


def test_idle_survives_a_server_restart_and_drafts_mail_delivered_after(
    own_dovecot: Dovecot, tmp_path: Path
) -> None:
    account = own_dovecot.add_user()
    daemon = start_daemon(imap_config(tmp_path, account), daemon_env(account))
    try:
        account.append(RECRUITER[0].read_bytes())
        assert wait_until(lambda: len(account.messages("Drafts")) == 1, 30)
        own_dovecot.restart()
        account.append(RECRUITER[1].read_bytes())
        assert wait_until(lambda: len(account.messages("Drafts")) == 2, 30)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(15)
    assert len(account.messages("Drafts")) == 2


def test_mail_delivered_while_the_daemon_idles_is_drafted_within_seconds(
    account_env: Account, tmp_path: Path
) -> None:
    """IDLE, not the 30-second renewal in this config, must wake the daemon."""
    daemon = start_daemon(imap_config(tmp_path, account_env), daemon_env(account_env))
    try:
        assert daemon.stderr is not None
        while b"Watching" not in daemon.stderr.readline():
            assert daemon.poll() is None
        time.sleep(0.5)
        account_env.append(RECRUITER[0].read_bytes())
        assert wait_until(lambda: len(account_env.messages("Drafts")) == 1, 4)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(15)
