"""`triage doctor` against a real Dovecot: what it finds on a sound account, how it names a wrong
password, an untrusted certificate, a missing folder; and that it changes nothing there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.integration.daemon_helpers import (
    PASSWORD_ENV,
    RECRUITER,
    imap_config,
    run_once,
)
from tests.integration.dovecot import Account
from triage import imap
from triage.accounts import Secret
from triage.cli import cli
from triage.mailbox import ConnectionLost, MailboxError


@pytest.fixture
def account(imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> Account:
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    return imap_account


def doctor(config_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["doctor", "--config", str(config_path), *args], catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def private_config(tmp_path: Path, account: Account, extra: str = "", **imap: object) -> Path:
    path = imap_config(tmp_path, account, **imap)
    path.write_text(path.read_text() + extra)
    path.chmod(0o600)
    return path


def statuses(out: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in out.splitlines():
        status, name = [*line.split(), "", ""][:2]
        if status in ("ok", "warn", "FAIL"):
            found[name] = "warn" if found.get(name) == "warn" else status
    return found


def fix_after(out: str, status: str, name: str) -> str:
    rows = out.splitlines()
    index = next(i for i, row in enumerate(rows) if row.split()[:2] == [status, name])
    assert rows[index + 1].split()[0] == "fix:", out
    return rows[index + 1]


def test_a_sound_account_is_all_ok_with_idle_special_use_and_keywords(
    account: Account, tmp_path: Path
) -> None:
    code, out, err = doctor(private_config(tmp_path, account))
    assert code == 0, out + err
    expected = (
        "config credentials connection tls login idle special-use keywords drafts state model"
    )
    assert statuses(out) == dict.fromkeys(expected.split(), "ok"), out
    assert f"certificate verified against {account.cafile}" in out
    assert f"logged in as {account.username}" in out
    assert "IDLE: new mail is seen as it arrives" in out
    assert "SPECIAL-USE: the drafts folder is found by its flag" in out
    assert "the inbox keeps keywords (PERMANENTFLAGS \\*)" in out
    assert "'Drafts' (flagged \\Drafts)" in out
    assert "Gmail" not in out and "fix:" not in out


def test_doctor_changes_nothing_on_the_server_or_on_disk(account: Account, tmp_path: Path) -> None:
    account.append(RECRUITER[0].read_bytes())
    before = account.messages("INBOX")
    config_path = private_config(tmp_path, account)
    assert doctor(config_path)[0] == 0
    assert account.messages("INBOX") == before and account.messages("Drafts") == []
    assert not (tmp_path / "state.sqlite3").exists()


def test_starttls_is_checked_too(account: Account, tmp_path: Path) -> None:
    config_path = private_config(tmp_path, account, security="starttls", port=account.plain_port)
    code, out, _ = doctor(config_path)
    assert code == 0 and "ok    tls            STARTTLS, certificate verified" in out


def test_a_wrong_password_fails_the_login_and_says_what_to_check(
    account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-" + account.password)
    code, out, err = doctor(private_config(tmp_path, account))
    assert code == 1
    found = statuses(out)
    assert found["connection"] == found["tls"] == "ok" and found["login"] == "FAIL"
    assert "AUTHENTICATIONFAILED" in out and f"as {account.username}" in out
    assert "[imap] username" in fix_after(out, "FAIL", "login")
    assert "idle" not in found and "drafts" not in found
    assert account.password not in out + err


def test_an_untrusted_certificate_fails_tls_and_says_to_set_cafile(
    account: Account, tmp_path: Path
) -> None:
    code, out, _ = doctor(private_config(tmp_path, account, cafile=None))
    assert code == 1
    found = statuses(out)
    assert found["connection"] == "ok" and found["tls"] == "FAIL" and "login" not in found
    assert "is not trusted" in out
    fix = fix_after(out, "FAIL", "tls")
    assert "set [imap] cafile" in fix and str(tmp_path / "config.toml") in fix


def test_a_closed_port_fails_the_connection(account: Account, tmp_path: Path) -> None:
    code, out, _ = doctor(private_config(tmp_path, account, port=1))
    assert code == 1 and statuses(out)["connection"] == "FAIL" and "tls" not in statuses(out)
    assert "host, port and security" in fix_after(out, "FAIL", "connection")


def test_a_missing_drafts_folder_fails(account: Account, tmp_path: Path) -> None:
    code, out, _ = doctor(private_config(tmp_path, account, drafts="Entwürfe"))
    assert code == 1 and statuses(out)["login"] == "ok" and statuses(out)["drafts"] == "FAIL"
    assert "'Entwürfe' does not exist" in out
    assert "[imap] drafts" in fix_after(out, "FAIL", "drafts")


def test_drafts_set_to_another_folder_than_the_flagged_one_is_a_warning(
    account: Account, tmp_path: Path
) -> None:
    with account.client() as client:
        client.create_folder("Mine")
    code, out, _ = doctor(private_config(tmp_path, account, drafts="Mine"))
    assert code == 0 and statuses(out)["drafts"] == "warn"
    assert "the server flags 'Drafts' as drafts" in out
    assert "drafts = 'Drafts'" in fix_after(out, "warn", "drafts")


def test_a_missing_inbox_fails_naming_the_key(account: Account, tmp_path: Path) -> None:
    code, out, _ = doctor(private_config(tmp_path, account, inbox="Post"))
    assert code == 1 and statuses(out)["inbox"] == "FAIL" and "'Post'" in out
    assert "[imap] inbox" in fix_after(out, "FAIL", "inbox")


def test_label_folders_are_looked_up_on_the_server(account: Account, tmp_path: Path) -> None:
    with account.client() as client:
        client.create_folder("Recruiters")
    extra = '[train.folders]\nretained = "Recruiters"\nsourcing = "Names"\n'
    config_path = private_config(tmp_path, account, extra)
    code, out, _ = doctor(config_path)
    assert code == 0 and statuses(out)["label-folders"] == "warn"
    (line,) = [row for row in out.splitlines() if "label-folders" in row]
    assert "sourcing = 'Names'" in line and "retained" not in line
    with account.client() as client:
        client.create_folder("Names")
    code, out, _ = doctor(config_path)
    assert code == 0 and statuses(out)["label-folders"] == "ok"
    assert "'Recruiters', 'Names' exist" in out


def test_json_reports_the_same_checks(account: Account, tmp_path: Path) -> None:
    code, out, _ = doctor(private_config(tmp_path, account), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    names = [check["name"] for check in report["checks"]]
    assert names[:6] == ["config", "credentials", "connection", "tls", "login", "idle"]


def test_server_facts_reads_what_the_server_offers_and_leaves_the_inbox_selected(
    account: Account,
) -> None:
    uid = account.append(RECRUITER[0].read_bytes())
    server = imap.Server(account.host, account.tls_port, "tls", account.cafile, 10)
    box = imap.connect(server, imap.Login(account.username, Secret(account.password)))
    try:
        facts = box.server_facts()
        assert box.refs_after("0") == [str(uid)]
    finally:
        box.close()
    assert {"IMAP4REV1", "IDLE", "SPECIAL-USE"} <= set(facts["capabilities"])  # type: ignore[call-overload]
    assert facts["idle"] is facts["special_use"] is facts["keywords"] is True
    assert facts["gmail"] is False and "\\*" in facts["permanent_flags"]  # type: ignore[operator]
    assert facts["drafts"] == facts["drafts_flagged"] == "Drafts"
    assert {"INBOX", "Drafts", "Sent", "Trash"} <= set(facts["folders"])  # type: ignore[call-overload]


# Bugs found while writing `triage doctor` (in files this change may not edit).


def test_a_missing_cafile_is_a_mailbox_error_naming_it_not_a_lost_connection(
    account: Account, tmp_path: Path
) -> None:
    missing = tmp_path / "ca.pem"
    server = imap.Server(account.host, account.tls_port, "tls", missing, 10)
    with pytest.raises(MailboxError) as raised:
        imap.connect(server, imap.Login(account.username, Secret(account.password)))
    assert not isinstance(raised.value, ConnectionLost) and "cafile" in str(raised.value)


def test_run_with_a_missing_inbox_names_the_key(account: Account, tmp_path: Path) -> None:
    code, _, err = run_once(private_config(tmp_path, account, inbox="Post"))
    assert code == 1 and "[imap] inbox" in err


def test_a_crash_does_not_exit_with_the_code_that_means_fix_your_config(
    account: Account, tmp_path: Path
) -> None:
    config_path = private_config(tmp_path, account, inbox="Post")
    env = dict(os.environ, **{PASSWORD_ENV: account.password})
    command = [sys.executable, "-m", "triage", "run", "--once", "--config", str(config_path)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    crashed = "Traceback" in done.stderr
    assert not (crashed and done.returncode in (1, 2)), done.stderr[-300:]
