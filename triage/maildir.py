"""The Maildir mailbox: triage over a local Maildir (mbsync, offlineimap, getmail, `triage demo`).

It implements `triage.mailbox.Mailbox`. A ref is a message's unique file name, the part before the
`:2,` info, which stays when a mail client moves the file from new/ to cur/ or changes its flags;
the file's mtime is its delivery time. triage reads messages, renames one to add a keyword letter
and writes drafts: it never changes a message's bytes nor any other flag (nothing is marked seen).
Keywords follow Dovecot's Maildir extension: the folder's `dovecot-keywords` file maps an index to
a name ("0 Triage/Retained"), and index n is the letter chr(ord("a") + n) in a file name's flags.
"""

from __future__ import annotations

import itertools
import logging
import mailbox
import os
import socket
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from triage.mailbox import ORIGINAL_HEADER, Fetched, MailboxError
from triage.maildir_keywords import KEYWORD_LETTERS, create_private, keyword_index, read_keywords

log = logging.getLogger(__name__)

SUBDIRS = ("cur", "new", "tmp")
HINT = "point [maildir] path at a folder that has cur/, new/ and tmp/"
CURSOR_SLACK_NS = 24 * 3600 * 10**9
POLL_SECONDS = 0.5
# A directory changed within this long of a scan may have changed again without a new mtime.
RACY_NS = 10**9
HEADER_LIMIT = 256 * 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_names = itertools.count()


