"""The Dovecot fixture itself: the server behaves as the daemon's tests assume it does."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from imapclient.imapclient import ARCHIVE, DRAFTS, JUNK, SENT, TRASH

from tests.integration.dovecot import Account, Dovecot, _appended_uids


def mail(n: int = 1) -> bytes:
    message = EmailMessage()
    message["From"] = "Ann Example <ann@example.org>"
    message["To"] = "dana@example.com"
    message["Subject"] = f"Message {n}"
    message["Message-ID"] = f"<m-{n}@example.org>"
    message.set_content(f"Body {n}.\n")
    return message.as_bytes().replace(b"\n", b"\r\n")


def wait_for(imap: IMAPClient, kind: bytes, seconds: float) -> None:
    """Return when an IDLE response of this kind (EXISTS, BYE) arrives; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if any(kind in response for response in imap.idle_check(timeout=left)):
            return
    pytest.fail(f"no {kind!r} within {seconds} s")


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def gone(pid: int) -> bool:
    """No such process, or only its zombie (orphans may never be reaped in a container)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_tls_login_verifies_the_certificate_strictly(imap_account: Account) -> None:
    context = imap_account.ssl_context()
    context.verify_flags |= ssl.VERIFY_X509_STRICT  # what Python 3.13 turns on by default
    with IMAPClient(imap_account.host, imap_account.tls_port, ssl_context=context) as imap:
        imap.login(imap_account.username, imap_account.password)
        assert imap.noop()
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(
            imap_account.host, imap_account.tls_port, ssl_context=ssl.create_default_context()
        )


def test_starttls_works_on_the_plain_port(imap_account: Account) -> None:
    with IMAPClient(imap_account.host, imap_account.plain_port, ssl=False) as plain:
        assert plain.has_capability("STARTTLS")
        assert not isinstance(plain.socket(), ssl.SSLSocket)
    with imap_account.client(tls=False) as imap:
        assert isinstance(imap.socket(), ssl.SSLSocket)
        assert imap.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 0


def test_a_wrong_password_fails_fast_and_delays_no_later_login(imap_account: Account) -> None:
    wrong = replace(imap_account, password="not-the-password")
    for _ in range(2):
        start = time.monotonic()
        with pytest.raises(LoginError):
            wrong.client()
        assert time.monotonic() - start < 2
    start = time.monotonic()
    imap_account.client().logout()
    assert time.monotonic() - start < 1


def test_special_use_folders_are_found_and_subscribed(imap_account: Account) -> None:
    with imap_account.client() as imap:
        assert imap.find_special_folder(DRAFTS) == "Drafts"
        found = [imap.find_special_folder(flag) for flag in (SENT, TRASH, JUNK, ARCHIVE)]
        assert found == ["Sent", "Trash", "Junk", "Archive"]
        subscribed = {name for _, _, name in imap.list_sub_folders()}
    assert {"Drafts", "Sent", "Trash", "Junk", "Archive"} <= subscribed


def test_append_then_fetch_body_peek_leaves_seen_unset(imap_account: Account) -> None:
    uid = imap_account.append(mail())
    with imap_account.client() as imap:
        imap.select_folder("INBOX")  # read-write, so a plain BODY[] would set \Seen
        assert imap.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"] == mail()
        assert b"\\Seen" not in imap.get_flags([uid])[uid]
    assert imap_account.messages() == [(uid, set(), mail())]


def test_append_keeps_flags_and_arrival_time(imap_account: Account) -> None:
    when = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    uid = imap_account.append(mail(), folder="Drafts", flags=[b"\\Draft", "$Recruiter"], when=when)
    ((found_uid, flags, _),) = imap_account.messages("Drafts")
    assert found_uid == uid and flags == {b"\\Draft", b"$Recruiter"}
    with imap_account.client() as imap:
        imap.select_folder("Drafts", readonly=True)
        assert imap.fetch([uid], ["INTERNALDATE"])[uid][b"INTERNALDATE"].astimezone(UTC) == when


def test_bulk_append_and_search_header(imap_account: Account) -> None:
    uids = imap_account.bulk_append([mail(n) for n in range(250)])
    assert uids == list(range(1, 251))
    assert imap_account.search_header("INBOX", "Message-ID", "<m-117@example.org>") == [118]
    assert imap_account.search_header("INBOX", "Message-ID", "<m-999@example.org>") == []
    assert len(imap_account.messages()) == 250


def test_appenduid_sets_are_expanded() -> None:
    assert _appended_uids(b"[APPENDUID 1700 4] Append completed.") == [4]
    assert _appended_uids(b"[APPENDUID 1700 1:3,7,9:10] Append completed.") == [1, 2, 3, 7, 9, 10]


def test_an_idle_client_hears_of_an_append_within_two_seconds(imap_account: Account) -> None:
    with imap_account.client() as imap:
        imap.select_folder("INBOX")
        imap.idle()
        imap_account.append(mail())
        wait_for(imap, b"EXISTS", 2)
        imap.idle_done()


def test_each_account_has_its_own_mail(dovecot: Dovecot) -> None:
    first, second = dovecot.add_user(), dovecot.add_user()
    first.append(mail())
    assert len(first.messages()) == 1 and second.messages() == []
    dovecot.remove_user(second)
    assert not second.maildir.parent.exists()


def test_a_restart_keeps_uidvalidity_and_messages(own_dovecot: Dovecot) -> None:
    account = own_dovecot.add_user()
    uid = account.append(mail())
    with account.client() as imap:
        validity = imap.folder_status("INBOX", ["UIDVALIDITY"])[b"UIDVALIDITY"]
    own_dovecot.stop()
    start = time.monotonic()
    own_dovecot.start()
    assert time.monotonic() - start < 1
    with account.client() as imap:
        assert imap.folder_status("INBOX", ["UIDVALIDITY"])[b"UIDVALIDITY"] == validity
    assert account.messages() == [(uid, set(), mail())]
    own_dovecot.restart()
    assert [found for found, _, _ in account.messages()] == [uid]


def test_stop_says_bye_to_idle_clients_at_once(own_dovecot: Dovecot) -> None:
    account = own_dovecot.add_user()
    with account.client() as tls, account.client(tls=False) as starttls:
        for imap in (tls, starttls):
            imap.select_folder("INBOX")
            imap.idle()
        pids = own_dovecot.pids()
        start = time.monotonic()
        own_dovecot.stop()  # an IDLE session left to itself says BYE only after 10 s
        wait_for(tls, b"BYE", 2)
        wait_for(starttls, b"BYE", 2)
        assert time.monotonic() - start < 2
    assert all(gone(pid) for pid in pids) and refused(account.tls_port)


def test_kill_closes_the_ports_and_spares_other_servers(
    own_dovecot: Dovecot, imap_account: Account
) -> None:
    account = own_dovecot.add_user()
    uid = account.append(mail())
    pids = own_dovecot.pids()
    assert len(pids) > 3  # the master, its log, config, anvil, auth...
    own_dovecot.kill()
    assert not own_dovecot.running and all(gone(pid) for pid in pids)
    assert refused(account.tls_port) and refused(account.plain_port)
    imap_account.client().logout()  # the session's server lives on
    own_dovecot.start()
    assert [found for found, _, _ in account.messages()] == [uid]
