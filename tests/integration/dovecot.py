"""A real Dovecot IMAP server for tests, one private instance per `Dovecot` object.

Each instance has its own temp dir (on /dev/shm when it exists, for steady timings), config,
certificate, passwd-files, base_dir, state_dir, log and free loopback ports; /etc is never read.
The settings follow the facts measured in /work/shared/IMAP-TESTING.md. The master runs in the
foreground as our child, in a session of its own: the processes in that session (found in /proc)
are this instance, orphans included, so stopping or killing it never touches another one.
"""

from __future__ import annotations

import contextlib
import ctypes
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

HOST = "127.0.0.1"
SPECIAL_FOLDERS = ("Drafts", "Sent", "Trash", "Junk", "Archive")  # flagged \Drafts, \Sent...
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
BULK_CHUNK = 100
_APPENDUID = re.compile(rb"\[APPENDUID \d+ ([0-9:,]+)\]")
try:  # looked up here: a dlopen between fork and exec can deadlock
    _PRCTL: Callable[..., int] | None = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _PRCTL = None


@dataclass(frozen=True)
class Account:
    """One mail account on a test server: everything a client needs to reach and log in to it.

    The helpers each open their own connection and log out, so they never disturb the state
    (selected folder, IDLE) of a connection the code under test holds.
    """

    host: str
    tls_port: int
    plain_port: int
    username: str
    password: str = field(repr=False)
    cafile: Path
    maildir: Path

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying context that trusts only this server's self-signed certificate."""
        return ssl.create_default_context(cafile=str(self.cafile))

    def client(self, tls: bool = True, timeout: float = 10.0) -> IMAPClient:
        """A logged-in client: implicit TLS, or STARTTLS on the plain port when `tls` is False."""
        context = self.ssl_context()
        port = self.tls_port if tls else self.plain_port
        imap = IMAPClient(self.host, port, ssl=tls, ssl_context=context, timeout=timeout)
        try:
            if not tls:
                imap.starttls(context)
            imap.login(self.username, self.password)
        except BaseException:
            with contextlib.suppress(OSError):
                imap.shutdown()
            raise
        return imap

    def append(
        self,
        raw: bytes,
        folder: str = "INBOX",
        flags: Sequence[str | bytes] = (),
        when: datetime | None = None,
    ) -> int:
        """Append one message and return its UID (from the server's APPENDUID answer)."""
        with self.client() as imap:
            response = imap.append(folder, raw, flags=flags, msg_time=when)
        return _appended_uids(response)[0]

    def bulk_append(self, raws: list[bytes], folder: str = "INBOX") -> list[int]:
        """Append many messages on one connection, 100 per MULTIAPPEND command; their UIDs."""
        uids: list[int] = []
        with self.client() as imap:
            if not imap.has_capability("MULTIAPPEND"):
                return [_appended_uids(imap.append(folder, raw))[0] for raw in raws]
            for start in range(0, len(raws), BULK_CHUNK):
                typ, data = imap.multiappend(folder, raws[start : start + BULK_CHUNK])
                if typ != "OK":  # imapclient 4.1 returns a failed MULTIAPPEND without raising
                    raise IMAPClientError(f"MULTIAPPEND to {folder} failed: {typ} {data!r}")
                uids += _appended_uids(data[0])
        return uids

    def messages(self, folder: str = "INBOX") -> list[tuple[int, set[bytes], bytes]]:
        """(uid, flags, raw) of every message in the folder, by UID, leaving `\\Seen` alone.

        `\\Recent` is left out of the flags: it only says which session looked first."""
        with self.client() as imap:
            imap.select_folder(folder, readonly=True)
            uids = imap.search("ALL")
            found = imap.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        return [
            (uid, set(found[uid][b"FLAGS"]) - {b"\\Recent"}, found[uid][b"BODY[]"])
            for uid in sorted(found)
        ]

    def search_header(self, folder: str, name: str, value: str) -> list[int]:
        """UIDs of the messages whose header `name` contains `value` (IMAP SEARCH HEADER)."""
        with self.client() as imap:
            imap.select_folder(folder, readonly=True)
            return sorted(imap.search(["HEADER", name, value]))


