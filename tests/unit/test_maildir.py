"""The Maildir mailbox on real directories: refs, fetching, Dovecot keywords, drafts, waiting."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.conftest import mail_bytes
from triage import maildir, maildir_keywords
from triage.mailbox import Mailbox, MailboxError

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
# CRLF line ends, an 8-bit header and no final newline: any re-generation would change these bytes.
RAW = b"From: Ann <ann@example.org>\r\nSubject: caf\xe9 role\r\n\r\nHello Dana,\r\nA note."
RETAINED = "Triage/Retained"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    root = tmp_path / "Mail"
    maildir.create_maildir(root)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the Maildir (by relative path) with its bytes."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def make_client_move(root: Path, ref: str, flags: str) -> Path:
    """What a mail client does when it reads or flags a message: rename it into cur/."""
    target = root / "cur" / f"{ref}:2,{flags}"
    (root / "new" / ref).rename(target)
    return target


def draft_bytes(original: str, body: str = "Thanks, let us talk.\n") -> bytes:
    draft = EmailMessage()
    draft["From"] = "dana@example.com"
    draft["To"] = "ann@example.org"
    draft["Subject"] = "Re: a role"
    draft["X-Triage-Original-Message-ID"] = original
    draft.set_content(body)
    return draft.as_bytes()


def make_old(root: Path) -> None:
    """Date new/ and cur/ back, so that any change after this moves their mtimes."""
    for sub in ("new", "cur"):
        os.utime(root / sub, (T0.timestamp(), T0.timestamp()))


def test_create_maildir_makes_private_cur_new_tmp_even_in_an_existing_folder(
    tmp_path: Path,
) -> None:
    maildir.create_maildir(tmp_path)
    for sub in ("cur", "new", "tmp"):
        assert stat.S_IMODE((tmp_path / sub).stat().st_mode) == 0o700
    assert maildir.is_maildir(tmp_path)


@pytest.mark.parametrize("made", [[], ["cur", "new"]], ids=["missing", "no-tmp"])
def test_a_folder_that_is_not_a_maildir_is_refused_with_what_to_do(
    tmp_path: Path, made: list[str]
) -> None:
    root = tmp_path / "notmail"
    for sub in made:
        (root / sub).mkdir(parents=True)
    with pytest.raises(MailboxError) as error:
        maildir.MaildirBox(root)
    assert str(root) in str(error.value)
    assert "point [maildir] path at a folder that has cur/, new/ and tmp/" in str(error.value)


@pytest.mark.parametrize("drafts", ["", "."])
def test_drafts_that_name_the_inbox_itself_are_refused(inbox: Path, drafts: str) -> None:
    with pytest.raises(MailboxError, match="is the inbox"):
        maildir.MaildirBox(inbox, drafts)


def test_the_box_describes_itself(inbox: Path) -> None:
    box: Mailbox = maildir.MaildirBox(inbox)
    assert box.name == f"maildir:{inbox}"
    assert box.supports_idle is False
    assert box.validity() == "maildir"
    box.close()
    box.close()


def test_deliver_puts_the_exact_bytes_in_new_with_the_given_mtime(inbox: Path) -> None:
    ref = maildir.deliver(inbox, RAW, when=T0)
    path = inbox / "new" / ref
    assert path.read_bytes() == RAW
    assert path.stat().st_mtime == T0.timestamp()
    assert list((inbox / "tmp").iterdir()) == []


def test_refs_since_are_oldest_first_with_ties_ordered_by_ref(inbox: Path) -> None:
    late = maildir.deliver(inbox, RAW, T0 + timedelta(hours=2))
    early = maildir.deliver(inbox, RAW, T0)
    ties = sorted(maildir.deliver(inbox, RAW, T0 + timedelta(hours=1)) for _ in range(3))
    box = maildir.MaildirBox(inbox)
    assert box.refs_since(T0) == [early, *ties, late]
    assert box.refs_since(T0 + timedelta(minutes=1)) == [*ties, late]
    assert box.refs_since(T0 + timedelta(hours=3)) == []


def test_refs_after_leave_out_the_cursor_and_keep_a_day_of_slack(inbox: Path) -> None:
    old = maildir.deliver(inbox, RAW, T0 - timedelta(hours=25))
    slack = maildir.deliver(inbox, RAW, T0 - timedelta(hours=23))
    cursor = maildir.deliver(inbox, RAW, T0)
    later = maildir.deliver(inbox, RAW, T0 + timedelta(minutes=5))
    box = maildir.MaildirBox(inbox)
    assert box.refs_after(cursor) == [slack, later]
    assert box.refs_after("") == [old, slack, cursor, later]
    (inbox / "new" / cursor).unlink()
    assert box.refs_after(cursor) == [old, slack, later]


def test_fetch_returns_the_exact_bytes_and_arrival_and_skips_vanished_refs(inbox: Path) -> None:
    ref = maildir.deliver(inbox, RAW, T0)
    gone = maildir.deliver(inbox, mail_bytes(), T0)
    (inbox / "new" / gone).unlink()
    [fetched] = maildir.MaildirBox(inbox).fetch([ref, gone, "1700000000.never.host"])
    assert fetched.ref == ref
    assert fetched.raw == RAW
    assert fetched.arrived == T0
    assert fetched.keywords == frozenset()


def test_a_message_a_mail_client_moved_to_cur_keeps_its_ref(inbox: Path) -> None:
    ref = maildir.deliver(inbox, RAW, T0)
    box = maildir.MaildirBox(inbox)
    assert box.refs_since(T0) == [ref]
    make_client_move(inbox, ref, "S")
    assert box.refs_since(T0) == [ref]
    assert box.refs_after("") == [ref]
    assert box.refs_after(ref) == []
    assert [item.raw for item in box.fetch([ref])] == [RAW]


def test_add_keyword_renames_only_that_message_and_keeps_its_flags_and_bytes(
    inbox: Path,
) -> None:
    ref = maildir.deliver(inbox, RAW, T0)
    flagged = make_client_move(inbox, ref, "F")
    maildir.deliver(inbox, mail_bytes(), T0)
    box = maildir.MaildirBox(inbox)
    before = snapshot(inbox)

    box.add_keyword(ref, RETAINED)

    expected = dict(before)
    expected[f"cur/{ref}:2,Fa"] = expected.pop(f"cur/{ref}:2,F")
    expected["dovecot-keywords"] = b"0 Triage/Retained\n"
    assert snapshot(inbox) == expected
    assert not flagged.exists()
    tagged = inbox / "cur" / f"{ref}:2,Fa"
    assert tagged.read_bytes() == RAW
    assert tagged.stat().st_mtime == T0.timestamp()
    assert [item.keywords for item in box.fetch([ref])] == [frozenset({RETAINED})]


def test_add_keyword_twice_changes_nothing_and_a_second_keyword_gets_the_next_letter(
    inbox: Path,
) -> None:
    ref = maildir.deliver(inbox, RAW, T0)
    make_client_move(inbox, ref, "F")
    box = maildir.MaildirBox(inbox)
    box.add_keyword(ref, RETAINED)
    once = snapshot(inbox)
    keywords_mtime = (inbox / "dovecot-keywords").stat().st_mtime_ns

    box.add_keyword(ref, RETAINED)
    assert snapshot(inbox) == once
    assert (inbox / "dovecot-keywords").stat().st_mtime_ns == keywords_mtime

    box.add_keyword(ref, "Triage/In_house")
    assert [p.name for p in (inbox / "cur").iterdir()] == [f"{ref}:2,Fab"]
    assert (inbox / "dovecot-keywords").read_text() == "0 Triage/Retained\n1 Triage/In_house\n"
    assert [item.keywords for item in box.fetch([ref])] == [
        frozenset({RETAINED, "Triage/In_house"})
    ]
    assert not (inbox / "dovecot-keywords.lock").exists()


def test_add_keyword_moves_new_mail_to_cur_without_marking_it_seen(inbox: Path) -> None:
    ref = maildir.deliver(inbox, RAW, T0)
    maildir.MaildirBox(inbox).add_keyword(ref, RETAINED)
    assert list((inbox / "new").iterdir()) == []
    assert [p.name for p in (inbox / "cur").iterdir()] == [f"{ref}:2,a"]


def test_add_keyword_uses_a_free_dovecot_index_and_keeps_flags_in_maildir_order(
    inbox: Path,
) -> None:
    (inbox / "dovecot-keywords").write_text("0 $Forwarded\n2 Junk\nnot a line\n")
    ref = maildir.deliver(inbox, RAW, T0)
    make_client_move(inbox, ref, "PSc")
    box = maildir.MaildirBox(inbox)
    box.add_keyword(ref, RETAINED)
    assert [p.name for p in (inbox / "cur").iterdir()] == [f"{ref}:2,PSbc"]
    assert (inbox / "dovecot-keywords").read_text() == ("0 $Forwarded\n1 Triage/Retained\n2 Junk\n")
    assert [item.keywords for item in box.fetch([ref])] == [frozenset({RETAINED, "Junk"})]


def test_a_keyword_dovecot_already_knows_is_matched_without_regard_to_case(
    inbox: Path,
) -> None:
    (inbox / "dovecot-keywords").write_text("3 triage/retained\n")
    ref = maildir.deliver(inbox, RAW, T0)
    maildir.MaildirBox(inbox).add_keyword(ref, RETAINED)
    assert [p.name for p in (inbox / "cur").iterdir()] == [f"{ref}:2,d"]
    assert (inbox / "dovecot-keywords").read_text() == "3 triage/retained\n"


def test_when_all_26_letters_are_taken_nothing_changes_and_a_warning_says_why(
    inbox: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (inbox / "dovecot-keywords").write_text("".join(f"{i} Other{i}\n" for i in range(26)))
    ref = maildir.deliver(inbox, RAW, T0)
    box = maildir.MaildirBox(inbox)
    before = snapshot(inbox)
    with caplog.at_level(logging.WARNING, logger="triage.maildir"):
        box.add_keyword(ref, RETAINED)
    assert snapshot(inbox) == before
    assert "26 keywords" in caplog.text


def test_add_keyword_on_a_message_that_has_gone_changes_nothing(
    inbox: Path, caplog: pytest.LogCaptureFixture
) -> None:
    maildir.deliver(inbox, RAW, T0)
    box = maildir.MaildirBox(inbox)
    before = snapshot(inbox)
    with caplog.at_level(logging.WARNING, logger="triage.maildir"):
        box.add_keyword("1700000000.gone.host", RETAINED)
    assert snapshot(inbox) == before
    assert "no longer" in caplog.text


def test_a_keywords_lock_held_by_another_process_is_waited_for_then_reported(
    inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maildir_keywords, "LOCK_WAIT_SECONDS", 0.2)
    ref = maildir.deliver(inbox, RAW, T0)
    lock = inbox / "dovecot-keywords.lock"
    lock.write_text("")
    with pytest.raises(MailboxError, match=r"dovecot-keywords\.lock"):
        maildir.MaildirBox(inbox).add_keyword(ref, RETAINED)
    assert lock.exists()
    assert (inbox / "new" / ref).exists()


def test_a_stale_keywords_lock_is_taken_over(inbox: Path) -> None:
    ref = maildir.deliver(inbox, RAW, T0)
    lock = inbox / "dovecot-keywords.lock"
    lock.write_text("")
    os.utime(lock, (time.time() - 600, time.time() - 600))
    maildir.MaildirBox(inbox).add_keyword(ref, RETAINED)
    assert not lock.exists()
    assert (inbox / "cur" / f"{ref}:2,a").exists()


def test_a_draft_lands_in_the_maildirpp_drafts_folder_flagged_draft_and_unread(
    inbox: Path,
) -> None:
    maildir.deliver(inbox, RAW, T0)
    inbox_before = snapshot(inbox)
    box = maildir.MaildirBox(inbox)
    drafts = inbox / ".Drafts"
    assert (drafts / "maildirfolder").is_file()
    raw = draft_bytes("<orig@example.org>")

    box.append_draft(raw)

    [written] = (drafts / "cur").iterdir()
    assert written.name.endswith(":2,D")
    assert written.read_bytes() == raw
    assert list((drafts / "tmp").iterdir()) == []
    assert list((drafts / "new").iterdir()) == []
    assert {k: v for k, v in snapshot(inbox).items() if not k.startswith(".Drafts")} == (
        inbox_before
    )
    assert box.draft_exists("<orig@example.org>")
    assert box.draft_exists(" <orig@example.org>\n")
    assert not box.draft_exists("<other@example.org>")


def test_draft_exists_reads_folded_headers_synced_drafts_and_never_the_body(inbox: Path) -> None:
    box = maildir.MaildirBox(inbox)
    drafts = inbox / ".Drafts"
    folded = b"From: dana@example.com\nX-Triage-Original-Message-ID:\n <long@example.org>\n\nHi\n"
    (drafts / "new" / "1700000001.synced.host").write_bytes(folded)
    in_body = b"From: dana@example.com\n\nX-Triage-Original-Message-ID: <body@example.org>\n"
    (drafts / "cur" / "1700000002.quoted.host:2,DS").write_bytes(in_body)
    assert box.draft_exists("<long@example.org>")
    assert not box.draft_exists("<body@example.org>")


def test_only_the_header_block_of_a_draft_is_read(tmp_path: Path) -> None:
    head = b"From: dana@example.com\r\nX-Triage-Original-Message-ID: <a@example.org>\r\n"
    path = tmp_path / "big"
    path.write_bytes(head + b"\r\n" + b"x" * 5_000_000)
    assert maildir._header_block(path) == head


def test_an_existing_verbatim_drafts_maildir_is_used(inbox: Path) -> None:
    maildir.create_maildir(inbox / "Drafts")
    box = maildir.MaildirBox(inbox)
    box.append_draft(draft_bytes("<orig@example.org>"))
    assert [p.name[-4:] for p in (inbox / "Drafts" / "cur").iterdir()] == [":2,D"]
    assert not (inbox / ".Drafts").exists()
    assert box.draft_exists("<orig@example.org>")


def test_wait_returns_soon_after_a_delivery(inbox: Path) -> None:
    make_old(inbox)
    box = maildir.MaildirBox(inbox)
    box.refs_after("")
    timer = threading.Timer(0.3, maildir.deliver, (inbox, RAW))
    timer.start()
    started = time.monotonic()
    box.wait(10, threading.Event())
    elapsed = time.monotonic() - started
    timer.join()
    assert 0.25 < elapsed < 2


def test_wait_wakes_at_once_for_mail_delivered_since_the_last_scan(inbox: Path) -> None:
    make_old(inbox)
    box = maildir.MaildirBox(inbox)
    box.refs_after("")
    maildir.deliver(inbox, RAW)
    started = time.monotonic()
    box.wait(10, threading.Event())
    assert time.monotonic() - started < 0.2


def test_wait_without_news_lasts_the_time_asked_or_until_stop(inbox: Path) -> None:
    make_old(inbox)
    box = maildir.MaildirBox(inbox)
    box.refs_after("")
    started = time.monotonic()
    box.wait(0.7, threading.Event())
    assert 0.65 < time.monotonic() - started < 1.5
    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    box.wait(10, stop)
    assert time.monotonic() - started < 0.2


def test_wait_looks_again_soon_when_a_change_came_in_the_same_instant_as_the_scan(
    inbox: Path,
) -> None:
    box = maildir.MaildirBox(inbox)
    maildir.deliver(inbox, RAW)
    box.refs_after("")
    started = time.monotonic()
    box.wait(10, threading.Event())
    assert time.monotonic() - started < 1
