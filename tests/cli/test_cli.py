"""Every command through click's CliRunner, plus the installed `triage` entry point."""

from __future__ import annotations

import json
import mailbox
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import MAIL_FIXTURES
from triage import classify, config, message
from triage.cli import cli

COMMANDS = sorted(cli.commands)  # type: ignore[attr-defined]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_version_is_the_package_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("triage, version ")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    code, out, _ = run(command, "-h")
    assert code == 0
    assert "Usage:" in out
    docstring = cli.commands[command].help  # type: ignore[attr-defined]
    assert docstring and len(docstring.split()) >= 5


def test_classify_json_gives_one_object_per_message() -> None:
    code, out, _ = run("classify", "--json", str(MAIL_FIXTURES))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert len(lines) == len(list(MAIL_FIXTURES.glob("*.eml")))
    for line in lines:
        assert line.keys() == {
            "path",
            "message_id",
            "label",
            "confidence",
            "details",
            "standing",
            "action",
        }
        assert line["action"] in {"schedule", "decline", "refer", "review", "none"}
        assert line["label"] in classify.LABELS
        assert 0.0 <= line["confidence"] <= 1.0
        assert ("firm" in line["details"]) == (line["label"] != "other")
        assert all(flag["reason"] for flag in line["standing"]["flags"])


def test_an_unreadable_file_gives_an_error_line_and_the_run_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.eml"
    shutil.copy(next(MAIL_FIXTURES.glob("*.eml")), good)
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    code, out, _ = run("classify", "--json", str(empty), str(good))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert lines[0]["path"] == str(empty) and "error" in lines[0]
    assert lines[1]["label"] in classify.LABELS


def test_an_mbox_is_read_message_by_message(tmp_path: Path) -> None:
    box_path = tmp_path / "mail.mbox"
    box = mailbox.mbox(box_path)
    fixtures = sorted(MAIL_FIXTURES.glob("*.eml"))[:3]
    for path in fixtures:
        box.add(path.read_bytes())
    box.flush()
    code, out, _ = run("classify", "--json", str(box_path))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [line["path"] for line in lines] == [f"{box_path}#{n}" for n in (1, 2, 3)]
    assert all(line["message_id"] for line in lines)


def test_classify_table_names_label_sender_and_file() -> None:
    path = sorted(MAIL_FIXTURES.glob("*.eml"))[0]
    code, out, _ = run("classify", str(path))
    header, row = out.splitlines()
    assert code == 0
    assert header.split() == [
        "LABEL",
        "CONF",
        "ACTION",
        "FIRM",
        "POSITION",
        "COMPANY",
        "FLAGS",
        "FILE",
    ]
    assert row.split()[0] in classify.LABELS and row.endswith(path.name)


def test_classify_json_gives_the_details_and_standing_of_a_recruiter_mail() -> None:
    path = MAIL_FIXTURES / "01-retained-spencer-stuart-cmo.eml"
    code, out, _ = run("classify", "--json", str(path))
    line = json.loads(out)
    assert code == 0 and line["label"] == "retained"
    assert line["details"]["firm"] == "Spencer Stuart"
    assert line["details"]["recruiter_name"] == "Gregory Tan"
    assert line["standing"]["firm"]["name"] == "Spencer Stuart"
    assert line["standing"]["firm"]["kind"] == "retained"


def test_mail_parser_noise_stays_out_of_the_terminal(tmp_path: Path) -> None:
    signed = tmp_path / "signed.eml"
    signed.write_bytes(
        b"From: a@b.example\r\nSubject: signed\r\nMessage-ID: <s@b.example>\r\n"
        b'Content-Type: multipart/signed; boundary="b";\r\n'
        b' protocol="application/pgp-signature"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        b"--b\r\nContent-Type: application/pgp-signature\r\n\r\n"
        b"-----BEGIN PGP SIGNATURE-----\r\n--b--\r\n"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "triage", "classify", str(signed)], capture_output=True, text=True
    )
    assert completed.returncode == 0
    assert "not handled" not in completed.stderr
    assert completed.stderr.startswith("No config file: using the bundled sample profile")
    assert len(completed.stderr.strip().splitlines()) == 1