class Dovecot:
    """One Dovecot server in its own temp dir: `start()`, `add_user()`..., then `close()`.

    Ports are chosen at the first start and kept across stop/start, so accounts stay valid.
    """

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or find_dovecot() or "dovecot"
        self.root = _make_root()
        self.cafile = self.root / "cert.pem"
        self.tls_port = self.plain_port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._ports_fixed = False
        self._uid, self._gid = os.geteuid(), os.getegid()
        if self._uid == 0:  # Dovecot refuses mail access as root: give the mail to nobody
            nobody = pwd.getpwnam("nobody")
            self._uid, self._gid = nobody.pw_uid, nobody.pw_gid
        try:
            _make_certificate(self.root)
            self._probe = self._write_user("probe", secrets.token_urlsafe(12))
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start, then wait until a TLS login works; on a lost bind race, try other ports."""
        if self.running:
            return
        for _ in range(5):
            if not self._ports_fixed:
                self.tls_port, self.plain_port = _free_port(), _free_port()
            if self._launch_and_wait():
                self._ports_fixed = True
                return
            time.sleep(0.1)
        raise RuntimeError(f"Dovecot could not bind its ports; its log:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the master and its `imap` children (an IDLE client then gets its BYE now, not
        in 10 s), then its log process once the others are gone. The master then often sleeps a
        second before exiting, with nothing left to do: after 0.2 s it is SIGKILLed instead."""
        if self._process is None:
            return
        session = self._process.pid
        _signal(session, signal.SIGTERM, {"imap"})
        self._process.send_signal(signal.SIGTERM)
        _wait_until(lambda: set(_members(session).values()) <= {"dovecot", "log"}, STOP_TIMEOUT)
        _signal(session, signal.SIGTERM, {"log"})
        if not _wait_until(lambda: not self.running, 0.2):
            self._process.kill()
        self._reap()

    def kill(self) -> None:
        """SIGKILL the master and every process of this instance, as a crash would."""
        if self._process is not None:
            _signal(self._process.pid, signal.SIGKILL)
            self._reap()

    def restart(self) -> None:
        """Stop, then start on the same ports and mail, as an administrator's restart would."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and remove its temp dir, mail included; safe to call twice."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def pids(self) -> list[int]:
        """This instance's live processes, the master first."""
        if self._process is None:
            return []
        master = self._process.pid
        return sorted(_members(master), key=lambda pid: (pid != master, pid))

    def log_tail(self, lines: int = 40) -> str:
        """The end of the master's own output and of Dovecot's log, for failure messages."""
        logs = [self.root / "master.out", self.root / "dovecot.log"]
        texts = [path.read_text(errors="replace").splitlines() for path in logs if path.exists()]
        return "\n".join(line for text in texts for line in text[-lines:])

    def add_user(self, name: str | None = None, password: str | None = None) -> Account:
        """A fresh account with an empty mailbox (Dovecot reads its passwd-file at next login)."""
        if not self._ports_fixed:
            raise RuntimeError("start() the server before adding users: accounts carry its ports")
        name = name or "user-" + secrets.token_hex(4)
        return self._write_user(name, password or secrets.token_urlsafe(12))

    def remove_user(self, account: Account) -> None:
        """Forget the account and delete its mail (keeps /dev/shm small over a long session)."""
        (self.root / "users" / account.username).unlink(missing_ok=True)
        shutil.rmtree(account.maildir.parent, ignore_errors=True)

    def _write_user(self, name: str, password: str) -> Account:
        """One passwd-file per user (the configured path has %u in it): Dovecot re-reads a
        changed passwd-file at most once a second, so a line added to a shared file could be
        refused for up to a second, while a new file is read at the first login."""
        if not re.fullmatch(r"[A-Za-z0-9._@+-]+", name) or re.search(r"[:\s]", password):
            raise ValueError(f"a passwd-file cannot hold user {name!r} or that password")
        home = self.root / "home" / name
        home.mkdir()  # raises if the user exists
        os.chown(home, self._uid, self._gid)
        partial = self.root / "users" / f".{name}.tmp"
        partial.write_text(f"{name}:{{PLAIN}}{password}:{self._uid}:{self._gid}::{home}::\n")
        partial.chmod(0o644)  # Dovecot's auth process reads it as the `dovecot` user
        partial.replace(self.root / "users" / name)  # never a half-written line to read
        maildir = home / "Maildir"
        return Account(HOST, self.tls_port, self.plain_port, name, password, self.cafile, maildir)

    def _launch_and_wait(self) -> bool:
        """Start the master and poll with a real TLS login; False when the bind race was lost.
        Each try is short and the new log lines are read first: a port's thief may accept a
        connection and then say nothing."""
        shutil.rmtree(self.root / "run", ignore_errors=True)  # a stale socket costs 5 s
        log = self.root / "dovecot.log"
        log.touch()
        log_start = log.stat().st_size
        (self.root / "dovecot.conf").write_text(_config(self))
        with (self.root / "master.out").open("wb") as out:  # early errors, like a bad config
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C reaches only pytest, which then stops it
                preexec_fn=_die_with_parent,
            )
        probe = replace(self._probe, tls_port=self.tls_port, plain_port=self.plain_port)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with contextlib.suppress(OSError, IMAPClientError):
                probe.client(timeout=0.5).logout()
                return True
            with log.open("rb") as file:
                lost_bind = b"Address already in use" in file.read()[log_start:]
            if lost_bind or not self.running or time.monotonic() > deadline:
                self.kill()
                if lost_bind:
                    return False
                raise RuntimeError(f"Dovecot did not start; its log:\n{self.log_tail()}")
            time.sleep(0.02)

    def _reap(self) -> None:
        """Wait until the instance is gone, SIGKILLing it after STOP_TIMEOUT. The master is
        reaped last: till then its pid, which is the session id, cannot be reused."""
        assert self._process is not None
        session = self._process.pid
        if not _wait_until(lambda: not _members(session), STOP_TIMEOUT):
            _signal(session, signal.SIGKILL)
            _wait_until(lambda: not _members(session), STOP_TIMEOUT)
        self._process.wait()
        self._process = None


