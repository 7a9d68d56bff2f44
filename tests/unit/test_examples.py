"""The person's own examples on disk (examples.py) and the corrections kept in the state file."""

from __future__ import annotations

import dataclasses
import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, MAIL_FIXTURES, mail_bytes
from triage import message, watch
from triage.classify import LABELS
from triage.examples import (
    SOURCES,
    message_key_of,
    mirror_folder,
    read_examples,
    save_example,
    source_counts,
)
from triage.store import Correction, Store

FIRST = mail_bytes(Subject="First", Message_ID="<first@example.org>")
SECOND = mail_bytes(Subject="Second", Message_ID="<second@example.org>")
THIRD = mail_bytes(Subject="Third", Message_ID="<third@example.org>")


def age(path: Path, seconds: float) -> None:
    """Make the file look `seconds` older than now."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_example_is_private_to_the_person(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    path = save_example(root, "file", "retained", FIRST)
    assert path.parent == root / "file" / "retained"
    assert path.read_bytes() == FIRST
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_every_folder_of_the_examples_is_private(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    umask = os.umask(0o022)  # the usual one, which the folders must not depend on
    try:
        save_example(root, "correction", "retained", FIRST)
    finally:
        os.umask(umask)
    assert mode(root) == mode(root / "correction") == 0o700


def test_an_unknown_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="source must be one of"):
        save_example(tmp_path, "guess", "retained", FIRST)


def test_saving_again_under_another_label_of_the_same_source_moves_the_example(
    tmp_path: Path,
) -> None:
    first = save_example(tmp_path, "file", "retained", FIRST)
    second = save_example(tmp_path, "file", "contingent", FIRST)
    assert not first.exists() and second.exists()
    (example,) = read_examples(tmp_path, LABELS)
    assert (example.label, example.source) == ("contingent", "file")


@pytest.mark.parametrize(
    ("stronger", "weaker"),
    [("correction", "file"), ("correction", "mailbox"), ("file", "mailbox")],
)
def test_the_stronger_source_wins_however_old_its_file(
    tmp_path: Path, stronger: str, weaker: str
) -> None:
    age(save_example(tmp_path, stronger, "contingent", FIRST), 3600)
    save_example(tmp_path, weaker, "other", FIRST)
    save_example(tmp_path, weaker, "retained", SECOND)
    found = {example.key: example for example in read_examples(tmp_path, LABELS)}
    assert set(found) == {"<first@example.org>", "<second@example.org>"}
    first = found["<first@example.org>"]
    assert (first.label, first.source) == ("contingent", stronger)
    assert first.read() == FIRST
    assert found["<second@example.org>"].label == "retained"


def test_within_one_source_the_newest_file_wins(tmp_path: Path) -> None:
    """Two labels of one source only happen when files are copied in by hand or by a sync."""
    older = save_example(tmp_path, "mailbox", "retained", FIRST)
    newer = tmp_path / "mailbox" / "sourcing" / older.name
    newer.parent.mkdir()
    newer.write_bytes(FIRST)
    age(older, 60)
    assert [e.label for e in read_examples(tmp_path, LABELS)] == ["sourcing"]
    age(newer, 120)
    assert [e.label for e in read_examples(tmp_path, LABELS)] == ["retained"]


def test_only_the_labels_asked_for_and_only_eml_files_are_read(tmp_path: Path) -> None:
    save_example(tmp_path, "file", "retained", FIRST)
    save_example(tmp_path, "file", "other", SECOND)
    (tmp_path / "file" / "retained" / "left-by-a-crash.tmp").write_bytes(THIRD)
    (tmp_path / "file" / "unknown").mkdir()
    (tmp_path / "file" / "unknown" / "x.eml").write_bytes(THIRD)
    assert [e.label for e in read_examples(tmp_path, ("retained",))] == ["retained"]
    assert sorted(e.label for e in read_examples(tmp_path, LABELS)) == ["other", "retained"]


def test_no_examples_yet_is_an_empty_list(tmp_path: Path) -> None:
    assert read_examples(tmp_path / "missing", LABELS) == []
    assert source_counts([]) == dict.fromkeys(SOURCES, 0)


def test_mail_without_a_message_id_is_keyed_by_its_bytes(tmp_path: Path) -> None:
    one, two = b"Subject: one\n\nHello\n", b"Subject: two\n\nHello\n"
    save_example(tmp_path, "file", "other", one)
    save_example(tmp_path, "file", "other", two)
    save_example(tmp_path, "file", "other", one)
    keys = sorted(example.key for example in read_examples(tmp_path, LABELS))
    assert len(keys) == 2 and all(key.startswith("sha256:") for key in keys)


@pytest.mark.parametrize(
    "path",
    [
        *sorted(MAIL_FIXTURES.glob("*.eml")),
        *sorted((FIXTURES / "holdout").glob("*/*.eml")),
        *sorted((FIXTURES / "retrain_style").glob("*/*.eml")),
    ],
    ids=lambda path: path.name,
)
def test_an_example_is_keyed_as_the_daemon_keys_the_message(path: Path) -> None:
    """A correction and the same message filed in a label folder must meet under one key."""
    raw = path.read_bytes()
    assert message_key_of(raw) == watch.message_key(message.parse(raw), raw)


def test_a_folded_message_id_is_keyed_as_the_daemon_keys_it() -> None:
    raw = b"Subject: folded\r\nMessage-ID:\r\n <folded@example.org>\r\n\r\nHello\r\n"
    assert message_key_of(raw) == "<folded@example.org>"
    assert message_key_of(raw) == watch.message_key(message.parse(raw), raw)


def test_mirror_folder_keeps_exactly_the_messages_filed_now(tmp_path: Path) -> None:
    assert mirror_folder(tmp_path, "retained", [FIRST, SECOND, SECOND]) == 2
    save_example(tmp_path, "mailbox", "other", THIRD)
    save_example(tmp_path, "file", "retained", THIRD)
    assert mirror_folder(tmp_path, "retained", [SECOND]) == 1
    found = {(e.key, e.label, e.source) for e in read_examples(tmp_path, LABELS)}
    assert found == {
        ("<second@example.org>", "retained", "mailbox"),
        ("<third@example.org>", "retained", "file"),
    }
    kept = {p.relative_to(tmp_path).parts[:2] for p in tmp_path.rglob("*.eml")}
    assert kept == {("mailbox", "retained"), ("mailbox", "other"), ("file", "retained")}


def test_mirroring_an_emptied_folder_removes_its_examples(tmp_path: Path) -> None:
    mirror_folder(tmp_path, "sourcing", [FIRST, SECOND])
    assert mirror_folder(tmp_path, "sourcing", []) == 0
    assert read_examples(tmp_path, LABELS) == []


def test_a_message_refiled_into_another_label_folder_follows_it(tmp_path: Path) -> None:
    mirror_folder(tmp_path, "retained", [FIRST, SECOND])
    mirror_folder(tmp_path, "contingent", [FIRST])
    mirror_folder(tmp_path, "retained", [SECOND])
    labels = {e.key: e.label for e in read_examples(tmp_path, LABELS)}
    assert labels == {"<first@example.org>": "contingent", "<second@example.org>": "retained"}
    assert source_counts(read_examples(tmp_path, LABELS)) == {
        "correction": 0, "file": 0, "mailbox": 2,
    }  # fmt: skip


# --- corrections in the state file ---------------------------------------------------------------


def correction(key: str, corrected: str, source: str = "keyword") -> Correction:
    return Correction(
        key=key,
        message_id=key,
        subject=f"Subject of {key}",
        given="retained",
        corrected=corrected,
        source=source,
        example=f"/examples/correction/{corrected}/{key.strip('<>')}.eml",
    )


def test_corrections_survive_closing_and_come_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    before = datetime.now(UTC)
    with Store.open(path) as state:
        state.record_correction(correction("<a@x>", "contingent"))
        state.record_correction(correction("<b@x>", "other", "folder Not recruiters"))
    with Store.open(path, readonly=True) as state:
        found = state.corrections()
    assert [c.key for c in found] == ["<b@x>", "<a@x>"]
    for stored, key, label in zip(found, ["<b@x>", "<a@x>"], ["other", "contingent"], strict=True):
        expected = correction(key, label, stored.source)
        assert stored.at is not None and before <= stored.at <= datetime.now(UTC)
        assert stored == dataclasses.replace(expected, at=stored.at)
    assert found[0].source == "folder Not recruiters"


def test_a_message_corrected_again_keeps_only_the_latest_word(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with Store.open(path) as state:
        state.record_correction(correction("<a@x>", "contingent"))
        state.commit()
        state.record_correction(correction("<a@x>", "sourcing"))
    with Store.open(path) as state:
        (found,) = state.corrections()
    assert found.corrected == "sourcing"


def test_a_correction_not_committed_is_not_seen_by_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with Store.open(path) as writer:
        writer.record_correction(correction("<a@x>", "contingent"))
        with Store.open(path, readonly=True) as reader:
            assert reader.corrections() == []
        writer.commit()
        with Store.open(path, readonly=True) as reader:
            assert [c.key for c in reader.corrections()] == ["<a@x>"]