class MaildirBox:
    """The `Mailbox` interface over the Maildir `root`. Drafts go to `root/<drafts>` if that is a
    Maildir (mbsync's "SubFolders Verbatim"; an absolute path works too), else to the Maildir++
    folder `root/.<drafts>`, created when missing."""

    def __init__(self, root: Path, drafts: str = "Drafts") -> None:
        self.root = Path(root)
        _require_maildir(self.root)
        self.drafts_dir = _drafts_folder(self.root, drafts)
        self._scan: tuple[tuple[int, int], int] | None = None

    @property
    def name(self) -> str:
        return f"maildir:{self.root}"

    @property
    def supports_idle(self) -> bool:
        return False

    def validity(self) -> str:
        """A Maildir's refs never change meaning, so the validity is a constant."""
        return "maildir"

    def refs_since(self, since: datetime) -> list[str]:
        self._scan = (self._dir_stamp(), time.time_ns())
        floor = _ns(since)
        return [ref for mtime, ref in _dated(self.root) if mtime >= floor]

    def refs_after(self, cursor: str) -> list[str]:
        """Refs no older than the cursor's delivery time minus 24 hours, the cursor left out.

        File names do not sort by arrival, so this cannot return exactly the messages after the
        cursor: callers filter out the refs they already handled. The slack covers sync tools
        that give a fetched message the server's (earlier) arrival time as its mtime. When the
        cursor's file is gone (or there is no cursor), every ref is returned.
        """
        self._scan = (self._dir_stamp(), time.time_ns())
        dated = _dated(self.root)
        mtimes = {ref: mtime for mtime, ref in dated}
        if cursor not in mtimes:
            return [ref for _, ref in dated]
        floor = mtimes[cursor] - CURSOR_SLACK_NS
        return [ref for mtime, ref in dated if mtime >= floor and ref != cursor]

    def fetch(self, refs: list[str]) -> list[Fetched]:
        names = read_keywords(self.root)
        listing = _listing(self.root)
        found = []
        for ref in refs:
            read = _read_message(self.root, ref, listing.get(ref))
            if read is not None:
                raw, mtime, file_name = read
                letters = _flags(file_name) or ""
                keywords = frozenset(names[i] for i in names if KEYWORD_LETTERS[i] in letters)
                arrived = _EPOCH + timedelta(microseconds=mtime // 1000)
                found.append(Fetched(ref, raw, arrived, keywords))
        return found

    def draft_exists(self, original_key: str) -> bool:
        wanted = original_key.strip()
        parser = BytesHeaderParser(policy=compat32)
        for path in _listing(self.drafts_dir).values():
            head = _header_block(path)
            if head is not None:
                values = parser.parsebytes(head).get_all(ORIGINAL_HEADER) or []
                if any("".join(str(value).splitlines()).strip() == wanted for value in values):
                    return True
        return False

    def append_draft(self, raw: bytes) -> None:
        """Write the draft in tmp/, fsync it, then rename it into cur/ flagged D (draft), not S.
        (`mailbox.Maildir.add` can only flag a message it re-generates from a parsed copy.)"""
        unique = _unique_name()
        tmp = self.drafts_dir / "tmp" / unique
        try:
            with create_private(tmp) as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(tmp, self.drafts_dir / "cur" / f"{unique}:2,D")
        except OSError as error:
            tmp.unlink(missing_ok=True)
            raise MailboxError(f"Could not write a draft in {self.drafts_dir}: {error}") from error

    def append_to_inbox(self, raw: bytes) -> None:
        deliver(self.root, raw)

    def add_keyword(self, ref: str, keyword: str) -> None:
        """Add the keyword's letter to the message's flags by renaming it into cur/.

        A file in new/ moves to cur/, as Dovecot moves it when it sets a flag. A message that
        has gone is left alone with a warning (as IMAP ignores a STORE to a vanished UID), and
        so is everything when all 26 keyword letters are taken.
        """
        if not keyword or any(char.isspace() or not char.isprintable() for char in keyword):
            raise ValueError(f"not a usable keyword: {keyword!r}")
        path = _listing(self.root).get(ref)
        if path is None:
            log.warning("Not setting %s on %s: it is no longer in %s", keyword, ref, self.root)
            return
        index = keyword_index(self.root, keyword)
        if index is None:
            log.warning("Not setting %s on %s: 26 keywords are in use already", keyword, ref)
            return
        _add_letter(self.root, ref, path, KEYWORD_LETTERS[index])

    def keywords(self, refs: list[str]) -> dict[str, frozenset[str]]:
        return {item.ref: item.keywords for item in self.fetch(refs)}

    def folder_refs(self, folder: str) -> list[str]:
        path = _existing_folder(self.root, folder)
        if path is None:
            raise MailboxError(f"The folder {folder!r} is not a Maildir: fix [train.folders].")
        return [ref for _, ref in _dated(path)]

    def fetch_folder(self, folder: str, refs: list[str]) -> list[Fetched]:
        path = _existing_folder(self.root, folder)
        if path is None:
            return []
        listing = _listing(path)
        found = []
        for ref in refs:
            read = _read_message(path, ref, listing.get(ref))
            if read is not None:
                arrived = _EPOCH + timedelta(microseconds=read[1] // 1000)
                found.append(Fetched(ref, read[0], arrived))
        return found

    def folder_message_ids(self, folder: str) -> dict[str, str]:
        path = _existing_folder(self.root, folder)
        parser = BytesHeaderParser(policy=compat32)
        found = {}
        for ref, file in (_listing(path) if path else {}).items():
            head = _header_block(file)
            if head is not None:
                found[ref] = " ".join(str(parser.parsebytes(head).get("Message-ID", "")).split())
        return found

    def wait(self, seconds: float, stop: threading.Event, use_idle: bool = True) -> None:
        """Return once new/ or cur/ changed since the last `refs_*` scan (so mail delivered
        before the wait began counts), `seconds` passed or `stop` was set.

        An mtime only moves when the file system clock ticks; when the last change came within
        RACY_NS of the scan, a delivery right after the scan may have left it as it was, so the
        wait ends after one poll and the caller scans again.
        """
        stamp, scanned = self._scan or (self._dir_stamp(), time.time_ns())
        racy = max(stamp) > scanned - RACY_NS
        deadline = time.monotonic() + seconds
        while self._dir_stamp() == stamp:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or stop.wait(min(POLL_SECONDS, remaining)) or racy:
                return

    def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""

    def _dir_stamp(self) -> tuple[int, int]:
        try:
            return os.stat(self.root / "new").st_mtime_ns, os.stat(self.root / "cur").st_mtime_ns
        except FileNotFoundError as error:
            raise MailboxError(f"{self.root} is no longer a Maildir: {HINT}.") from error


def create_maildir(root: Path) -> None:
    """Make `root` a Maildir (cur/, new/, tmp/, private to the user); existing parts are kept."""
    for path in (root, *(root / sub for sub in SUBDIRS)):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)


def deliver(root: Path, raw: bytes, when: datetime | None = None) -> str:
    """Deliver as an MDA does (tmp/, fsync, then new/) and return the ref; `when` sets the mtime."""
    ref = str(mailbox.Maildir(str(root), create=False).add(raw))
    if when is not None:
        ns = _ns(when)
        os.utime(root / "new" / ref, ns=(ns, ns))
    return ref


def is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in SUBDIRS)


def _require_maildir(root: Path) -> None:
    if not root.is_dir():
        raise MailboxError(f"{root} is not a folder: {HINT}.")
    missing = [f"{sub}/" for sub in SUBDIRS if not (root / sub).is_dir()]
    if missing:
        raise MailboxError(f"{root} is not a Maildir (no {', '.join(missing)}): {HINT}.")


