"""`triage doctor`: whether `triage run` can work with this config, and what to fix if not.

The checks run in the order a person would fix things: the config, the credentials, the
connection and its TLS, the login, what the server offers, the drafts folder, the label folders,
the state file and the model (for a Maildir: the folder, its drafts folder, whether it is
writable). A check that cannot run because an earlier one failed is left out. Nothing is
changed: no folder is created, no state file migrated, nothing marked read, and the secret is
read but never shown. The results are data; the CLI prints them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from pathlib import Path

from triage import classify, config, credentials, imap, maildir, statefile, store
from triage.accounts import ImapSettings, MaildirSettings, RunSettings, Secret, SecretSource
from triage.mailbox import ConnectionLost, LoginRefused, MailboxError

OK, WARN, FAIL = "ok", "warn", "FAIL"
# Cap on the config's [imap] timeout: a doctor should answer about a silent server in seconds.
TIMEOUT = 20.0
EXAMPLE = "config/triage.example.toml"


@dataclass(frozen=True)
class Check:
    """One verdict: `status` is ok, warn or FAIL; `fix` says what to do (always set on FAIL)."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def as_json(self) -> dict[str, str]:
        return asdict(self)


def failed(checks: list[Check]) -> bool:
    return any(check.status == FAIL for check in checks)


def run_checks(config_path: Path | None = None) -> list[Check]:
    """Every check for the config `triage run --config config_path` would use."""
    settings, checks = config_checks(config_path)
    if settings is not None:
        if settings.imap is not None:
            imap_settings = settings.imap
            checks += _safely("imap", lambda: imap_checks(imap_settings, settings))
        elif settings.maildir is not None:
            folder = settings.maildir
            checks += _safely("maildir", lambda: maildir_checks(folder, settings))
        checks += _safely("state", lambda: [state_check(settings.state_path)])
    return checks + _safely("model", lambda: [model_check()])


def _safely(name: str, produce: Callable[[], list[Check]]) -> list[Check]:
    """A check that meets something unforeseen reports it: a doctor must not crash."""
    try:
        return produce()
    except Exception as error:
        detail = f"unexpected {type(error).__name__}: {error}"
        return [Check(name, FAIL, detail, "Run `triage -vv doctor` and report what it shows.")]


# The config


def config_checks(config_path: Path | None) -> tuple[config.Settings | None, list[Check]]:
    """The config loads and names a mailbox (and the firm directory loads): else nothing more
    than the model can be checked."""
    path, is_sample = config.find_config(config_path)
    if is_sample:
        detail = f"no config file of your own (none at {config.default_config_path()})"
        return None, [Check("config", FAIL, detail, "Run `triage init`, then edit the file.")]
    fix = f"Correct the file and key the message names; {EXAMPLE} documents every key."
    if not path.is_file():
        fix = "Pass --config with an existing file, or run `triage init` to write one."
    try:
        settings = config.load_settings(config_path)
        config.load_firm_directory()
    except config.ConfigError as error:
        return None, [Check("config", FAIL, str(error), fix)]
    if settings.imap is None and settings.maildir is None:
        detail = f"{path} has no [imap] or [maildir] section: there is no mailbox to watch"
        return None, [Check("config", FAIL, detail, "Add one; `triage init` writes an example.")]
    checks = [Check("config", OK, f"{path} loads")]
    checks += [Check("config", WARN, warning) for warning in settings.warnings]
    return settings, checks


# IMAP


def imap_checks(account: ImapSettings, settings: config.Settings) -> list[Check]:
    """Credentials, then connection, TLS, login and the server, each only after the last."""
    check, secret = credentials_check(account)
    if secret is None:
        return [check]
    cafile = _cafile_check(account, settings.path)
    if cafile is not None:
        return [check, cafile]
    return [check, *server_checks(account, settings, secret)]


def credentials_check(account: ImapSettings) -> tuple[Check, Secret | None]:
    """Read the secret as `triage run` would; only where it came from is shown."""
    what = "access token" if account.auth == "xoauth2" else "password"
    try:
        secret = credentials.read_secret(account.secret, what)
    except credentials.CredentialError as error:
        return Check("credentials", FAIL, str(error), _credentials_fix(account.secret, what)), None
    return Check("credentials", OK, f"the {what} from {account.secret.describe()}"), secret


