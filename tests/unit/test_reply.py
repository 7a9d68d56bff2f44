"""Drafts: golden files for every fixture that gets one, and properties that hold for every draft.

Goldens live in tests/fixtures/drafts/. After an intended change of wording, rewrite them with
`TRIAGE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_reply.py` and read the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, MAIL_FIXTURES
from triage import classify, config, message, pipeline, reply

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
GOLDEN = FIXTURES / "drafts"
ALL_MAIL = sorted(MAIL_FIXTURES.glob("*.eml")) + sorted(config.sample_mail_dir().glob("*.eml"))


@pytest.fixture(scope="module")
def context(shipped_model: classify.Model) -> pipeline.Context:
    settings = config.load_settings(config.bundled_config_dir() / "triage.example.toml")
    return pipeline.Context(shipped_model, config.load_firm_directory(), settings, NOW)


@pytest.fixture(scope="module")
def results(context: pipeline.Context) -> dict[Path, pipeline.Classified]:
    return {Path(r.name): r for r in pipeline.classify_files(ALL_MAIL, context)}


def golden_text(draft: EmailMessage) -> str:
    """The parts of a draft that must not change by accident (not Date or Message-ID)."""
    headers = "".join(
        f"{name}: {draft[name]}\n"
        for name in ("From", "To", "Subject", "In-Reply-To", "References", "X-Triage-Action")
    )
    body = draft.get_body(("plain",))
    assert body is not None
    return headers + "\n" + body.get_content()


def test_every_action_and_language_has_a_golden_draft(
    results: dict[Path, pipeline.Classified],
) -> None:
    drafted = {path: r for path, r in results.items() if r.draft is not None}
    actions = {r.action for r in drafted.values()}
    languages = {reply.language_of(message.parse(path.read_bytes())) for path in drafted}
    assert len(drafted) >= 20
    assert actions == {"schedule", "decline", "refer"}
    assert languages == {"en", "fr", "de", "es"}


@pytest.mark.parametrize("path", ALL_MAIL, ids=lambda p: p.stem)
def test_draft_matches_its_golden_file(
    path: Path, results: dict[Path, pipeline.Classified]
) -> None:
    draft = results[path].draft
    golden = GOLDEN / f"{path.stem}.txt"
    if draft is None:
        assert not golden.exists(), f"{golden.name} exists but no draft was written"
        return
    text = golden_text(draft)
    if os.environ.get("TRIAGE_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


@pytest.mark.parametrize("path", ALL_MAIL, ids=lambda p: p.stem)
def test_every_draft_keeps_the_promises(
    path: Path, results: dict[Path, pipeline.Classified], context: pipeline.Context
) -> None:
    result = results[path]
    mail = message.parse(path.read_bytes())
    draft = result.draft
    if result.label == "other" or "scam_signs" in result.flags:
        assert draft is None
    if draft is None:
        return
    body = draft.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    reply_part = text.split("\n> ")[0]
    assert draft["In-Reply-To"] == mail.message_id
    assert str(draft["References"]).split()[-1] == mail.message_id
    assert draft[reply.ORIGINAL_HEADER] == mail.message_id
    assert draft["To"] == (mail.reply_to or mail.sender_address)
    subject = str(draft["Subject"])
    assert subject.startswith("Re: ") and not re.match(r"(?i)re:\s*re:", subject)
    assert "{{" not in text and "}}" not in text
    assert not re.search(r"\{[a-z_]+\}", reply_part)
    settings = context.settings
    assert settings is not None
    for contact in settings.profile.contacts:
        if not contact.may_name:
            assert contact.name not in reply_part
    windows = {
        (w.start.strftime("%H:%M"), w.end.strftime("%H:%M")) for w in settings.profile.windows
    }
    for start, end in re.findall(r"^- .*?(\d\d:\d\d)-(\d\d:\d\d)$", reply_part, re.M):
        assert (start, end) in windows
    details = result.details
    if details.get("position"):
        assert details["position"] in reply_part
    first = details.get("recruiter_name", "").split()[:1]
    if first:
        assert first[0] in reply_part.splitlines()[0]
    language = reply.language_of(mail)
    if result.action == "schedule" and language == "en" and not mail.attachments:
        assert "job description" in reply_part


def test_the_subject_of_a_draft_has_one_re_and_a_bounded_length() -> None:
    assert reply.reply_subject("RE: Re: AW: CFO search") == "Re: CFO search"
    assert reply.reply_subject("Fwd: Re: Role") == "Re: Role"
    assert len(reply.reply_subject("x" * 2000)) <= reply.MAX_SUBJECT


def test_values_from_mail_are_pasted_as_text_never_evaluated() -> None:
    from triage.templates import fill

    values = {"greeting": "{{signature}} {0.__class__} %s", "signature": "SECRET"}
    assert fill("{{greeting}}\n", values) == "{{signature}} {0.__class__} %s\n"


def test_proposed_times_come_from_the_windows_in_the_persons_time_zone() -> None:
    settings = config.load_settings(config.bundled_config_dir() / "triage.example.toml")
    slots = reply.proposed_times(settings.profile, NOW, "en")
    assert slots == [
        "Tuesday 6 January, 08:00-09:00",
        "Thursday 8 January, 12:30-13:30",
        "Friday 9 January, 16:00-17:00",
    ]
    assert (
        reply.proposed_times(settings.profile, NOW, "de")[0] == "Dienstag, 6. Januar, 08:00-09:00"
    )


def test_hostile_header_values_cannot_add_a_header_to_the_draft(context: pipeline.Context) -> None:
    import base64

    evil = base64.b64encode(b"Eve\r\nBcc: everyone@example.net").decode()
    raw = (
        f"From: =?utf-8?b?{evil}?= <eve@search.example>\r\n"
        f"Subject: {'Chief Financial Officer ' * 90}\r\n"
        "Message-ID: <evil-1@search.example>\r\nTo: dana@example.com\r\n\r\n"
        "We have been retained to appoint a Chief Financial Officer in London. Can we talk?\r\n"
    ).encode()
    mail = message.parse(raw)
    assert context.settings is not None
    profile = context.settings.profile
    decision = reply.Decision("schedule", ("test",))
    details = pipeline.extract.extract(mail, context.firms, "retained")
    sender = pipeline.standing.assess(mail, details, "retained", context.firms)
    draft = reply.compose(mail, details, sender, decision, profile, context.settings.templates, NOW)
    assert draft is not None
    wire = draft.as_bytes()
    assert b"\nBcc:" not in wire and b"\r\nBcc:" not in wire
    assert len(str(draft["Subject"])) <= reply.MAX_SUBJECT
    assert message.parse(wire).subject.startswith("Re: Chief Financial Officer")


def test_a_configured_resume_is_attached_to_a_schedule_draft(context: pipeline.Context) -> None:
    path = config.sample_mail_dir() / "05-in_house-lever-ats-noreply.eml"
    resume = reply.Attachment("Dana-Whitfield-CV.pdf", b"%PDF-1.4 cv")
    result = next(pipeline.classify_files([path], context))
    assert result.action == "schedule"
    mail = message.parse(path.read_bytes())
    assert context.settings is not None
    details = pipeline.extract.extract(mail, context.firms, result.label)
    sender = pipeline.standing.assess(mail, details, result.label, context.firms)
    decision = reply.Decision("schedule", ())
    draft = reply.compose(
        mail,
        details,
        sender,
        decision,
        context.settings.profile,
        context.settings.templates,
        NOW,
        resume,
    )
    assert draft is not None
    attached = [part.get_filename() for part in draft.iter_attachments()]
    assert attached == ["Dana-Whitfield-CV.pdf"]
    body = draft.get_body(("plain",))
    assert body is not None and "I attach my CV." in body.get_content()
