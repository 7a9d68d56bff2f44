"""The IMAP mailbox: the only module that talks to an IMAP server (imapclient lives here).

It implements `triage.mailbox.Mailbox`. It fetches with BODY.PEEK so nothing is marked read,
appends drafts, and sets triage's own keywords; it never deletes, expunges, moves or stores any
other flag. Every socket or protocol failure becomes `ConnectionLost`, which the run loop meets
with a reconnect; a refused login becomes `LoginRefused`, which stops it.
"""

from __future__ import annotations

import email
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from imapclient.imapclient import DRAFTS

from triage.accounts import Secret
from triage.mailbox import ORIGINAL_HEADER, ConnectionLost, Fetched, LoginRefused, MailboxError

log = logging.getLogger(__name__)

FETCH_BATCH = 500
CLOSE_TIMEOUT = 2.0
IDLE_SLICE = 1.0


@dataclass(frozen=True)
class Server:
    """Where to connect and how: `security` is tls, starttls or none (loopback only)."""

    host: str
    port: int
    security: str = "tls"
    cafile: Path | None = None
    timeout: float = 60.0


@dataclass(frozen=True)
class Login:
    username: str
    secret: Secret
    auth: str = "password"


@contextmanager
def _guarded(what: str) -> Iterator[None]:
    """Turn a dropped, stalled or aborted connection into ConnectionLost."""
    try:
        yield
    except (IMAPClient.AbortError, OSError, EOFError) as error:
        raise ConnectionLost(f"IMAP connection lost while {what}: {error or type(error)}") from None


def _tls_context(cafile: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if cafile is not None:
        try:
            context.load_verify_locations(cafile=str(cafile))
        except (OSError, ssl.SSLError) as error:
            raise MailboxError(f"Cannot read [imap] cafile {cafile}: {error}.") from None
    return context


def _open_client(server: Server) -> IMAPClient:
    where = f"{server.host}:{server.port}"
    try:
        if server.security == "tls":
            context = _tls_context(server.cafile)
            return IMAPClient(
                server.host, server.port, ssl=True, ssl_context=context, timeout=server.timeout
            )
        client = IMAPClient(server.host, server.port, ssl=False, timeout=server.timeout)
        if server.security == "starttls":
            client.starttls(_tls_context(server.cafile))
        return client
    except ssl.SSLCertVerificationError as error:
        raise MailboxError(
            f"The certificate of {where} is not trusted ({error.verify_message}). If the server "
            "uses its own certificate authority, set [imap] cafile to its certificate."
        ) from None
    except (OSError, IMAPClient.AbortError) as error:
        raise ConnectionLost(f"Could not connect to {where}: {error}") from None
    except IMAPClient.Error as error:
        raise MailboxError(f'{where} refused STARTTLS: {error}. Try security = "tls".') from None


def connect(server: Server, login: Login, inbox: str = "INBOX", drafts: str = "") -> ImapBox:
    """Connect, log in, find the drafts folder and select the inbox."""
    client = _open_client(server)
    try:
        _keep_alive(client)
        _log_in(client, server, login)
        with _guarded("opening the mailbox"):
            box = ImapBox(client, f"imap://{login.username}@{server.host}/{inbox}", inbox)
            box.drafts = _drafts_folder(client, drafts)
            box.select_inbox()
    except BaseException:
        _close_quietly(client)
        raise
    return box


def _keep_alive(client: IMAPClient) -> None:
    """TCP keepalive probes, so a peer that vanished is noticed within about two minutes even
    while the connection sits silent in IDLE (Linux option names; skipped where absent)."""
    sock = client.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4)):
        if hasattr(socket, name):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


def _log_in(client: IMAPClient, server: Server, login: Login) -> None:
    try:
        with _guarded("logging in"):
            if login.auth == "xoauth2":
                client.oauth2_login(login.username, login.secret.reveal())
            else:
                client.login(login.username, login.secret.reveal())
    except (LoginError, IMAPClient.Error) as error:
        reason = str(error).replace(login.secret.reveal(), "********")
        raise LoginRefused(
            f"Could not log in to {server.host} as {login.username}: {reason}. Check the user "
            "name and the password (password_env, password_command or keyring in [imap])."
        ) from None


def _drafts_folder(client: IMAPClient, configured: str) -> str:
    """The configured folder, else the one flagged \\Drafts (SPECIAL-USE), else "Drafts"."""
    folder = configured or client.find_special_folder(DRAFTS) or "Drafts"
    if not client.folder_exists(folder):
        raise MailboxError(
            f"The drafts folder {folder!r} does not exist on the server. Set [imap] drafts to "
            "the name of your drafts folder."
        )
    return str(folder)


def _close_quietly(client: IMAPClient) -> None:
    """Log out, else drop the socket; a connection that is gone already needs nothing more."""
    for leave in (client.logout, client.shutdown):
        with suppress(Exception):
            leave()
            return


