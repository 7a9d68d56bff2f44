"""Noticing corrections: the person changed a triage keyword, or filed a message in a label folder.

Either way the message is kept in the person's examples (source `correction`) so `triage train`
learns from it, and the correction is recorded in the store (which label triage gave, which the
person gave, when). Messages filed in label folders that triage never saw are examples too, but
they are collected by `triage train --from-mailbox`, not here.
"""

from __future__ import annotations

import logging
from pathlib import Path

from triage.classify import LABELS
from triage.examples import save_example
from triage.mailbox import KEYWORD_PREFIX, Mailbox, label_keyword, label_of_keyword
from triage.store import Correction, Row, Store

log = logging.getLogger(__name__)


def scan(box: Mailbox, store: Store, folders: dict[str, str], examples: Path) -> int:
    """Record every new correction in the inbox keywords and the label folders; returns how many."""
    validity = box.validity()
    labelled = store.labelled(box.name, validity)
    known = {correction.key: correction.corrected for correction in store.corrections()}
    found = _keyword_changes(box, labelled, known, examples, store)
    by_key = {row.key: row for row in labelled.values()}
    for label, folder in folders.items():
        found += _filed(box, label, folder, by_key, known, examples, store)
    if found:
        store.commit()
    return found


def _keyword_changes(
    box: Mailbox, labelled: dict[str, Row], known: dict[str, str], examples: Path, store: Store
) -> int:
    if not labelled:
        return 0
    found = 0
    for ref, keywords in box.keywords(list(labelled)).items():
        row = labelled[ref]
        ours = label_keyword(row.label)
        theirs = [
            label_of_keyword(keyword, LABELS)
            for keyword in keywords
            if keyword.lower().startswith(KEYWORD_PREFIX.lower()) and keyword != ours
        ]
        corrected = next((label for label in theirs if label), None)
        if ours in keywords or corrected is None or known.get(row.key) == corrected:
            continue
        raw = next((item.raw for item in box.fetch([ref])), b"")
        found += _record(store, row, corrected, "keyword", raw, examples)
    return found


def _filed(
    box: Mailbox,
    label: str,
    folder: str,
    by_key: dict[str, Row],
    known: dict[str, str],
    examples: Path,
    store: Store,
) -> int:
    found = 0
    for ref, message_id in box.folder_message_ids(folder).items():
        row = by_key.get(message_id)
        if row is None or row.label == label or known.get(row.key) == label:
            continue
        raw = next((item.raw for item in box.fetch_folder(folder, [ref])), b"")
        found += _record(store, row, label, f"folder {folder}", raw, examples)
    return found


def _record(store: Store, row: Row, corrected: str, source: str, raw: bytes, root: Path) -> int:
    example = str(save_example(root, "correction", corrected, raw)) if raw else ""
    store.record_correction(
        Correction(row.key, row.message_id, row.subject, row.label, corrected, source, example)
    )
    log.info(
        "message_id=%s correction: triage said %s, you said %s (%s)",
        row.message_id[:200],
        row.label,
        corrected,
        source,
    )
    return 1
