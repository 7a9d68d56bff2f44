"""`triage doctor` without a server: Maildir configs, broken configs, missing credentials, the
state file and the model. Real files through click's CliRunner; IMAP is in
tests/integration/test_doctor_imap.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.integration.daemon_helpers import (
    ORDINARY,
    RECRUITER,
    maildir_config,
    profile_text,
    run_once,
)
from triage import classify, config
from triage.cli import cli
from triage.maildir import create_maildir, deliver

PASSWORD_ENV = "TRIAGE_DOCTOR_TEST_PASSWORD"


def doctor(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["doctor", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def lines(out: str) -> dict[str, list[str]]:
    """Check name -> the status of each of its lines (`config` may have a warning beside ok)."""
    found: dict[str, list[str]] = {}
    for line in out.splitlines():
        status, _, rest = line.partition("  ")
        if status.strip() in ("ok", "warn", "FAIL"):
            found.setdefault(rest.split()[0], []).append(status.strip())
    return found


def fix_after(out: str, status_and_name: str) -> str:
    """The `fix:` line that follows the line starting with e.g. "FAIL  credentials"."""
    rows = out.splitlines()
    index = next(i for i, row in enumerate(rows) if row.split()[:2] == status_and_name.split())
    assert rows[index + 1].split()[0] == "fix:", out
    return rows[index + 1]


@pytest.fixture
def mail_root(tmp_path: Path) -> Path:
    root = tmp_path / "Mail"
    create_maildir(root)
    return root


@pytest.fixture
def maildir_conf(tmp_path: Path, mail_root: Path) -> Path:
    path = maildir_config(tmp_path, mail_root)
    path.chmod(0o600)
    return path


def imap_conf(tmp_path: Path, **imap: str) -> Path:
    keys = {"host": "127.0.0.1", "port": "1", "username": "dana", **imap}
    text = "".join(
        f"{key} = {value if key == 'port' else repr(value)}\n" for key, value in keys.items()
    )
    path = tmp_path / "config.toml"
    path.write_text(f"{profile_text()}[imap]\n{text}")
    path.chmod(0o600)
    return path


def test_a_sound_maildir_config_is_all_ok_and_exits_0(maildir_conf: Path, mail_root: Path) -> None:
    code, out, err = doctor("--config", str(maildir_conf))
    assert code == 0, out + err
    found = lines(out)
    assert found == {
        name: ["ok"] for name in ("config", "maildir", "writable", "drafts", "state", "model")
    }, out
    assert "created on first run" in out and "the shipped model" in out and "fix:" not in out


def test_doctor_changes_nothing(maildir_conf: Path, mail_root: Path, tmp_path: Path) -> None:
    """No drafts folder made, no state file created: `run` does those, the doctor only looks."""
    before = sorted(str(path) for path in tmp_path.rglob("*"))
    assert doctor("--config", str(maildir_conf))[0] == 0
    assert sorted(str(path) for path in tmp_path.rglob("*")) == before


def test_a_broken_config_fails_naming_file_and_key(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text(profile_text() + "[run]\npol_interval = 30\n")
    code, out, _ = doctor("--config", str(target))
    assert code == 1
    assert "FAIL  config" in out and f"{target} [run]: unknown key pol_interval" in out
    assert "triage.example.toml" in fix_after(out, "FAIL config")
    assert set(lines(out)) == {"config", "model"}  # nothing else can be checked


def test_a_missing_config_file_fails_and_says_to_pass_an_existing_one(tmp_path: Path) -> None:
    code, out, _ = doctor("--config", str(tmp_path / "nowhere.toml"))
    assert code == 1 and "Cannot read the config file" in out and "nowhere.toml" in out
    assert "triage init" in fix_after(out, "FAIL config")


def test_without_a_config_of_ones_own_it_says_to_run_init() -> None:
    code, out, _ = doctor()
    assert code == 1 and "no config file of your own" in out
    assert "triage init" in fix_after(out, "FAIL config")


def test_a_config_without_a_mailbox_fails(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text(profile_text())
    code, out, _ = doctor("--config", str(target))
    assert code == 1 and "no [imap] or [maildir] section" in out


def test_a_missing_password_variable_fails_credentials_with_a_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    code, out, _ = doctor("--config", str(imap_conf(tmp_path, password_env=PASSWORD_ENV)))
    assert code == 1
    assert f"The environment variable {PASSWORD_ENV}" in out
    fix = fix_after(out, "FAIL credentials")
    assert f"export {PASSWORD_ENV}=" in fix and "~/.config/triage/env" in fix
    # Without a secret nothing is tried on the server.
    assert "connection" not in lines(out) and "login" not in lines(out)


def test_a_failing_password_command_fails_credentials_and_says_to_run_it(tmp_path: Path) -> None:
    code, out, _ = doctor("--config", str(imap_conf(tmp_path, password_command="false")))
    assert code == 1 and "The password command `false` failed (exit 1)" in out
    assert "Run `false` yourself" in fix_after(out, "FAIL credentials")


def test_the_secret_is_read_but_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the secret there, the doctor goes on to the server (here: nothing listens)."""
    monkeypatch.setenv(PASSWORD_ENV, "Doctor-Canary-7731")
    code, out, err = doctor("--config", str(imap_conf(tmp_path, password_env=PASSWORD_ENV)))
    assert code == 1
    assert lines(out)["credentials"] == ["ok"] and lines(out)["connection"] == ["FAIL"]
    assert "127.0.0.1:1" in out and "port" in fix_after(out, "FAIL connection")
    assert "Doctor-Canary-7731" not in out + err


