"""Shared fixtures. Every user path triage knows (data, state, config) points into tmp_path."""

from __future__ import annotations

import json
import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest

from triage import classify

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
MAIL_FIXTURES = FIXTURES / "mail"
SHARED_CORPORA = TESTS.parent.parent / "shared" / "corpora"


@pytest.fixture(autouse=True)
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test away from the developer's own config, data and state directories."""
    home = tmp_path / "home"
    for name, sub in [
        ("TRIAGE_DATA_DIR", "data"),
        ("TRIAGE_STATE_DIR", "state"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "xdg-data"),
        ("XDG_STATE_HOME", "xdg-state"),
    ]:
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.delenv("TRIAGE_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(home))
    return home


def fixture_cases() -> list[tuple[Path, dict[str, object]]]:
    """Each .eml fixture with the expectations in the JSON file beside it."""
    return [
        (eml, json.loads(eml.with_suffix(".json").read_text()))
        for eml in sorted(MAIL_FIXTURES.glob("*.eml"))
    ]


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small labelled corpus built from the test fixtures: enough for the train path to run."""
    root = tmp_path_factory.mktemp("tiny-corpus")
    for eml, expected in fixture_cases():
        label_dir = root / str(expected["label"])
        label_dir.mkdir(exist_ok=True)
        shutil.copy(eml, label_dir / eml.name)
    return root


@pytest.fixture(scope="session")
def shipped_model() -> classify.Model:
    from triage import config

    return classify.load(config.bundled_model_dir())


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """The real-mail corpora beside the checkout; tests needing them skip where they are absent."""
    if not SHARED_CORPORA.is_dir():
        pytest.skip(f"no shared corpora at {SHARED_CORPORA}")
    return SHARED_CORPORA


def mail_bytes(body: str = "Hello Dana,\n\nA note.\n", **headers: str) -> bytes:
    """A plain RFC 5322 message; header names use `_` for `-` (Reply_To=...)."""
    mail = EmailMessage()
    mail["From"] = headers.pop("From", "Ann Example <ann@example.org>")
    mail["To"] = headers.pop("To", "dana@example.com")
    mail["Subject"] = headers.pop("Subject", "A subject")
    mail["Message-ID"] = headers.pop("Message_ID", "<abc@example.org>")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail.as_bytes()
