"""The config sections that say where the mail is: [imap] or [maildir], [state] and [run].

Pure validation of the parsed TOML tables into frozen settings; every error names the file, the
section and the key. Secrets are not read here, only where they come from (see credentials.py).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.classify import LABELS

SECURITY = ("tls", "starttls", "none")
AUTH = ("password", "xoauth2")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
IMAP_KEYS = {
    "host", "port", "security", "username", "auth", "password_env", "password_command",
    "keyring", "oauth2_token_command", "cafile", "inbox", "drafts", "timeout",
}  # fmt: skip
MAILDIR_KEYS = {"path", "drafts"}
STATE_KEYS = {"path"}
TRAIN_KEYS = {"folders", "weight"}
DIGEST_KEYS = {"every", "at_hour"}
RUN_KEYS = {"poll_interval", "backfill_days", "idle_renew", "idle"}


class Secret:
    """A password or token that does not show itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class SecretSource:
    """How to get the secret; exactly one of the fields is set (the config checks that)."""

    env: str = ""
    command: str = ""
    keyring_service: str = ""
    keyring_user: str = ""

    def describe(self) -> str:
        """Where the secret comes from, for `triage config check` (never the secret itself)."""
        if self.env:
            state = "set" if os.environ.get(self.env) else "NOT SET"
            return f"environment variable ${self.env} ({state})"
        if self.command:
            return f"the output of `{self.command}`"
        return f"the system keyring (service {self.keyring_service!r}, user {self.keyring_user!r})"


