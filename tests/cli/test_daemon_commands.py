"""The commands around the daemon through click's CliRunner: `init`, `config check`, `history`,
`run`'s refusals and `demo --keep`. Real files, a real Maildir and a real state file."""

from __future__ import annotations

import json
import shlex
import stat
import sys
import tempfile
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
from triage import config
from triage.cli import cli
from triage.maildir import create_maildir, deliver, is_maildir

PASSWORD = "Tr0ub4dor-and-3-never-shown"
HISTORY_KEYS = {
    "when", "folder", "ref", "message_id", "sender", "subject", "label", "confidence",
    "action", "draft_message_id", "status", "attempts", "error", "details", "standing",
}  # fmt: skip


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def example_text() -> str:
    return (config.bundled_config_dir() / "triage.example.toml").read_text()


@pytest.fixture
def handled(tmp_path: Path) -> Path:
    """A config whose Maildir (two recruiter mails and an ordinary one) `run --once` handled."""
    root = tmp_path / "Mail"
    create_maildir(root)
    for path in [*RECRUITER, ORDINARY]:
        deliver(root, path.read_bytes())
    config_path = maildir_config(tmp_path, root)
    code, _, err = run_once(config_path)
    assert code == 0, err
    return config_path


# init


def test_init_writes_a_private_starter_config_that_config_check_accepts(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "triage.toml"
    code, out, _ = run("init", "--path", str(target))
    assert code == 0 and str(target) in out and "triage config check" in out
    assert target.read_text() == example_text()
    assert mode_of(target) == 0o600
    code, out, err = run("config", "check", "--config", str(target))
    assert code == 0, err
    assert "The config is valid." in out


def test_init_writes_where_the_other_commands_look(user_dirs: Path) -> None:
    code, out, _ = run("init")
    target = config.default_config_path()
    assert code == 0 and str(target) in out
    assert target.is_relative_to(user_dirs) and mode_of(target) == 0o600
    code, out, err = run("config", "check")
    assert code == 0, err
    assert f"config:         {target}\n" in out and "bundled sample" not in out + err


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("# mine\n")
    target.chmod(0o644)
    code, _, err = run("init", "--path", str(target))
    assert code == 1 and str(target) in err and "--force" in err
    assert target.read_text() == "# mine\n"
    code, _, _ = run("init", "--path", str(target), "--force")
    assert code == 0 and target.read_text() == example_text()
    assert mode_of(target) == 0o600


# config check


def started(tmp_path: Path) -> Path:
    target = tmp_path / "config.toml"
    assert run("init", "--path", str(target))[0] == 0
    return target


def test_config_check_shows_the_mailbox_and_where_the_secret_comes_from_not_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_IMAP_PASSWORD", PASSWORD)
    target = started(tmp_path)
    code, out, err = run("config", "check", "--config", str(target))
    assert code == 0, err
    assert "imap://dana.whitfield@example.com@imap.example.com:993/INBOX" in out
    assert "security:       tls\n" in out
    assert "environment variable $TRIAGE_IMAP_PASSWORD (set)" in out
    code, out_json, err_json = run("config", "check", "--config", str(target), "--json")
    assert code == 0 and json.loads(out_json)["security"] == "tls"
    assert PASSWORD not in out + err + out_json + err_json


def test_config_check_says_when_the_password_variable_is_not_set(tmp_path: Path) -> None:
    code, out, _ = run("config", "check", "--config", str(started(tmp_path)))
    assert code == 0 and "$TRIAGE_IMAP_PASSWORD (NOT SET)" in out


def test_config_check_shows_a_password_command_without_running_it(tmp_path: Path) -> None:
    command = shlex.join([sys.executable, "-c", "print('printed-' + 'by-the-command')"])
    target = tmp_path / "config.toml"
    imap = f'[imap]\nhost = "127.0.0.1"\nusername = "dana"\npassword_command = """{command}"""\n'
    target.write_text(profile_text() + imap)
    code, out, err = run("config", "check", "--config", str(target))
    assert code == 0, err
    assert f"the output of `{command}`" in out
    assert "printed-by-the-command" not in out + err


@pytest.mark.parametrize(
    ("section", "text"),
    [
        ("[imap] hots", '[imap]\nhots = "imap.example.com"\nusername = "dana"\n'),
        ("[run] pol_interval", "[run]\npol_interval = 30\n"),
        ("[maildir] inbox", '[maildir]\npath = "Mail"\ninbox = "INBOX"\n'),
    ],
)
def test_config_check_names_file_and_key_of_a_mistake(
    tmp_path: Path, section: str, text: str
) -> None:
    target = tmp_path / "config.toml"
    target.write_text(profile_text() + text)
    code, out, err = run("config", "check", "--config", str(target))
    name, key = section.split()
    assert code == 1 and "The config is valid." not in out
    assert f"{target} {name}: unknown key {key}" in err


# history


def test_history_before_any_run_says_there_is_no_state_file_yet(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    create_maildir(root)
    code, _, err = run("history", "--config", str(maildir_config(tmp_path, root)))
    assert code == 1
    assert f"No state file at {tmp_path / 'state.sqlite3'} yet" in err and "triage run" in err


def test_history_lists_every_message_handled(handled: Path) -> None:
    code, out, err = run("history", "--config", str(handled))
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["WHEN", "LABEL", "CONF"] and "SUBJECT" in header
    assert sorted(row.split()[2] for row in rows) == ["other", "retained", "sourcing"]
    assert sum(" yes " in row for row in rows) == 2


def test_history_label_keeps_only_that_label(handled: Path) -> None:
    code, out, _ = run("history", "--config", str(handled), "--label", "retained")
    assert code == 0
    assert [row.split()[2] for row in out.splitlines()[1:]] == ["retained"]
    code, out, _ = run("history", "--config", str(handled), "--label", "contingent")
    assert code == 0 and out.splitlines()[1:] == []


def test_history_json_gives_one_object_per_message_with_the_documented_keys(
    handled: Path,
) -> None:
    code, out, err = run("history", "--config", str(handled), "--json")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert row.keys() == HISTORY_KEYS
        assert row["status"] == "done" and row["attempts"] == 0 and row["error"] == ""
        assert row["folder"] == f"maildir:{handled.parent / 'Mail'}"
        assert bool(row["draft_message_id"]) == (row["label"] != "other")
    code, out, _ = run("history", "--config", str(handled), "--json", "--label", "sourcing")
    assert code == 0 and [json.loads(line)["label"] for line in out.splitlines()] == ["sourcing"]


# run


def test_run_with_the_bundled_sample_refuses_and_points_to_init() -> None:
    code, _, err = run("run", "--once")
    assert code == 1
    assert "needs your own config" in err and "triage init" in err


def test_run_without_a_mailbox_section_says_so(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text(profile_text() + f'[state]\npath = "{tmp_path / "state.sqlite3"}"\n')
    code, _, err = run("run", "--config", str(target), "--once")
    assert code == 1
    assert f"{target} has no [imap] or [maildir] section" in err and "triage init" in err


# demo


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tempfile's folder, moved into tmp_path so what the demo leaves can be seen and goes."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_demo_keep_leaves_the_maildir_and_says_where(temp_dir: Path) -> None:
    code, out, err = run("demo", "--keep")
    assert code == 0, err
    (kept,) = temp_dir.iterdir()
    assert f"The demo Maildir is kept in {kept}" in err
    assert is_maildir(kept / "Maildir") and (kept / "state.sqlite3").is_file()
    written = len(list((kept / "Maildir" / ".Drafts" / "cur").iterdir()))
    assert written > 0 and f"{written} drafts written to Drafts" in out


def test_demo_without_keep_leaves_nothing(temp_dir: Path) -> None:
    code, _, err = run("demo")
    assert code == 0, err
    assert list(temp_dir.iterdir()) == [] and "kept" not in err
