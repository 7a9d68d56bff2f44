"""What triage does with mail, joining the edges (files, corpus) to the core (message, classify).

Nothing here prints or exits: results come back as values for the CLI to show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from triage import (
    classify,
    corpus,
    credentials,
    decide,
    extract,
    imap,
    maildir,
    message,
    reply,
    standing,
)
from triage.config import Settings
from triage.firms import FirmDirectory
from triage.mailbox import Mailbox
from triage.mailfiles import read_mail_files
from triage.mailparts import network_of

log = logging.getLogger(__name__)

MIN_EXAMPLES_PER_LABEL = 5


@dataclass(frozen=True)
class Classified:
    """The verdict on one message, or why there is none."""

    name: str
    message_id: str = ""
    subject: str = ""
    sender: str = ""
    label: str = ""
    confidence: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    standing: dict[str, Any] = field(default_factory=dict)
    action: str = ""
    reasons: tuple[str, ...] = ()
    draft: EmailMessage | None = None
    error: str = ""

    @property
    def flags(self) -> list[str]:
        return [flag["code"] for flag in self.standing.get("flags", [])]

    def as_json(self) -> dict[str, Any]:
        if self.error:
            return {"path": self.name, "error": self.error}
        return {
            "path": self.name,
            "message_id": self.message_id,
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "details": self.details,
            "standing": self.standing,
            "action": self.action,
        }


@dataclass(frozen=True)
class TrainingReport:
    model_path: Path
    card_path: Path
    card: classify.ModelCard
    evaluation: classify.Evaluation
    skipped: list[str]


@dataclass(frozen=True)
class Context:
    """What judging a message needs besides the message: model, firm directory, settings, time."""

    model: classify.Model
    firms: FirmDirectory
    settings: Settings | None = None
    now: datetime | None = None
    write_drafts: bool = True


def classify_files(
    paths: Iterable[Path], context: Context, batch: int = 64
) -> Iterator[Classified]:
    """Classify every message under `paths`, in batches; a bad file yields an error, not a stop.

    Recruiter mail also gets its details; every message gets its standing (scam signs and the
    like apply to any mail).
    """
    pending: list[tuple[str, message.Mail]] = []
    for item in read_mail_files(paths):
        if item.raw is None:
            yield Classified(item.name, error=item.error or "unreadable")
            continue
        try:
            pending.append((item.name, message.parse(item.raw)))
        except message.MailParseError as error:
            log.warning("Skipped %s: %s", item.name, error)
            yield Classified(item.name, error=str(error))
            continue
        if len(pending) >= batch:
            yield from _classify_batch(pending, context)
            pending = []
    yield from _classify_batch(pending, context)


def _classify_batch(
    pending: list[tuple[str, message.Mail]], context: Context
) -> Iterator[Classified]:
    predictions = context.model.predict([message.model_text(mail) for _, mail in pending])
    for (name, mail), prediction in zip(pending, predictions, strict=True):
        try:
            yield judge(name, mail, prediction, context)
        except Exception as error:  # one message must never stop a run over many
            log.exception("Could not triage %s (Message-ID %s)", name, mail.message_id)
            yield Classified(name, message_id=mail.message_id, error=f"could not triage: {error}")


def judge(
    name: str, mail: message.Mail, prediction: classify.Prediction, context: Context
) -> Classified:
    """Details, standing, and (with settings) the decision and its draft for one message.

    Details are read only from recruiter mail: most mail is not, and extraction costs several
    times what classifying does. Standing still checks every message (scam signs, no-reply).
    """
    if prediction.is_recruiter:
        details = extract.extract(mail, context.firms, prediction.label)
    else:
        details = extract.Details(via=network_of(mail))
    sender = standing.assess(mail, details, prediction.label, context.firms)
    action, draft = "", None
    reasons: tuple[str, ...] = ()
    if context.settings is not None:
        profile = context.settings.profile
        decision = decide.decide(prediction.label, prediction.confidence, details, sender, profile)
        action, reasons = decision.action, decision.reasons
        if context.write_drafts:
            now = context.now or datetime.now(UTC)
            templates = context.settings.templates
            draft = reply.compose(
                mail, details, sender, decision, profile, templates, now, context.settings.resume
            )
    return Classified(
        name=name,
        message_id=mail.message_id,
        subject=mail.subject,
        sender=mail.sender_address,
        label=prediction.label,
        confidence=prediction.confidence,
        details=details.as_json() if prediction.is_recruiter else {},
        standing=sender.as_json(),
        action=action,
        reasons=reasons,
        draft=draft,
    )


def train_model(
    corpus_root: Path,
    output_dir: Path,
    folds: int = 5,
    progress: classify.Progress | None = None,
) -> TrainingReport:
    """Cross-validate the recipe on the corpus, fit it on everything, and save model and card."""
    examples = corpus.read_corpus(corpus_root, classify.LABELS)
    texts, labels, skipped = [], [], []
    for example in examples:
        try:
            texts.append(message.model_text(message.parse(example.raw)))
            labels.append(example.label)
        except message.MailParseError as error:
            skipped.append(f"{example.path}: {error}")
    classify.check_training_set(labels, MIN_EXAMPLES_PER_LABEL)
    evaluation = classify.cross_validate(texts, labels, folds=folds, progress=progress)
    card = classify.make_card(
        labels,
        corpus_hash=corpus.corpus_hash(corpus_root, examples),
        trained_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        evaluation=evaluation,
    )
    model = classify.fit(texts, labels, card, progress=progress)
    model_path, card_path = classify.save(model, output_dir)
    return TrainingReport(model_path, card_path, card, evaluation, skipped)


class NoMailboxConfigured(ValueError):
    """The config has neither [imap] nor [maildir]."""


def mailbox_opener(settings: Settings) -> Callable[[], Mailbox]:
    """A function that opens the configured mailbox (again after a lost connection).

    The IMAP secret is read at every connection: OAuth2 tokens expire, and a password command
    may prompt an agent that was locked.
    """
    if settings.maildir is not None:
        folder = settings.maildir
        return lambda: maildir.MaildirBox(folder.path, folder.drafts)
    if settings.imap is None:
        raise NoMailboxConfigured(
            f"{settings.path} has no [imap] or [maildir] section, so there is no mailbox to "
            "watch. Run `triage init` for a starter config, or add one of them."
        )
    account = settings.imap
    server = imap.Server(
        account.host, account.port, account.security, account.cafile, account.timeout
    )
    what = "access token" if account.auth == "xoauth2" else "password"

    def open_imap() -> Mailbox:
        secret = credentials.read_secret(account.secret, what)
        login = imap.Login(account.username, secret, account.auth)
        return imap.connect(server, login, account.inbox, account.drafts)

    return open_imap
