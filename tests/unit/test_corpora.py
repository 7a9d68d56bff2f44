"""Every message in the shared real-mail corpora parses without an exception."""

from __future__ import annotations

from pathlib import Path

from triage import message

NOT_MAIL = {".md", ".jsonl", ".tsv"}


def test_every_shared_corpus_message_parses(shared_corpora: Path) -> None:
    files = [
        path
        for path in sorted(shared_corpora.rglob("*"))
        if path.is_file() and path.suffix not in NOT_MAIL and not path.name.startswith("COPYING")
    ]
    assert len(files) > 3000
    failures = []
    for path in files:
        try:
            mail = message.parse(path.read_bytes())
            message.model_text(mail)
        except message.MailParseError as error:
            failures.append(f"{path.relative_to(shared_corpora)}: {error}")
    assert failures == []


def test_torture_mail_goes_through_extraction_standing_and_drafting(shared_corpora: Path) -> None:
    """Every parser-test message can be read for details, judged and answered without an exception,
    and the draft serialises: bad input never crashes a run or corrupts a draft."""
    from datetime import UTC, datetime

    from triage import config, extract, reply, standing
    from triage.decide import Decision

    firms = config.load_firm_directory()
    settings = config.load_settings(config.bundled_config_dir() / "triage.example.toml")
    schedule = Decision("schedule", ("torture test",))
    now = datetime(2026, 1, 5, tzinfo=UTC)
    files = [p for p in sorted((shared_corpora / "parser_tests").rglob("*")) if p.is_file()]
    files = [p for p in files if p.suffix not in NOT_MAIL and not p.name.startswith("COPYING")]
    assert len(files) > 250
    for path in files:
        mail = message.parse(path.read_bytes())
        details = extract.extract(mail, firms, "retained")
        judged = standing.assess(mail, details, "retained", firms)
        draft = reply.compose(
            mail, details, judged, schedule, settings.profile, settings.templates, now
        )
        assert draft is not None, path.name
        wire = draft.as_bytes()
        reparsed = message.parse(wire)
        assert reparsed.in_reply_to == mail.message_id or not mail.message_id, path.name
