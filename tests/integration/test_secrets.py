"""The password never leaves the secret source: not in any output at debug level (imapclient's
protocol log included), not in the state file, the drafts or any file triage writes; a config
that says how to get it is readable by its owner only; and a model file cannot smuggle in code.

One distinctive password is used for real Dovecot accounts, so a leak anywhere is found by a
plain search for it.
"""

from __future__ import annotations

import base64
import builtins
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import skops.io
from click.testing import CliRunner
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from tests.integration.daemon_helpers import (
    ORDINARY,
    RECRUITER,
    imap_config,
    run_once,
    wait_until,
)
from tests.integration.dovecot import Account, Dovecot
from triage import classify, config
from triage.cli import cli

CANARY = "S3cret-Canary-42!"
WRONG = CANARY + "-but-wrong"  # contains the canary: a search for it finds either
RIGHT_ENV, WRONG_ENV = "TRIAGE_SECRET_TEST_PASSWORD", "TRIAGE_SECRET_TEST_WRONG"
# How a leak might be spelled besides plainly: as a Python literal, shell-escaped, or in base64
# (AUTHENTICATE PLAIN sends "\0user\0password" so encoded).
SPELLINGS = list(dict.fromkeys([CANARY, repr(CANARY)[1:-1], CANARY.replace("!", "\\!")]))


@pytest.fixture
def accounts(dovecot: Dovecot) -> Iterator[tuple[Account, Account]]:
    """Two accounts whose password is the canary: one for the one-shot runs, one for a daemon."""
    made = [dovecot.add_user(password=CANARY) for _ in range(2)]
    yield made[0], made[1]
    for account in made:
        dovecot.remove_user(account)


@pytest.fixture
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file holding the password for `password_command`, outside every folder searched."""
    folder = tmp_path_factory.mktemp("vault")
    secret = folder / "secret"
    secret.write_text(CANARY + "\n")
    secret.chmod(0o600)
    return secret


def leaks(data: bytes, username: str = "") -> list[str]:
    """The spellings of the canary found in `data`."""
    found = [spelling for spelling in SPELLINGS if spelling.encode() in data]
    plain = base64.b64encode(f"\0{username}\0{CANARY}".encode())
    return found + (["base64"] if username and plain in data else [])


def config_for(folder: Path, account: Account, **imap: object) -> Path:
    folder.mkdir()
    path = imap_config(folder, account, **imap)
    path.chmod(0o600)
    return path


class Triage:
    """`triage -vv ...` as a process of its own: debug logging, imapclient's protocol log
    included. Its output goes to a file (a pipe left unread would stall a chatty daemon)."""

    def __init__(self, output: Path, *args: str, env: dict[str, str]) -> None:
        self.output = output
        command = [sys.executable, "-m", "triage", "-vv", *args]
        with output.open("wb") as sink:
            self.process = subprocess.Popen(command, env=env, stdout=sink, stderr=sink)

    def finish(self, timeout: float = 60) -> tuple[int, bytes]:
        code = self.process.wait(timeout=timeout)
        return code, self.output.read_bytes()


def in_process(
    caplog: pytest.LogCaptureFixture, *args: str, env: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """`triage -vv ...` through CliRunner: its output and every log record it made."""
    caplog.clear()
    result = CliRunner(env=env).invoke(cli, ["-vv", *args], catch_exceptions=False)
    return result.exit_code, (result.stdout + result.stderr + caplog.text).encode()


def test_the_password_appears_in_no_output_no_state_no_draft_and_no_file(
    accounts: tuple[Account, Account],
    vault: Path,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`run --once` (right and wrong password) and a daemon stopped by TERM run as processes of
    their own at -vv; `doctor` and `config check` run meanwhile in this one, their log caught."""
    once, watched = accounts
    for account in accounts:
        account.append(RECRUITER[0].read_bytes())
        account.append(ORDINARY.read_bytes())
    env = dict(os.environ, **{RIGHT_ENV: CANARY, WRONG_ENV: WRONG})
    command = shlex.join(["cat", str(vault)])
    configs = {
        "once": config_for(tmp_path / "once", once, password_env=RIGHT_ENV),
        "wrong": config_for(tmp_path / "wrong", once, password_env=WRONG_ENV),
        "doctor": config_for(tmp_path / "doctor", once, password_env=RIGHT_ENV),
        "daemon": config_for(
            tmp_path / "daemon", watched, password_env=None, password_command=command
        ),
    }
    logs = tmp_path_factory.mktemp("outputs")  # searched as outputs, not as files triage wrote
    daemon = Triage(logs / "daemon", "run", "--config", str(configs["daemon"]), env=env)
    started = {
        "run --once": Triage(
            logs / "once", "run", "--once", "--config", str(configs["once"]), env=env
        ),
        "run, wrong password": Triage(
            logs / "wrong", "run", "--once", "--config", str(configs["wrong"]), env=env
        ),
    }
    caplog.set_level(logging.DEBUG)
    outputs = {
        "doctor": in_process(caplog, "doctor", "--config", str(configs["doctor"]), env=env),
        "config check": in_process(caplog, "config", "check", "--config", str(configs["daemon"])),
    }
    outputs |= {name: process.finish() for name, process in started.items()}
    drafted = wait_until(lambda: len(watched.messages("Drafts")) == 1, timeout=30, step=0.25)
    daemon.process.send_signal(signal.SIGTERM)
    outputs["daemon"] = daemon.finish(timeout=30)

    # Everything really happened: logins with the password, at debug level.
    codes = {name: code for name, (code, _) in outputs.items()}
    assert codes == {
        "run --once": 0, "run, wrong password": 1, "config check": 0, "doctor": 0, "daemon": 0,
    }, outputs  # fmt: skip
    assert drafted and len(once.messages("Drafts")) == 1
    assert b"AUTHENTICATIONFAILED" in outputs["run, wrong password"][1]
    for name in ("run --once", "doctor", "daemon"):
        assert b"LOGIN" in outputs[name][1] and b"imapclient" in outputs[name][1], name
    assert b"the output of `cat " in outputs["config check"][1]

    found = {name: leaks(text, once.username) for name, (_, text) in outputs.items()}
    for account in accounts:
        for folder in ("INBOX", "Drafts"):
            found[f"{account.username} {folder}"] = [
                spelling for _, _, raw in account.messages(folder) for spelling in leaks(raw)
            ]
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name == "state.sqlite3" for path in files)
    found |= {str(path): leaks(path.read_bytes()) for path in files}
    assert {where: spellings for where, spellings in found.items() if spellings} == {}