def test_a_cafile_that_does_not_exist_fails_tls_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "x")
    missing = tmp_path / "ca.pem"
    conf = imap_conf(tmp_path, password_env=PASSWORD_ENV, cafile=str(missing))
    code, out, _ = doctor("--config", str(conf))
    assert code == 1 and f"[imap] cafile {missing} does not exist" in out
    assert "cafile" in fix_after(out, "FAIL tls") and "connection" not in lines(out)


def test_a_config_other_users_can_read_draws_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "x")
    conf = imap_conf(tmp_path, password_env=PASSWORD_ENV)
    conf.chmod(0o644)
    code, out, _ = doctor("--config", str(conf))
    assert lines(out)["config"] == ["ok", "warn"] and f"chmod 600 {conf}" in out
    assert code == 1  # for the closed port: a warning alone leaves the exit code 0


def test_a_folder_that_is_no_maildir_fails(tmp_path: Path) -> None:
    conf = maildir_config(tmp_path, tmp_path / "not-mail")
    code, out, _ = doctor("--config", str(conf))
    assert code == 1 and "is not a Maildir" in out
    assert "[maildir] path" in fix_after(out, "FAIL maildir")


def test_drafts_named_as_the_inbox_fails(maildir_conf: Path) -> None:
    text = maildir_conf.read_text().replace("[state]", 'drafts = "."\n[state]', 1)
    maildir_conf.write_text(text)
    code, out, _ = doctor("--config", str(maildir_conf))
    assert code == 1 and "is the inbox" in out and lines(out)["drafts"] == ["FAIL"]


def test_an_existing_drafts_folder_is_named(maildir_conf: Path, mail_root: Path) -> None:
    create_maildir(mail_root / ".Drafts")
    code, out, _ = doctor("--config", str(maildir_conf))
    assert code == 0 and f"ok    drafts         {mail_root / '.Drafts'}\n" in out


def test_missing_label_folders_are_a_warning_only(maildir_conf: Path, mail_root: Path) -> None:
    create_maildir(mail_root / ".Recruiters")
    folders = '[train.folders]\nretained = "Recruiters"\nsourcing = "Asked for names"\n'
    maildir_conf.write_text(maildir_conf.read_text() + folders)
    code, out, _ = doctor("--config", str(maildir_conf))
    assert code == 0 and lines(out)["label-folders"] == ["warn"]
    assert (
        "sourcing = 'Asked for names'" in out and "Recruiters" not in out.split("label-folders")[1]
    )
    create_maildir(mail_root / "Asked for names")
    code, out, _ = doctor("--config", str(maildir_conf))
    assert code == 0 and lines(out)["label-folders"] == ["ok"]


def test_the_state_of_a_run_is_read_and_counted(maildir_conf: Path, mail_root: Path) -> None:
    for path in [*RECRUITER, ORDINARY]:
        deliver(mail_root, path.read_bytes())
    assert run_once(maildir_conf)[0] == 0
    code, out, _ = doctor("--config", str(maildir_conf))
    assert code == 0 and "state.sqlite3 (3 done, 0 failed)" in out


def test_a_damaged_state_file_fails_with_the_way_out_and_is_left_alone(
    maildir_conf: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    state.write_bytes(b"this is not a database" * 10)
    code, out, _ = doctor("--config", str(maildir_conf))
    assert code == 1 and "is not a SQLite database or is damaged" in out
    assert f"mv {state} {state}.broken" in fix_after(out, "FAIL state")
    assert state.read_bytes() == b"this is not a database" * 10
    assert sorted(path.name for path in tmp_path.glob("state*")) == ["state.sqlite3"]


def test_a_broken_model_of_ones_own_fails_and_says_how_to_get_back(maildir_conf: Path) -> None:
    own = config.user_data_dir() / "model"
    own.mkdir(parents=True)
    (own / classify.MODEL_FILE).write_bytes(b"not a model")
    shutil.copy(config.bundled_model_dir() / classify.CARD_FILE, own)
    code, out, _ = doctor("--config", str(maildir_conf))
    assert code == 1 and lines(out)["model"] == ["FAIL"] and "cannot be loaded" in out
    fix = fix_after(out, "FAIL model")
    assert "triage train" in fix and f"move {own} aside" in fix


def test_json_gives_every_check_and_the_verdict(maildir_conf: Path) -> None:
    code, out, _ = doctor("--config", str(maildir_conf), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert [check["name"] for check in report["checks"]][:2] == ["config", "maildir"]
    assert all(check.keys() == {"name", "status", "detail", "fix"} for check in report["checks"])
    (maildir_conf.parent / "state.sqlite3").write_bytes(b"junk" * 40)
    code, out, _ = doctor("--config", str(maildir_conf), "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    (failure,) = [check for check in report["checks"] if check["status"] == "FAIL"]
    assert failure["name"] == "state" and failure["fix"]


def test_the_exit_codes_are_documented_in_the_help() -> None:
    result = CliRunner().invoke(cli, ["doctor", "--help"])
    assert result.exit_code == 0
    assert "0 no failure (warnings allowed), 1 at least one failure" in " ".join(
        result.stdout.split()
    )
