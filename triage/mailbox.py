"""What the run loop needs from a mailbox, whether it is on an IMAP server or a local Maildir.

`imap.py` and `maildir.py` each provide this interface; the run loop (`watch.py`) knows only it.
A message is named by a `ref`: its UID on IMAP (as text), its unique file name on a Maildir.
Refs are only meaningful together with the folder's `validity` (IMAP's UIDVALIDITY).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

KEYWORD_PREFIX = "Triage/"
# Every draft names the message it answers here; searched for before appending another.
ORIGINAL_HEADER = "X-Triage-Original-Message-ID"


class MailboxError(RuntimeError):
    """The mailbox cannot be used; the message names it and says what to check."""


class LoginRefused(MailboxError):
    """The server refused the credentials: retrying will not help, the person must act."""


class ConnectionLost(MailboxError):
    """The connection dropped or stalled; the run loop reconnects and carries on."""


@dataclass(frozen=True)
class Fetched:
    """One message as fetched, unread flags untouched: raw bytes, arrival time and keywords."""

    ref: str
    raw: bytes
    arrived: datetime | None
    keywords: frozenset[str] = frozenset()


class Mailbox(Protocol):
    """The operations triage performs on a mailbox; none of them sends, deletes or marks read."""

    @property
    def name(self) -> str:
        """Where this is, for logs and messages (never with a password)."""
        ...

    @property
    def supports_idle(self) -> bool:
        """Whether `wait` is woken by the server (IMAP IDLE) rather than by polling."""
        ...

    def validity(self) -> str:
        """The watched folder's UIDVALIDITY; refs from another validity name other messages."""
        ...

    def refs_since(self, since: datetime) -> list[str]:
        """Refs of messages that arrived at or after `since`, oldest first."""
        ...

    def refs_after(self, cursor: str) -> list[str]:
        """Refs of messages after the cursor (the last ref handled), oldest first."""
        ...

    def fetch(self, refs: list[str]) -> list[Fetched]:
        """The messages, without marking them read; refs that vanished are left out."""
        ...

    def draft_exists(self, original_key: str) -> bool:
        """Whether the drafts folder holds a draft whose X-Triage-Original-Message-ID is this."""
        ...

    def append_draft(self, raw: bytes) -> None:
        """Add a draft (flagged as a draft, not seen) to the drafts folder."""
        ...

    def append_to_inbox(self, raw: bytes) -> None:
        """Add a message of triage's own (the digest) to the watched folder, unread."""
        ...

    def add_keyword(self, ref: str, keyword: str) -> None:
        """Set one of triage's own keywords on a message, touching none of its other flags."""
        ...

    def keywords(self, refs: list[str]) -> dict[str, frozenset[str]]:
        """The current keywords of these inbox messages (those still there), by ref."""
        ...

    def folder_refs(self, folder: str) -> list[str]:
        """Refs of every message in another (label) folder; MailboxError when it is missing."""
        ...

    def fetch_folder(self, folder: str, refs: list[str]) -> list[Fetched]:
        """Messages of another folder, without marking them read."""
        ...

    def folder_message_ids(self, folder: str) -> dict[str, str]:
        """The Message-ID of every message in another folder, by ref (headers only)."""
        ...

    def wait(self, seconds: float, stop: threading.Event, use_idle: bool = True) -> None:
        """Return when new mail may have arrived, `seconds` passed, or `stop` was set.

        With `use_idle` false an IMAP mailbox polls even when the server offers IDLE."""
        ...

    def close(self) -> None:
        """Log out / release the mailbox; safe to call twice and after a lost connection."""
        ...


def label_keyword(label: str) -> str:
    """The keyword set on a message triage labelled: `Triage/Retained`, `Triage/In_house`..."""
    return KEYWORD_PREFIX + label.capitalize()


def label_of_keyword(keyword: str, labels: tuple[str, ...]) -> str | None:
    """The label a `Triage/...` keyword names (any case), or None."""
    if not keyword.lower().startswith(KEYWORD_PREFIX.lower()):
        return None
    name = keyword[len(KEYWORD_PREFIX) :].lower()
    return name if name in labels else None