class AccountError(ValueError):
    """A mailbox section is wrong; the message names the file, section and key."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str
    username: str
    auth: str
    secret: SecretSource
    cafile: Path | None
    inbox: str = "INBOX"
    drafts: str = ""
    timeout: float = 60.0

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.host)


@dataclass(frozen=True)
class MaildirSettings:
    path: Path
    drafts: str = "Drafts"


@dataclass(frozen=True)
class RunSettings:
    """How the daemon waits: IDLE renewed every `idle_renew` s, or a poll every `poll_interval`."""

    poll_interval: float = 60.0
    backfill_days: int = 7
    idle_renew: float = 600.0
    idle: bool = True


@dataclass(frozen=True)
class TrainSettings:
    """Label folders: every message the person files there is an example of that label."""

    folders: dict[str, str] = field(default_factory=dict)
    weight: float = 2.0


def train_settings(table: dict[str, Any], path: Path) -> TrainSettings:
    where = f"{path} [train]"
    _check_keys(table, TRAIN_KEYS, where)
    folders = table.get("folders", {})
    if not isinstance(folders, dict):
        raise AccountError(f'{where} folders: expected a table of label = "folder".')
    _check_keys(folders, set(LABELS), f"{path} [train.folders]")
    for label, folder in folders.items():
        if not isinstance(folder, str) or not folder:
            raise AccountError(f"{path} [train.folders] {label}: expected a folder name.")
    return TrainSettings(dict(folders), _number(table, "weight", where, 2.0, 1))


@dataclass(frozen=True)
class DigestSettings:
    """A summary message in the inbox "daily" or "weekly" (Mondays) at `at_hour`; "" = none."""

    every: str = ""
    at_hour: int = 8


def digest_settings(table: dict[str, Any] | None, path: Path) -> DigestSettings:
    if table is None:
        return DigestSettings()
    where = f"{path} [digest]"
    _check_keys(table, DIGEST_KEYS, where)
    every = _text(table, "every", where, "daily")
    if every not in ("daily", "weekly"):
        raise AccountError(f'{where} every: "daily" or "weekly", not {every!r}.')
    hour = int(_number(table, "at_hour", where, 8, 0))
    if hour > 23:
        raise AccountError(f"{where} at_hour: an hour from 0 to 23, not {hour}.")
    return DigestSettings(every, hour)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_keys(table: dict[str, Any], known: set[str], where: str) -> None:
    stray = sorted(set(table) - known)
    if stray:
        raise AccountError(
            f"{where}: unknown key {', '.join(stray)}; known: {', '.join(sorted(known))}."
        )


def _text(table: dict[str, Any], key: str, where: str, default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise AccountError(f"{where} {key}: expected a string, got {value!r}.")
    return value


def _number(table: dict[str, Any], key: str, where: str, default: float, low: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise AccountError(f"{where} {key}: expected a number of at least {low}, got {value!r}.")
    return float(value)


def imap_settings(table: dict[str, Any], path: Path) -> ImapSettings:
    where = f"{path} [imap]"
    if "password" in table:
        raise AccountError(
            f"{where} password: passwords are not kept in the config file. Use password_env, "
            "password_command or keyring = true."
        )
    _check_keys(table, IMAP_KEYS, where)
    host = _text(table, "host", where)
    username = _text(table, "username", where)
    if not host or not username:
        raise AccountError(f"{where}: `host` and `username` are required.")
    security = _text(table, "security", where, "tls")
    if security not in SECURITY:
        raise AccountError(f"{where} security: one of {', '.join(SECURITY)}, not {security!r}.")
    if security == "none" and not is_loopback(host):
        raise AccountError(
            f'{where} security: "none" sends your password in clear text and is only allowed '
            f'for a loopback host, not {host!r}. Use "tls" or "starttls".'
        )
    auth = _text(table, "auth", where, "password")
    if auth not in AUTH:
        raise AccountError(f"{where} auth: one of {', '.join(AUTH)}, not {auth!r}.")
    port = int(_number(table, "port", where, DEFAULT_PORTS[security], 1))
    cafile = _text(table, "cafile", where)
    return ImapSettings(
        host=host,
        port=port,
        security=security,
        username=username,
        auth=auth,
        secret=_secret_source(table, auth, host, username, where),
        cafile=resolve_path(path, cafile) if cafile else None,
        inbox=_text(table, "inbox", where, "INBOX"),
        drafts=_text(table, "drafts", where),
        timeout=_number(table, "timeout", where, 60.0, 1),
    )


def _secret_source(
    table: dict[str, Any], auth: str, host: str, username: str, where: str
) -> SecretSource:
    if auth == "xoauth2":
        command = _text(table, "oauth2_token_command", where)
        if not command:
            raise AccountError(
                f'{where}: auth = "xoauth2" needs oauth2_token_command, a command that prints '
                "an access token (for example one from oama or mutt_oauth2.py)."
            )
        return SecretSource(command=command)
    env = _text(table, "password_env", where)
    command = _text(table, "password_command", where)
    use_keyring = _flag(table, "keyring", where, False)
    given = {"password_env": env, "password_command": command, "keyring": use_keyring}
    chosen = [name for name, value in given.items() if value]
    if len(chosen) != 1:
        raise AccountError(
            f"{where}: give exactly one of password_env, password_command or keyring = true "
            f"(found {', '.join(chosen) or 'none'}). Passwords are never written in the config."
        )
    if use_keyring:
        return SecretSource(keyring_service=f"triage:{host}", keyring_user=username)
    return SecretSource(env=env, command=command)


def maildir_settings(table: dict[str, Any], path: Path) -> MaildirSettings:
    where = f"{path} [maildir]"
    _check_keys(table, MAILDIR_KEYS, where)
    folder = _text(table, "path", where)
    if not folder:
        raise AccountError(f"{where}: `path` is required (the Maildir with cur/, new/ and tmp/).")
    return MaildirSettings(resolve_path(path, folder), _text(table, "drafts", where, "Drafts"))


def state_path(table: dict[str, Any], path: Path, default: Path) -> Path:
    where = f"{path} [state]"
    _check_keys(table, STATE_KEYS, where)
    value = _text(table, "path", where)
    return resolve_path(path, value) if value else default


def run_settings(table: dict[str, Any], path: Path) -> RunSettings:
    where = f"{path} [run]"
    _check_keys(table, RUN_KEYS, where)
    return RunSettings(
        poll_interval=_number(table, "poll_interval", where, 60.0, 1),
        backfill_days=int(_number(table, "backfill_days", where, 7, 0)),
        idle_renew=min(_number(table, "idle_renew", where, 600.0, 10), 1500.0),
        idle=_flag(table, "idle", where, True),
    )


def _flag(table: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise AccountError(f"{where} {key}: expected true or false, got {value!r}.")
    return value


def resolve_path(config_path: Path, value: str) -> Path:
    """A path from the config: `~` expanded, a relative one taken from the config's folder."""
    resolved = Path(value).expanduser()
    return resolved if resolved.is_absolute() else config_path.parent / resolved