def find_dovecot() -> str | None:
    """The dovecot binary: on PATH, or in the sbin dirs that a normal user's PATH often lacks."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    return shutil.which("dovecot", path=path)


def _appended_uids(response: bytes) -> list[int]:
    """UIDs from `[APPENDUID <validity> <uid-set>]`, where the set is like `7`, `1:100`, `3,5:6`."""
    match = _APPENDUID.search(response)
    if match is None:
        raise IMAPClientError(f"no APPENDUID in the APPEND answer: {response!r}")
    uids: list[int] = []
    for part in match.group(1).split(b","):
        first, _, last = part.partition(b":")
        uids += range(int(first), int(last or first) + 1)
    return uids


def _make_root() -> Path:
    """A temp dir that Dovecot's unprivileged users can traverse: mkdtemp's 0700 (or a strict
    umask) would fail every login with "Temporary authentication failure"."""
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None
    root = Path(tempfile.mkdtemp(prefix="triage-dovecot-", dir=parent))
    for path in (root, root / "home", root / "users"):
        path.mkdir(exist_ok=True)
        path.chmod(0o755)
    return root


def _make_certificate(root: Path) -> None:
    """A self-signed certificate for localhost and 127.0.0.1 that is its own CA, with the key
    usage and key identifiers that Python 3.13's strict verification asks for."""
    command = ["openssl", "req", "-x509", "-config", "/dev/null", "-nodes", "-days", "30"]
    command += ["-subj", "/CN=localhost", "-newkey", "ec"]
    command += ["-pkeyopt", "ec_paramgen_curve:prime256v1"]
    command += ["-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")]
    extensions = "subjectAltName=DNS:localhost,IP:127.0.0.1 basicConstraints=critical,CA:TRUE"
    extensions += " keyUsage=critical,digitalSignature,keyCertSign extendedKeyUsage=serverAuth"
    extensions += " subjectKeyIdentifier=hash authorityKeyIdentifier=keyid:always"
    for extension in extensions.split():
        command += ["-addext", extension]
    subprocess.run(command, check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """Have the kernel SIGTERM the master when the thread that started it dies, so a test run
    killed before its cleanup leaves no server behind (Linux only)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


_CONFIG = """# Written by tests/integration/dovecot.py; nothing here comes from /etc/dovecot.
instance_name = {root.name}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {host}
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
# The client under test is the one that must refuse to send a password in the clear.
disable_plaintext_auth = no
auth_verbose = yes
# Without these two, one wrong password slows every login from 127.0.0.1 for seconds.
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
mail_location = maildir:~/Maildir
mail_fsync = never
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users/%u
}}
userdb {{
  driver = passwd-file
  args = {root}/users/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {plain}
  }}
  inet_listener imaps {{
    port = {tls}
    ssl = yes
  }}
}}
namespace inbox {{
  inbox = yes
{mailboxes}}}
"""


def _config(server: Dovecot) -> str:
    mailboxes = "".join(
        f"  mailbox {name} {{\n    special_use = \\{name}\n    auto = subscribe\n  }}\n"
        for name in SPECIAL_FOLDERS
    )
    root, plain, tls = server.root, server.plain_port, server.tls_port
    text = _CONFIG.format(root=root, host=HOST, plain=plain, tls=tls, mailboxes=mailboxes)
    if os.geteuid() == 0:
        return text
    user, group = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
    # Dovecot's own users need root to switch to: run everything as the caller, unchrooted.
    text += f"default_login_user = {user}\ndefault_internal_user = {user}\n"
    text += f"default_internal_group = {group}\n"
    return text + "service imap-login {\n  chroot =\n}\nservice anvil {\n  chroot =\n}\n"


def _members(session: int) -> dict[int, str]:
    """The live processes (pid: name) in the master's session: the whole instance, orphans
    included, as no Dovecot process starts a session of its own."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            text = stat.read_text()
            state, _, _, sid = text[text.rindex(")") + 2 :].split()[:4]
            if int(sid) == session and state != "Z":  # an orphan's zombie may never be reaped
                found[int(stat.parent.name)] = text[text.index("(") + 1 : text.rindex(")")]
    return found


def _signal(session: int, sig: signal.Signals, names: Container[str] | None = None) -> None:
    for pid, name in _members(session).items():
        if names is None or name in names:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


def _wait_until(done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
