"""What the daemon does between passes besides new mail: noticing corrections, sending the digest.

Neither may stop the daemon: a failure is logged and tried again later (a lost connection still
goes up to the run loop, which reconnects).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from triage import corrections, digest
from triage.config import Settings, user_examples_dir
from triage.mailbox import ConnectionLost, Mailbox, MailboxError
from triage.message import Mail
from triage.store import Row, Store, StoreError

log = logging.getLogger(__name__)

CORRECTIONS_EVERY = 60.0
LAST_DIGEST = "digest.last_sent"


def is_own_digest(mail: Mail, settings: Settings | None) -> bool:
    """The digest triage put in the inbox: sent by the person to themself, auto-generated.

    It names firms and roles, so it must not be classified as recruiter mail.
    """
    return (
        settings is not None
        and mail.sender_address.lower() == settings.profile.address.lower()
        and mail.header("auto-submitted").lower().startswith("auto-generated")
    )


class Chores:
    def __init__(self) -> None:
        self._corrections_at = float("-inf")

    def run(self, box: Mailbox, store: Store, settings: Settings | None) -> None:
        try:
            self._corrections(box, store, settings)
            if settings is not None and settings.digest.every:
                send_digest_if_due(box, store, settings, datetime.now().astimezone())
        except ConnectionLost:
            raise
        except (MailboxError, StoreError, OSError) as error:
            log.warning("Skipped a chore (corrections, digest), will try again: %s", error)

    def _corrections(self, box: Mailbox, store: Store, settings: Settings | None) -> None:
        """Look for the person's corrections at most every CORRECTIONS_EVERY seconds."""
        now = time.monotonic()
        if now - self._corrections_at < CORRECTIONS_EVERY:
            return
        self._corrections_at = now
        folders = settings.train.folders if settings is not None else {}
        corrections.scan(box, store, folders, user_examples_dir())


def send_digest_if_due(box: Mailbox, store: Store, settings: Settings, now: datetime) -> bool:
    """Append the digest of the approaches since the last one when it is due; True if sent.

    The time is recorded before appending: after a crash in between, one digest is missed
    rather than sent twice.
    """
    every, hour = settings.digest.every, settings.digest.at_hour
    recorded = store.meta(LAST_DIGEST)
    last = datetime.fromisoformat(recorded) if recorded else None
    if not digest.is_due(last, now, every, hour):
        return False
    since = last or now - timedelta(days=7 if every == "weekly" else 1)
    profile = settings.profile

    def unsent(row: Row) -> bool | None:
        return box.draft_exists(row.key) if row.draft_message_id else None

    message = digest.build_digest(
        store.history(), since, now, profile.name, profile.address, unsent
    )
    store.set_meta(LAST_DIGEST, now.isoformat())
    store.commit()
    if message is None:
        return False
    box.append_to_inbox(message.as_bytes())
    log.info("Appended the %s digest to %s", every, box.name)
    return True