def _credentials_fix(source: SecretSource, what: str) -> str:
    if source.env:
        return (
            f"Set {source.env} where triage runs: `export {source.env}=...` in your shell, or "
            f"a line {source.env}=... in ~/.config/triage/env for the systemd unit."
        )
    if source.command:
        return f"Run `{source.command}` yourself: it must exit 0 and print the {what} first."
    return f"Store it with: keyring set {source.keyring_service} {source.keyring_user}"


def _cafile_check(account: ImapSettings, config_path: Path) -> Check | None:
    if account.cafile is None or account.cafile.is_file():
        return None
    fix = f"Point [imap] cafile in {config_path} at the server's CA certificate (a PEM file)."
    return Check("tls", FAIL, f"[imap] cafile {account.cafile} does not exist", fix)


class _Witness(Secret):
    """The secret, noting whether `imap.connect` got as far as logging in: a failure before that
    is the connection's or TLS's, one after it is the mailbox's."""

    __slots__ = ("revealed",)

    def __init__(self, secret: Secret) -> None:
        super().__init__(secret.reveal())
        self.revealed = False

    def reveal(self) -> str:
        self.revealed = True
        return super().reveal()


def server_checks(account: ImapSettings, settings: config.Settings, secret: Secret) -> list[Check]:
    """Connect and log in as `triage run` does, then read what the server offers."""
    timeout = min(account.timeout, TIMEOUT)
    server = imap.Server(account.host, account.port, account.security, account.cafile, timeout)
    witness = _Witness(secret)
    login = imap.Login(account.username, witness, account.auth)
    try:
        box = imap.connect(server, login, account.inbox, account.drafts)
    except MailboxError as error:
        if not (witness.revealed and "[imap] inbox" in str(error)):
            return _connect_failure(error, witness.revealed, account, settings.path)
        fix = f"Set [imap] inbox in {settings.path} to a folder that exists (usually INBOX)."
        failure = Check("inbox", FAIL, f"could not open {account.inbox!r}: {error}", fix)
        return [*_reached(account, logged_in=True), failure]
    try:
        facts = box.server_facts()
    finally:
        box.close()
    folders = facts["folders"]
    assert isinstance(folders, list)
    return [
        *_reached(account, logged_in=True),
        *capability_checks(facts, account, settings.run),
        drafts_check(facts, account, settings.path),
        *label_folders_check(folders, settings),
    ]


def _reached(account: ImapSettings, logged_in: bool) -> list[Check]:
    """The ok lines for the steps a connection got through."""
    where = f"{account.host}:{account.port}"
    if account.security == "none":
        tls = Check("tls", OK, "none: allowed for a loopback host only")
    else:
        trusted = f"against {account.cafile}" if account.cafile else "by the system's CAs"
        how = "STARTTLS" if account.security == "starttls" else "TLS"
        tls = Check("tls", OK, f"{how}, certificate verified {trusted}")
    checks = [Check("connection", OK, f"reached {where}"), tls]
    if logged_in:
        checks.append(Check("login", OK, f"logged in as {account.username}"))
    return checks


def _connect_failure(
    error: MailboxError, logged_in: bool, account: ImapSettings, config_path: Path
) -> list[Check]:
    detail = str(error)
    if isinstance(error, LoginRefused):
        fix = f"Check [imap] username in {config_path} and the password its source gives."
        return [*_reached(account, logged_in=False), Check("login", FAIL, detail, fix)]
    if isinstance(error, ConnectionLost):
        fix = (
            f"Check [imap] host, port and security in {config_path} (tls is usually port 993, "
            "starttls 143) and that the server is reachable from here."
        )
        return [Check("connection", FAIL, detail, fix)]
    if not logged_in:
        reached = Check("connection", OK, f"reached {account.host}:{account.port}")
        return [reached, Check("tls", FAIL, detail, _tls_fix(detail, config_path))]
    fix = f"Set [imap] drafts in {config_path} to the name of your drafts folder."
    return [*_reached(account, logged_in=True), Check("drafts", FAIL, detail, fix)]


