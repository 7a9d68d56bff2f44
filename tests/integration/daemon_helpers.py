"""Shared by the daemon tests: a config for a test account, and ways to run `triage run`."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import MAIL_FIXTURES
from tests.integration.dovecot import Account
from triage import config
from triage.cli import cli

RECRUITER = [
    MAIL_FIXTURES / "01-retained-spencer-stuart-cmo.eml",
    MAIL_FIXTURES / "19-sourcing-hr-director-names.eml",
]
ORDINARY = MAIL_FIXTURES / "35-other-work-thread-shipment-delay.eml"
PASSWORD_ENV = "TRIAGE_TEST_IMAP_PASSWORD"


def profile_text() -> str:
    """The example config's profile, reply and rules sections (everything before the mailbox)."""
    example = (config.bundled_config_dir() / "triage.example.toml").read_text()
    return example.split("# Where your mail is")[0]


def imap_config(tmp_path: Path, account: Account, **overrides: object) -> Path:
    imap = {
        "host": account.host,
        "port": account.tls_port,
        "security": "tls",
        "username": account.username,
        "password_env": PASSWORD_ENV,
        "cafile": str(account.cafile),
        "timeout": 10,
    }
    imap.update(overrides)
    lines = [profile_text(), "[imap]"]
    lines += [f"{key} = {_toml(value)}" for key, value in imap.items() if value is not None]
    lines += ["[state]", f'path = "{tmp_path / "state.sqlite3"}"']
    lines += ["[run]", "poll_interval = 1", "idle_renew = 30"]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def maildir_config(tmp_path: Path, root: Path) -> Path:
    lines = [profile_text(), "[maildir]", f'path = "{root}"']
    lines += ["[state]", f'path = "{tmp_path / "state.sqlite3"}"']
    lines += ["[run]", "poll_interval = 1"]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value: object) -> str:
    return str(value) if isinstance(value, int) else f'"{value}"'


def run_once(config_path: Path, *args: str) -> tuple[int, str, str]:
    """`triage run --once --json` in this process; returns exit code, stdout and stderr."""
    result = CliRunner().invoke(
        cli, ["run", "--config", str(config_path), "--once", "--json", *args]
    )
    return result.exit_code, result.stdout, result.stderr


def daemon_env(account: Account | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if account is not None:
        env[PASSWORD_ENV] = account.password
    return env


def start_daemon(config_path: Path, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "triage", "-v", "run", "--config", str(config_path), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def parse(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def message_id_of(path: Path) -> str:
    return str(parse(path.read_bytes())["Message-ID"]).strip()


def with_message_id(raw: bytes, message_id: str) -> bytes:
    """The same mail under another Message-ID (to deliver many distinct copies of one fixture)."""
    newline = b"\r\n" if b"\r\n\r\n" in raw else b"\n"
    head, _, body = raw.partition(newline * 2)
    lines = [line for line in head.split(newline) if not line.lower().startswith(b"message-id:")]
    return newline.join([*lines, f"Message-ID: {message_id}".encode()]) + newline * 2 + body