def test_train_writes_a_model_that_classify_then_uses(tiny_corpus: Path, tmp_path: Path) -> None:
    output = tmp_path / "model"
    code, out, err = run(
        "train", "--corpus", str(tiny_corpus), "--output", str(output), "--folds", "2", "--json"
    )
    report = json.loads(out)
    assert code == 0
    assert report["counts"]["other"] == len(list((tiny_corpus / "other").glob("*.eml")))
    assert set(report["evaluation"]["per_label"]) == set(classify.LABELS)
    assert "fold 1/2" in err or "Training" in err
    code, out, _ = run("classify", "--json", "--model", str(output), str(MAIL_FIXTURES))
    assert code == 0 and len(out.splitlines()) == len(list(MAIL_FIXTURES.glob("*.eml")))


def test_train_by_default_installs_into_the_user_data_dir(tiny_corpus: Path) -> None:
    code, out, _ = run("train", "--corpus", str(tiny_corpus), "--folds", "2")
    assert code == 0
    assert "macro-F1" in out and "Confusion" in out
    assert config.active_model_dir() == config.user_data_dir() / "model"


def test_train_on_a_missing_corpus_says_what_to_pass(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--corpus", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "Pass --corpus" in result.output


def test_demo_runs_the_daemon_over_a_sample_maildir_and_labels_every_message() -> None:
    code, out, _ = run("demo")
    expected = json.loads((config.sample_mail_dir() / "LABELS.json").read_text())
    rows = {line.split()[-1]: line.split()[2] for line in out.splitlines() if line.endswith(".eml")}
    assert code == 0
    assert rows.keys() == expected.keys()
    right = sum(rows[name] == label for name, label in expected.items())
    assert right >= len(expected) - 1, rows
    drafted = sum(" yes " in line for line in out.splitlines() if line.endswith(".eml"))
    assert drafted >= 4 and f"{drafted} drafts written to Drafts for 12 messages." in out
    assert "In-Reply-To: <" in out and "X-Triage-Original-Message-ID: <" in out


def test_the_installed_entry_point_runs() -> None:
    executable = shutil.which("triage", path=str(Path(sys.executable).parent))
    assert executable, "the console script `triage` is not installed next to this Python"
    completed = subprocess.run([executable, "--version"], capture_output=True, text=True)
    assert completed.returncode == 0 and "triage, version" in completed.stdout


def test_draft_prints_action_reasons_and_the_whole_draft() -> None:
    path = config.sample_mail_dir() / "05-in_house-lever-ats-noreply.eml"
    result = CliRunner().invoke(cli, ["draft", str(path)])
    assert result.exit_code == 0
    assert "No config file: using the bundled sample profile" in result.stderr
    assert "action: schedule" in result.stdout
    original = message.parse(path.read_bytes()).message_id
    assert "In-Reply-To:" in result.stdout and original in result.stdout
    assert "Subject: Re: VP Finance at Fenwick Health" in result.stdout


def test_draft_json_has_the_documented_shape() -> None:
    code, out, _ = run("draft", "--json", str(config.sample_mail_dir()))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 12
    for line in lines:
        assert line.keys() == {"path", "label", "action", "reasons", "draft"}
        if line["draft"] is not None:
            assert line["draft"].keys() == {"to", "subject", "in_reply_to", "references", "body"}
            assert line["draft"]["subject"].startswith("Re: ")
        else:
            assert line["action"] in {"none", "review"}
    assert {line["action"] for line in lines} >= {"schedule", "refer", "none"}


def test_draft_with_a_broken_config_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "config.toml"
    broken.write_text("[profile]\nname = 'A'\n")
    result = CliRunner().invoke(cli, ["draft", "--config", str(broken), str(MAIL_FIXTURES)])
    assert result.exit_code == 1
    assert str(broken) in result.output and "needs address" in result.output
