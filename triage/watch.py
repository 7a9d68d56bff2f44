"""The run loop of `triage run`: new mail in, one draft per recruiter approach out.

For each batch of new messages it first decides (parse, classify, judge: pure), then acts: looks
for an existing draft naming the original, appends one if there is none, sets the label keyword,
and records the outcome. Duplicates are prevented by the mailbox itself, not only by the store:
every draft names its original in a header that is searched for before appending, so a crash
between append and commit, or a lost state file, never gives a second draft.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from triage import message
from triage.accounts import RunSettings
from triage.chores import Chores, is_own_digest
from triage.mailbox import (
    ORIGINAL_HEADER,
    ConnectionLost,
    Fetched,
    LoginRefused,
    Mailbox,
    MailboxError,
    label_keyword,
)
from triage.pipeline import Classified, Context, judge
from triage.store import Record, Store

log = logging.getLogger(__name__)

BATCH = 200
MAX_ATTEMPTS = 3
BACKOFF_FIRST, BACKOFF_CAP = 1.0, 120.0
ONCE_RETRIES = 3
STEADY_SECONDS = 60.0
VALIDITY_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class Options:
    once: bool = False
    dry_run: bool = False
    backfill_days: int | None = None


@dataclass
class Summary:
    """What a run did, for `--once` and the log: counts only, no mail content."""

    seen: int = 0
    drafted: int = 0
    already_drafted: int = 0
    skipped: int = 0
    errors: int = 0
    duplicates: int = 0
    reconnects: int = 0

    def as_json(self) -> dict[str, int]:
        return asdict(self)


def message_key(mail: message.Mail, raw: bytes) -> str:
    """Identity across folders and UIDVALIDITY changes: the Message-ID, else a hash of the bytes."""
    return mail.message_id or _content_key(raw)


def backoff_delays(first: float = BACKOFF_FIRST, cap: float = BACKOFF_CAP) -> Callable[[], float]:
    """Growing, capped delays with jitter, so many clients do not reconnect in step."""
    attempt = 0

    def next_delay() -> float:
        nonlocal attempt
        delay: float = min(cap, first * 2.0**attempt)
        attempt += 1
        return delay * random.uniform(0.5, 1.0)

    return next_delay


class Watcher:
    """Runs passes over a mailbox until stopped; reconnects when the connection is lost."""

    def __init__(
        self,
        open_mailbox: Callable[[], Mailbox],
        store: Store | None,
        load_context: Callable[[], Context],
        run: RunSettings,
        options: Options,
        stop: threading.Event | None = None,
        reload: threading.Event | None = None,
    ) -> None:
        self.open_mailbox = open_mailbox
        self.store = store
        self.load_context = load_context
        self.context = load_context()
        self.run_settings = run
        self.options = options
        self.stop = stop or threading.Event()
        self.reload = reload or threading.Event()
        # Ends a wait early: set with `stop` (TERM, INT) and with `reload` (HUP).
        self.wake = threading.Event()
        self.summary = Summary()
        self.chores = Chores()

    def run(self) -> Summary:
        """Process new mail (and wait for more unless `once`); LoginRefused ends it at once."""
        delays = backoff_delays()
        failures = 0
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self._session()
                return self.summary
            except LoginRefused:
                raise
            except ConnectionLost as error:
                if time.monotonic() - started > STEADY_SECONDS:  # it had been working: start over
                    delays, failures = backoff_delays(), 0
                failures += 1
                if self.options.once and failures > ONCE_RETRIES:
                    raise MailboxError(f"Gave up after {failures} tries: {error}") from None
                self.summary.reconnects += 1
                delay = delays()
                log.warning("%s; reconnecting in %.1f s", error, delay)
                self.stop.wait(delay)
        return self.summary

    def _session(self) -> None:
        box = self.open_mailbox()
        log.info("Watching %s", box.name)
        try:
            while not self.stop.is_set():
                self._maybe_reload()
                self.process(box)
                if self.store is not None and not self.options.dry_run:
                    self.chores.run(box, self.store, self.context.settings)
                if self.options.once:
                    return
                self._wait(box)
        finally:
            box.close()

    def request_stop(self) -> None:
        """Finish the message in hand, then return from `run` (safe from a signal handler)."""
        self.stop.set()
        self.wake.set()

    def request_reload(self) -> None:
        """Reload config and model before the next pass, ending a wait now."""
        self.reload.set()
        self.wake.set()

    def _wait(self, box: Mailbox) -> None:
        """IDLE when the server offers it (unless turned off), else the mailbox's own polling."""
        settings = self.run_settings
        if self.reload.is_set() or self.stop.is_set():
            return
        renew = settings.idle_renew if box.supports_idle and settings.idle else 0.0
        box.wait(renew or settings.poll_interval, self.wake, use_idle=settings.idle)
        if not self.stop.is_set():
            self.wake.clear()

    def _maybe_reload(self) -> None:
        if self.reload.is_set():
            self.reload.clear()
            try:
                self.context = self.load_context()
                log.info("Reloaded the config and the model")
            except Exception as error:  # a bad edit must not stop a running daemon
                log.error("Could not reload, keeping the previous config and model: %s", error)

    def process(self, box: Mailbox) -> None:
        """One pass: retry failed messages, then handle everything after the cursor."""
        validity = box.validity()
        if self.store is not None:
            retries = self.store.retry_refs(box.name, validity, MAX_ATTEMPTS)
            if retries:
                self._handle(box, validity, retries, move_cursor=False)
        self._handle(box, validity, self._new_refs(box, validity), move_cursor=True)

    def _new_refs(self, box: Mailbox, validity: str) -> list[str]:
        now = datetime.now(UTC)
        cursor = self.store.cursor(box.name) if self.store is not None else None
        days = self.options.backfill_days
        window = now - timedelta(days=self.run_settings.backfill_days if days is None else days)
        if cursor is None:
            refs = box.refs_since(window)
        elif cursor.validity != validity:
            log.warning(
                "UIDVALIDITY of %s changed (%s -> %s): rescanning from %s",
                box.name,
                cursor.validity,
                validity,
                cursor.updated_at - VALIDITY_SLACK,
            )
            refs = box.refs_since(min(cursor.updated_at - VALIDITY_SLACK, window))
        else:
            refs = box.refs_after(cursor.last_ref)
            if days is not None:
                newer = set(refs)
                refs = [ref for ref in box.refs_since(window) if ref not in newer] + refs
        if not refs or self.store is None:  # most IDLE wake-ups find nothing: skip the query
            return refs
        known = self.store.known_refs(box.name, validity)
        return [ref for ref in refs if ref not in known]

    def _handle(self, box: Mailbox, validity: str, refs: list[str], move_cursor: bool) -> None:
        """Handle the refs in batches, fetching the next batch while this one is classified.

        The connection is used by one thread at a time: the prefetch finishes before the batch's
        drafts are appended and keywords set.
        """
        chunks = [refs[start : start + BATCH] for start in range(0, len(refs), BATCH)]
        if not chunks:
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
            pending: Future[list[Fetched]] | None = pool.submit(box.fetch, chunks[0])
            for number, chunk in enumerate(chunks):
                assert pending is not None
                fetched = {item.ref: item for item in pending.result()}
                following = chunks[number + 1] if number + 1 < len(chunks) else None
                pending = pool.submit(box.fetch, following) if following else None
                verdicts = self._decide(box, validity, [fetched[r] for r in chunk if r in fetched])
                if pending is not None:
                    pending.exception()  # wait: the connection must be free before acting
                done = self._act_in_order(box, validity, chunk, verdicts)
                if self.store is not None and not self.options.dry_run:
                    if move_cursor and done:
                        self.store.set_cursor(box.name, validity, done)
                    self.store.commit()
                if self.stop.is_set():
                    return

    def _act_in_order(
        self,
        box: Mailbox,
        validity: str,
        refs: list[str],
        verdicts: dict[str, tuple[Fetched, str, Classified]],
    ) -> str:
        """Act on each message in order; return the last ref handled (the new cursor)."""
        last = ""
        for ref in refs:
            if self.stop.is_set():
                return last
            if ref in verdicts:
                item, key, verdict = verdicts[ref]
                self._act(box, validity, item, key, verdict)
            last = ref
        return last

    def _decide(
        self, box: Mailbox, validity: str, items: list[Fetched]
    ) -> dict[str, tuple[Fetched, str, Classified]]:
        """Parse and classify the batch (the model is fastest on many texts at once), then judge."""
        parsed: list[tuple[Fetched, message.Mail, str]] = []
        for item in items:
            self.summary.seen += 1
            try:
                mail = message.parse(item.raw)
            except message.MailParseError as error:
                self._fail(box, validity, item, _content_key(item.raw), "", str(error))
                continue
            if is_own_digest(mail, self.context.settings):
                continue
            key = message_key(mail, item.raw)
            if self.store is not None and self.store.is_done(key):
                self.summary.duplicates += 1
                continue
            parsed.append((item, mail, key))
        model = self.context.model
        predictions = model.predict([message.model_text(mail) for _, mail, _ in parsed])
        verdicts: dict[str, tuple[Fetched, str, Classified]] = {}
        for (item, mail, key), prediction in zip(parsed, predictions, strict=True):
            try:
                verdicts[item.ref] = (item, key, judge(item.ref, mail, prediction, self.context))
            except Exception as error:  # one message must never stop the run
                log.exception("Could not triage %s (Message-ID %s)", item.ref, mail.message_id)
                self._fail(box, validity, item, key, mail.message_id, f"could not triage: {error}")
        return verdicts

    def _act(
        self, box: Mailbox, validity: str, item: Fetched, key: str, verdict: Classified
    ) -> None:
        outcome = "no draft"
        draft_id = ""
        try:
            if verdict.draft is not None:
                draft = verdict.draft
                if ORIGINAL_HEADER not in draft:
                    draft[ORIGINAL_HEADER] = key
                draft_id = str(draft["Message-ID"])
                outcome = self._place_draft(box, key, draft.as_bytes())
            if verdict.label and verdict.label != "other" and not self.options.dry_run:
                box.add_keyword(item.ref, label_keyword(verdict.label))
        except ConnectionLost:
            raise
        except MailboxError as error:
            self._fail(box, validity, item, key, verdict.message_id, str(error))
            return
        if outcome == "no draft":
            self.summary.skipped += 1
        self._log(box, item, verdict, outcome)
        self._record(box, validity, item, key, verdict, draft_id if outcome != "no draft" else "")

    def _place_draft(self, box: Mailbox, key: str, raw: bytes) -> str:
        if self.options.dry_run:
            self.summary.drafted += 1
            return "would draft (dry run)"
        if box.draft_exists(key):
            self.summary.already_drafted += 1
            return "draft already in Drafts"
        box.append_draft(raw)
        self.summary.drafted += 1
        return "draft appended"

    def _record(
        self,
        box: Mailbox,
        validity: str,
        item: Fetched,
        key: str,
        verdict: Classified,
        draft_id: str,
    ) -> None:
        if self.store is None or self.options.dry_run:
            return
        self.store.record(
            Record(
                key=key,
                folder=box.name,
                validity=validity,
                ref=item.ref,
                message_id=verdict.message_id,
                sender=verdict.sender,
                subject=verdict.subject,
                label=verdict.label,
                confidence=verdict.confidence,
                details=verdict.details,
                standing=verdict.standing,
                action=verdict.action,
                draft_message_id=draft_id,
                status="failed" if verdict.error else "done",
                error=verdict.error,
            )
        )
        if draft_id:
            self.store.commit()

    def _fail(
        self, box: Mailbox, validity: str, item: Fetched, key: str, message_id: str, error: str
    ) -> None:
        self.summary.errors += 1
        log.warning(
            "%s=%s message_id=%s skipped: %s", _ref_name(validity), item.ref, message_id, error
        )
        failure = Classified(item.ref, message_id=message_id, error=error[:500])
        self._record(box, validity, item, key, failure, "")

    def _log(self, box: Mailbox, item: Fetched, verdict: Classified, outcome: str) -> None:
        log.info(
            "%s=%s message_id=%s label=%s confidence=%.2f action=%s: %s",
            _ref_name(box.validity()),
            item.ref,
            verdict.message_id[:200] or "-",
            verdict.label,
            verdict.confidence,
            verdict.action or "none",
            outcome,
        )


def _content_key(raw: bytes) -> str:
    """The key of a message without a Message-ID (or that cannot be parsed): its bytes' hash."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _ref_name(validity: str) -> str:
    return "file" if validity == "maildir" else "uid"