def test_a_config_others_can_read_that_runs_a_password_command_draws_a_warning(
    accounts: tuple[Account, Account], vault: Path, tmp_path: Path
) -> None:
    command = shlex.join(["cat", str(vault)])
    path = imap_config(tmp_path, accounts[0], password_env=None, password_command=command)
    path.chmod(0o644)
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    assert result.exit_code == 0
    assert f"warning: {path} holds your [imap] settings and other users can read it" in (
        result.stderr
    )
    assert f"chmod 600 {path}" in result.stderr
    code, _, err = run_once(path)
    assert code == 0 and f"warning: {path} holds your [imap] settings" in err
    path.chmod(0o600)
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    assert result.exit_code == 0 and "warning" not in result.stderr


# A model file is data: loading it must never let it choose code to run.


def with_first_step(function: Callable[..., Any], folder: Path) -> Path:
    """The shipped model with a FunctionTransformer calling `function` in front, saved by skops
    itself (with the shipped card, so only the model's contents can be refused)."""
    shipped = classify.load(config.bundled_model_dir())
    steps = [("call", FunctionTransformer(func=function)), *shipped.estimator.steps]
    skops.io.dump(Pipeline(steps), folder / classify.MODEL_FILE)
    shutil.copy(config.bundled_model_dir() / classify.CARD_FILE, folder)
    return folder


def test_a_model_calling_a_function_outside_scikit_learn_is_refused(tmp_path: Path) -> None:
    with pytest.raises(classify.ModelError, match="does not trust"):
        classify.load(with_first_step(os.system, tmp_path))


def test_a_model_calling_a_builtin_such_as_exec_is_refused(tmp_path: Path) -> None:
    with pytest.raises(classify.ModelError, match="does not trust"):
        classify.load(with_first_step(builtins.exec, tmp_path))