def _tls_fix(detail: str, config_path: Path) -> str:
    if "STARTTLS" in detail:
        return f'Set security = "tls" (port 993) in [imap] of {config_path}.'
    return (
        f"If the server has a certificate of its own, set [imap] cafile in {config_path} to "
        "the certificate of the authority that signed it (a PEM file)."
    )


def capability_checks(
    facts: dict[str, object], account: ImapSettings, run: RunSettings
) -> list[Check]:
    """IDLE, SPECIAL-USE and keywords: each missing one costs a feature, none stops triage."""
    polls = f"triage polls every {run.poll_interval:g} s"
    idle = Check("idle", OK, "IDLE: new mail is seen as it arrives")
    if not facts["idle"]:
        fix = "Nothing to fix; lower [run] poll_interval to see new mail sooner."
        idle = Check("idle", WARN, f"the server does not offer IDLE: {polls}", fix)
    elif not run.idle:
        idle = Check("idle", OK, f"IDLE offered, but [run] idle = false: {polls}")
    return [idle, _special_use_check(facts, account), _keywords_check(facts)]


def _special_use_check(facts: dict[str, object], account: ImapSettings) -> Check:
    if facts["special_use"]:
        return Check("special-use", OK, "SPECIAL-USE: the drafts folder is found by its flag")
    if account.drafts:
        return Check("special-use", OK, "no SPECIAL-USE; [imap] drafts names the folder")
    detail = "no SPECIAL-USE: the drafts folder is taken to be the one named Drafts"
    return Check("special-use", WARN, detail, "If yours has another name, set [imap] drafts.")


def _keywords_check(facts: dict[str, object]) -> Check:
    gmail = "; Gmail labels too (X-GM-EXT-1)" if facts["gmail"] else ""
    if facts["keywords"]:
        return Check("keywords", OK, f"the inbox keeps keywords (PERMANENTFLAGS \\*){gmail}")
    detail = (
        "the inbox does not keep keywords (no \\* in PERMANENTFLAGS): messages are not marked "
        f"Triage/..., and relabelling by keyword is not seen{gmail}"
    )
    return Check("keywords", WARN, detail, "Use [train.folders] to correct labels instead.")


def drafts_check(facts: dict[str, object], account: ImapSettings, config_path: Path) -> Check:
    """The drafts folder exists (`connect` checked) and is the one the server flags, if any."""
    name, flagged = str(facts["drafts"]), str(facts["drafts_flagged"])
    if account.drafts and flagged and flagged != name:
        detail = f"{name!r} (set in [imap] drafts), but the server flags {flagged!r} as drafts"
        fix = f"Set [imap] drafts = {flagged!r} in {config_path}, or remove the key."
        return Check("drafts", WARN, detail + ": your mail client may not show these", fix)
    how = "flagged \\Drafts" if flagged == name else "found by name"
    how = "set in [imap] drafts" if account.drafts else how
    return Check("drafts", OK, f"{name!r} ({how})")


def label_folders_check(folders: Collection[str], settings: config.Settings) -> list[Check]:
    """The folders of [train.folders] exist: messages filed there teach triage the label."""
    wanted = settings.train.folders
    if not wanted:
        return []
    missing = [f"{label} = {name!r}" for label, name in wanted.items() if name not in folders]
    if missing:
        detail = f"[train.folders] names folders that do not exist: {', '.join(missing)}"
        fix = f"Create them in your mail client, or correct [train.folders] in {settings.path}."
        return [Check("label-folders", WARN, detail, fix)]
    named = ", ".join(f"{name!r}" for name in wanted.values())
    return [Check("label-folders", OK, f"{named} exist")]


# Maildir


