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
