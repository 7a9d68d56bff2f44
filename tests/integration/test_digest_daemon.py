"""The digest from the running daemon: appended once per period, and never triaged itself."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from tests.integration.daemon_helpers import ORDINARY, RECRUITER, maildir_config, run_once
from triage.maildir import create_maildir, deliver


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    root = tmp_path / "Maildir"
    create_maildir(root)
    return root


def digests(root: Path) -> list[email.message.Message]:
    found = []
    for folder in ("new", "cur"):
        for path in (root / folder).iterdir():
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["X-Triage-Digest"]:
                found.append(message)
    return found


def with_digest(config_path: Path, every: str = "daily") -> Path:
    config_path.write_text(config_path.read_text() + f'\n[digest]\nevery = "{every}"\nat_hour = 0\n')
    return config_path


def test_a_daily_digest_lists_the_approaches_once_and_is_not_triaged(
    inbox: Path, tmp_path: Path
) -> None:
    deliver(inbox, RECRUITER[0].read_bytes())
    deliver(inbox, ORDINARY.read_bytes())
    config_path = with_digest(maildir_config(tmp_path, inbox))
    code, out, err = run_once(config_path)
    assert code == 0, err
    assert json.loads(out)["drafted"] == 1
    (sent,) = digests(inbox)
    assert sent["Subject"].startswith("triage: 1 recruiter approach")
    text = sent.get_body(("plain",)).get_content()
    html = sent.get_body(("html",)).get_content()
    assert "Spencer Stuart" in text and "Spencer Stuart" in html
    assert "unsent" in text
    again = json.loads(run_once(config_path)[1])
    assert again["drafted"] == 0 and again["errors"] == 0
    assert len(digests(inbox)) == 1
    assert not list((inbox / ".Drafts" / "cur").glob("*"))[1:], "only the one recruiter draft"


def test_without_a_digest_section_none_is_sent(inbox: Path, tmp_path: Path) -> None:
    deliver(inbox, RECRUITER[0].read_bytes())
    assert run_once(maildir_config(tmp_path, inbox))[0] == 0
    assert digests(inbox) == []


def test_a_bad_digest_setting_names_the_key(inbox: Path, tmp_path: Path) -> None:
    config_path = with_digest(maildir_config(tmp_path, inbox), every="hourly")
    code, _, err = run_once(config_path)
    assert code == 1 and "[digest] every" in err