def maildir_checks(folder: MaildirSettings, settings: config.Settings) -> list[Check]:
    """A Maildir, writable (keywords rename files; drafts are written), with its drafts folder."""
    root = folder.path
    if not maildir.is_maildir(root):
        detail = f"{root} is not a Maildir (it needs cur/, new/ and tmp/)"
        fix = f"Point [maildir] path in {settings.path} at the folder your mail is synced to."
        return [Check("maildir", FAIL, detail, fix)]
    checks = [Check("maildir", OK, str(root))]
    blocked = [str(path) for path in (root, root / "cur", root / "new") if not _writable(path)]
    if blocked:
        detail = f"not writable: {', '.join(blocked)}"
        checks.append(Check("writable", FAIL, detail, f"chmod u+w {' '.join(blocked)}"))
    else:
        checks.append(Check("writable", OK, "triage can set keywords and write drafts"))
    checks.append(_maildir_drafts_check(root, folder.drafts, settings.path))
    wanted = settings.train.folders
    present = [name for name in wanted.values() if _maildir_folder(root, name) is not None]
    return checks + label_folders_check(present, settings)


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK | os.X_OK)


def _maildir_folder(root: Path, name: str) -> Path | None:
    """`root/<name>` if a Maildir, else the Maildir++ folder `root/.<name>` (as maildir.py)."""
    for path in (root / name, root / f".{name.strip('/').replace('/', '.')}"):
        if maildir.is_maildir(path) and path.resolve() != root.resolve():
            return path
    return None


def _maildir_drafts_check(root: Path, drafts: str, config_path: Path) -> Check:
    if (root / drafts).resolve() == root.resolve():
        fix = f"Set [maildir] drafts in {config_path} to a folder's name, such as Drafts."
        return Check("drafts", FAIL, f"[maildir] drafts = {drafts!r} is the inbox", fix)
    found = _maildir_folder(root, drafts)
    if found is not None:
        return Check("drafts", OK, str(found))
    dotted = root / f".{drafts.strip('/').replace('/', '.')}"
    if dotted.exists():
        fix = f"Move {dotted} aside, or set [maildir] drafts in {config_path} to another folder."
        return Check("drafts", FAIL, f"{dotted} exists but is not a Maildir", fix)
    return Check("drafts", OK, f"{dotted} does not exist yet: created on first run")


# The state file and the model


def state_check(path: Path) -> Check:
    """Opened read-only (no lock, no migration): a running daemon is not disturbed."""
    if not path.exists():
        return _future_state_check(path)
    try:
        version, problem = statefile.read_header(path)
        if not problem and version < len(store.MIGRATIONS):
            return Check("state", OK, f"{path} (an older schema: `triage run` upgrades it)")
        with store.Store.open(path, readonly=True) as state:
            counts = state.counts()
    except OSError as error:
        fix = f"It must be yours and readable: chmod 600 {path}"
        return Check("state", FAIL, f"cannot read {path}: {error.strerror}", fix)
    except store.StoreError as error:
        move = statefile.move_aside(path, ".broken")
        fix = f"`{move}`, then run again: {statefile.SAFE_TO_MOVE_ASIDE}."
        return Check("state", FAIL, str(error), fix)
    handled = ", ".join(f"{count} {status}" for status, count in counts.items())
    return Check("state", OK, f"{path} ({handled})")


def _future_state_check(path: Path) -> Check:
    """A missing state file is fine if `triage run` can create it (and its folders)."""
    existing = next(parent for parent in path.parents if parent.exists())
    if not _writable(existing):
        detail = f"{path} cannot be created: {existing} is not writable"
        return Check("state", FAIL, detail, "Set [state] path to a file in a folder of yours.")
    return Check("state", OK, f"{path} does not exist yet: created on first run")


def model_check() -> Check:
    """The model `triage run` would load: the person's own if they trained one, else shipped."""
    directory = config.active_model_dir()
    own = directory != config.bundled_model_dir()
    which = "your own model" if own else "the shipped model"
    try:
        model = classify.load(directory)
    except classify.ModelError as error:
        aside = f", or move {directory} aside to use the shipped model" if own else ""
        return Check("model", FAIL, str(error), f"Run `triage train`{aside}.")
    card = model.card
    detail = (
        f"{which} in {directory}: labels and scikit-learn {card.sklearn_version} match "
        f"(trained {card.trained_at})"
    )
    return Check("model", OK, detail)