def _existing_folder(root: Path, folder: str) -> Path | None:
    """A named folder: `root/<folder>` if that is a Maildir, else Maildir++ `root/.<a.b>`."""
    for path in (root / folder, root / f".{folder.strip('/').replace('/', '.')}"):
        if is_maildir(path) and path.resolve() != root.resolve():
            return path
    return None


def _drafts_folder(root: Path, drafts: str) -> Path:
    """`root/<drafts>` if it is a Maildir, else the Maildir++ folder `root/.<drafts>`."""
    verbatim = root / drafts
    if verbatim.resolve() == root.resolve():
        raise MailboxError(f"[maildir] drafts = {drafts!r} is the inbox: name a drafts folder.")
    if is_maildir(verbatim):
        return verbatim
    dotted = drafts.strip("/").replace("/", ".")
    path = root / f".{dotted}"
    try:
        mailbox.Maildir(str(root), create=False).add_folder(dotted)
    except OSError as error:
        raise MailboxError(f"Could not create the drafts folder {path}: {error}") from error
    if not is_maildir(path):
        raise MailboxError(f"The drafts folder {path} exists but is not a Maildir: {HINT}.")
    return path


def _flags(name: str) -> str | None:
    """The flags of a file name ("" when there is no info), or None for info other than `2,`."""
    _, colon, info = name.partition(":")
    if not colon:
        return ""
    return info[2:] if info.startswith("2,") else None


def _listing(folder: Path) -> dict[str, Path]:
    """Each message file by ref. new/ is read before cur/: a file a client moves from new/ to
    cur/ during the listing is then found in cur/ rather than missed in both."""
    found: dict[str, Path] = {}
    for sub in ("new", "cur"):
        directory = folder / sub
        try:
            names = os.listdir(directory)
        except FileNotFoundError as error:
            raise MailboxError(f"{directory} has gone: {HINT}.") from error
        for name in names:
            if not name.startswith("."):
                found[name.split(":", 1)[0]] = directory / name
    return found


def _dated(folder: Path) -> list[tuple[int, str]]:
    """(mtime in ns, ref) of each message, oldest first; listed again if files moved meanwhile."""
    dated: list[tuple[int, str]] = []
    for _attempt in range(3):
        dated, moved = [], False
        for ref, path in _listing(folder).items():
            try:
                info = path.stat()
            except FileNotFoundError:
                moved = True
                continue
            if stat.S_ISREG(info.st_mode):
                dated.append((info.st_mtime_ns, ref))
        if not moved:
            break
    return sorted(dated)


def _read_message(folder: Path, ref: str, path: Path | None) -> tuple[bytes, int, str] | None:
    """(bytes, mtime in ns, file name) of a message, looked up again once if it was renamed."""
    for _attempt in range(2):
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                return handle.read(), os.fstat(handle.fileno()).st_mtime_ns, path.name
        except FileNotFoundError:
            path = _listing(folder).get(ref)
    return None


def _header_block(path: Path) -> bytes | None:
    """The header lines of a message file, without reading its body."""
    lines: list[bytes] = []
    size = 0
    try:
        with path.open("rb") as handle:
            while size < HEADER_LIMIT:
                line = handle.readline(HEADER_LIMIT)
                if line in (b"", b"\n", b"\r\n"):
                    break
                lines.append(line)
                size += len(line)
    except (FileNotFoundError, IsADirectoryError):
        return None
    return b"".join(lines)


def _add_letter(folder: Path, ref: str, path: Path, letter: str) -> None:
    """Rename the message to cur/<ref>:2,<flags> with the letter added, flags in ASCII order
    (standard capitals first, then keyword letters), as the Maildir spec asks."""
    for _attempt in range(3):
        flags = _flags(path.name)
        if flags is None:
            log.warning("Not setting a keyword on %s: unknown info in its name", path)
            return
        if letter in flags:
            return
        target = folder / "cur" / f"{ref}:2,{''.join(sorted(set(flags + letter)))}"
        if target.exists():
            log.warning("Not setting a keyword on %s: %s already exists", path, target)
            return
        try:
            os.rename(path, target)
            return
        except FileNotFoundError:
            found = _listing(folder).get(ref)
            if found is None:
                return
            path = found


def _unique_name() -> str:
    """A Maildir unique name: time, microseconds, process, a counter and the host name."""
    now = time.time()
    host = socket.gethostname().replace("/", r"\057").replace(":", r"\072")
    return f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{next(_names)}.{host}"


def _ns(moment: datetime) -> int:
    """Nanoseconds since the epoch, exactly (a naive datetime is local time)."""
    return (moment.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1) * 1000