class ImapBox:
    """An open, logged-in IMAP connection with the inbox selected."""

    def __init__(self, client: IMAPClient, name: str, inbox: str) -> None:
        self.client = client
        self._name = name
        self.inbox = inbox
        self.drafts = "Drafts"
        self._validity = ""
        self._draft_keys: set[str] | None = None
        self._delimiter: str | None = None
        capabilities = client.capabilities()
        self._idle = b"IDLE" in capabilities
        self._gmail = b"X-GM-EXT-1" in capabilities

    @property
    def name(self) -> str:
        return self._name

    @property
    def supports_idle(self) -> bool:
        return self._idle

    def select_inbox(self) -> None:
        with _guarded("selecting the inbox"):
            try:
                response = self.client.select_folder(self.inbox)
            except IMAPClient.Error as error:
                raise MailboxError(f"Cannot open [imap] inbox {self.inbox!r}: {error}.") from None
        self._validity = str(response.get(b"UIDVALIDITY", ""))

    def validity(self) -> str:
        return self._validity

    def refs_since(self, since: datetime) -> list[str]:
        self._draft_keys = None  # a new pass reads the drafts folder afresh
        with _guarded("searching"):
            uids = self.client.search(["SINCE", since.date()])
        return [str(uid) for uid in sorted(uids)]

    def refs_after(self, cursor: str) -> list[str]:
        self._draft_keys = None
        last = int(cursor or 0)
        with _guarded("searching"):
            uids = self.client.search(["UID", f"{last + 1}:*"])
        # `n:*` always matches the highest UID, even when it is not above n.
        return [str(uid) for uid in sorted(uids) if uid > last]

    def fetch(self, refs: list[str]) -> list[Fetched]:
        found: list[Fetched] = []
        for start in range(0, len(refs), FETCH_BATCH):
            uids = [int(ref) for ref in refs[start : start + FETCH_BATCH]]
            with _guarded("fetching"):
                response = self.client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE", "FLAGS"])
            for uid in uids:
                data = response.get(uid)
                if data and b"BODY[]" in data:
                    found.append(_fetched(uid, data))
        return found

    def draft_exists(self, original_key: str) -> bool:
        """Searched in an index of the Drafts folder read once per pass and kept up to date by
        our own appends: selecting Drafts for every draft would cost more than the drafting."""
        if self._draft_keys is None:
            self._draft_keys = self._read_draft_keys()
        return original_key.strip() in self._draft_keys

    def _read_draft_keys(self) -> set[str]:
        section = f"[HEADER.FIELDS ({ORIGINAL_HEADER.upper()})]"
        field = f"BODY{section}".encode()  # the key the answer comes under
        with _guarded("reading the drafts folder"):
            self.client.select_folder(self.drafts, readonly=True)
            try:
                uids = self.client.search(["HEADER", ORIGINAL_HEADER, ""])
                response = (
                    self.client.fetch(uids, [f"BODY.PEEK{field[4:].decode()}"]) if uids else {}
                )
            finally:
                self.select_inbox()
        keys: set[str] = set()
        for data in response.values():
            header = email.message_from_bytes(bytes(data.get(field, b"")))
            keys.update(str(value).strip() for value in header.get_all(ORIGINAL_HEADER) or [])
        return keys

    def append_draft(self, raw: bytes) -> None:
        with _guarded("appending a draft"):
            self.client.append(self.drafts, raw, flags=[b"\\Draft"], msg_time=datetime.now(UTC))
        if self._draft_keys is not None:
            header = email.message_from_bytes(raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0])
            self._draft_keys.add(str(header.get(ORIGINAL_HEADER, "")).strip())

    def append_to_inbox(self, raw: bytes) -> None:
        with _guarded("appending the digest"):
            self.client.append(self.inbox, raw, msg_time=datetime.now(UTC))

    def add_keyword(self, ref: str, keyword: str) -> None:
        with _guarded("setting a keyword"):
            self.client.add_flags([int(ref)], [keyword.encode()], silent=True)
            if self._gmail:
                self.client.add_gmail_labels([int(ref)], [keyword], silent=True)

    def keywords(self, refs: list[str]) -> dict[str, frozenset[str]]:
        found: dict[str, frozenset[str]] = {}
        for start in range(0, len(refs), FETCH_BATCH):
            uids = [int(ref) for ref in refs[start : start + FETCH_BATCH]]
            with _guarded("reading keywords"):
                response = self.client.fetch(uids, ["FLAGS"])
            for uid, data in response.items():
                found[str(uid)] = _keywords(data.get(b"FLAGS") or ())
        return found

    def _server_name(self, folder: str) -> str:
        """A folder written with "/" (as in the config) in the server's own hierarchy delimiter."""
        if self._delimiter is None:
            with _guarded("listing folders"):
                listed = self.client.list_folders(directory="", pattern="")
            self._delimiter = listed[0][1].decode() if listed and listed[0][1] else "/"
        return folder.replace("/", self._delimiter)

    @contextmanager
    def _examining(self, folder: str) -> Iterator[bool]:
        """Select another folder read-only for a moment (yields whether it exists)."""
        name = self._server_name(folder)
        with _guarded(f"reading {folder}"):
            if not self.client.folder_exists(name):
                yield False
                return
            self.client.select_folder(name, readonly=True)
            try:
                yield True
            finally:
                self.select_inbox()

    def folder_refs(self, folder: str) -> list[str]:
        with self._examining(folder) as exists:
            if not exists:
                raise MailboxError(
                    f"The folder {folder!r} does not exist on the server: fix [train.folders]."
                )
            return [str(uid) for uid in sorted(self.client.search("ALL"))]

    def fetch_folder(self, folder: str, refs: list[str]) -> list[Fetched]:
        with self._examining(folder) as exists:
            return self.fetch(refs) if exists else []

    def folder_message_ids(self, folder: str) -> dict[str, str]:
        field = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
        with self._examining(folder) as exists:
            uids = self.client.search("ALL") if exists else []
            response = (
                self.client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
            )
        found = {}
        for uid, data in response.items():
            header = email.message_from_bytes(bytes(data.get(field, b"")))
            found[str(uid)] = " ".join(str(header.get("Message-ID", "")).split())
        return found

    def wait(self, seconds: float, stop: threading.Event, use_idle: bool = True) -> None:
        if not (self._idle and use_idle):
            stop.wait(seconds)
            with _guarded("polling"):
                self.client.noop()
            return
        with _guarded("waiting in IDLE"):
            self.client.idle()
            try:
                self._idle_until(time.monotonic() + seconds, stop)
            finally:
                self.client.idle_done()

    def _idle_until(self, deadline: float, stop: threading.Event) -> None:
        """Wait in IDLE for news about the inbox, in short slices so `stop` is seen promptly.

        A dead socket makes `idle_check` return nothing at once, for ever: an empty answer much
        sooner than asked for, or a BYE, means the connection is gone.
        """
        while not stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            responses = self.client.idle_check(timeout=IDLE_SLICE)
            if any(_names(item, b"EXISTS", b"RECENT") for item in responses):
                return
            if any(item[:1] == (b"BYE",) for item in responses):
                raise ConnectionLost("the server closed the connection (BYE)")
            if not responses and time.monotonic() - started < IDLE_SLICE / 4:
                raise ConnectionLost("the IDLE connection went dead")

    def close(self) -> None:
        """Log out, waiting briefly: after a stall the LOGOUT would wait a whole timeout."""
        try:
            self.client.socket().settimeout(CLOSE_TIMEOUT)
        except OSError:
            log.debug("IMAP socket already closed")
        _close_quietly(self.client)

    def server_facts(self) -> dict[str, object]:
        """For `triage doctor`, changing nothing: capabilities, IDLE, SPECIAL-USE, Gmail; whether
        the inbox keeps keywords (`\\*` in its PERMANENTFLAGS, re-read by selecting it again); the
        drafts folder in use and the one flagged `\\Drafts` ("" if none); every folder's name."""
        with _guarded("reading what the server offers"):
            offered = sorted(item.decode("ascii", "replace") for item in self.client.capabilities())
            selected = self.client.select_folder(self.inbox)
            listing = self.client.list_folders()
        self._validity = str(selected.get(b"UIDVALIDITY", ""))
        permanent = [bytes(flag).decode() for flag in selected.get(b"PERMANENTFLAGS", ())]
        flagged = [str(name) for flags, _, name in listing if DRAFTS in flags]
        return {
            "capabilities": offered,
            "idle": "IDLE" in offered,
            "special_use": "SPECIAL-USE" in offered,
            "gmail": "X-GM-EXT-1" in offered,
            "keywords": "\\*" in permanent,
            "permanent_flags": permanent,
            "drafts": self.drafts,
            "drafts_flagged": flagged[0] if flagged else "",
            "folders": [str(name) for _, _, name in listing],
        }


def _names(response: tuple[object, ...], *kinds: bytes) -> bool:
    """Whether an untagged response such as `(3, b"EXISTS")` is one of these kinds."""
    return len(response) >= 2 and response[1] in kinds


def _keywords(flags: object) -> frozenset[str]:
    """The keywords among IMAP flags (system flags start with a backslash)."""
    return frozenset(
        flag.decode("utf-8", "replace")
        for flag in flags  # type: ignore[attr-defined]
        if isinstance(flag, bytes) and not flag.startswith(b"\\")
    )


def _fetched(uid: int, data: dict[bytes, object]) -> Fetched:
    raw = data[b"BODY[]"]
    arrived = data.get(b"INTERNALDATE")
    keywords = _keywords(data.get(b"FLAGS") or ())
    return Fetched(
        ref=str(uid),
        raw=raw if isinstance(raw, bytes) else b"",
        arrived=arrived if isinstance(arrived, datetime) else None,
        keywords=keywords,
    )
