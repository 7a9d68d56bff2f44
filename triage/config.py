"""Where triage's files live: the bundled model and corpus, and the person's own directories.

An installed wheel carries the shipped model and its corpus inside the package
(`triage/bundled/models`); a source checkout keeps them at the top level (`models/`). Both are
found the same way.
The person's directories follow XDG and can each be moved with an environment variable.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.accounts import (
    AccountError,
    DigestSettings,
    ImapSettings,
    MaildirSettings,
    RunSettings,
    TrainSettings,
    digest_settings,
    imap_settings,
    maildir_settings,
    resolve_path,
    run_settings,
    state_path,
    train_settings,
)
from triage.firms import Firm, FirmDirectory, FirmDirectoryError, firm_from_entry
from triage.profile import Profile, ProfileError, profile_from_tables
from triage.reply import Attachment
from triage.templates import TemplateError, Templates
from triage.templates import build as build_templates

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent


def bundled_model_dir() -> Path:
    """The folder holding the shipped model and its card."""
    installed = PACKAGE_DIR / "bundled" / "models"
    return installed if installed.is_dir() else CHECKOUT_DIR / "models"


def bundled_config_dir() -> Path:
    """The folder holding the firm directory (and, later, the example config and templates)."""
    installed = PACKAGE_DIR / "bundled" / "config"
    return installed if installed.is_dir() else CHECKOUT_DIR / "config"


class ConfigError(RuntimeError):
    """A config or data file is missing or wrong; the message names the file and what to fix."""


def load_firm_directory(extra: Path | None = None) -> FirmDirectory:
    """The shipped firm directory plus the person's own `[[firm]]` entries.

    Their entries come from `extra` when given, else from `firms.toml` in their config directory
    when that file exists; an entry with a shipped firm's name replaces the shipped one.
    """
    directory = FirmDirectory(_read_firms(bundled_config_dir() / "firms.toml"))
    own = extra or user_config_dir() / "firms.toml"
    return directory.extended(_read_firms(own)) if own.is_file() or extra else directory


def _read_firms(path: Path) -> list[Firm]:
    try:
        with path.open("rb") as handle:
            entries = tomllib.load(handle).get("firm", [])
        return [
            firm_from_entry(entry, f"{path} [[firm]] {n}") for n, entry in enumerate(entries, 1)
        ]
    except OSError as error:
        raise ConfigError(f"Cannot read the firm directory {path}: {error.strerror}.") from error
    except (tomllib.TOMLDecodeError, FirmDirectoryError) as error:
        raise ConfigError(f"The firm directory {path} is not valid: {error}.") from error


def bundled_corpus_dir() -> Path:
    """The labelled corpus the shipped model is trained from."""
    return bundled_model_dir() / "corpus"


def sample_mail_dir() -> Path:
    """The dozen sample messages `triage demo` works on."""
    return PACKAGE_DIR / "sample"


def user_data_dir() -> Path:
    """$TRIAGE_DATA_DIR, else $XDG_DATA_HOME/triage, else ~/.local/share/triage."""
    return _user_dir("TRIAGE_DATA_DIR", "XDG_DATA_HOME", ".local/share")


def user_config_dir() -> Path:
    """$XDG_CONFIG_HOME/triage, else ~/.config/triage."""
    return _user_dir("", "XDG_CONFIG_HOME", ".config")


def user_state_dir() -> Path:
    """$TRIAGE_STATE_DIR, else $XDG_STATE_HOME/triage, else ~/.local/state/triage."""
    return _user_dir("TRIAGE_STATE_DIR", "XDG_STATE_HOME", ".local/state")


def default_config_path() -> Path:
    """Where `triage init` writes and `triage run` looks when neither flag nor variable says."""
    return user_config_dir() / "config.toml"


def write_starter_config(target: Path) -> None:
    """Copy the commented example config to `target`, readable by its owner only."""
    target.parent.mkdir(parents=True, exist_ok=True)
    text = (bundled_config_dir() / "triage.example.toml").read_text(encoding="utf-8")
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    target.chmod(0o600)


def user_examples_dir() -> Path:
    """The person's own labelled examples (see examples.py), in their data dir."""
    return user_data_dir() / "examples"


def active_model_dir() -> Path:
    """The person's own trained model when they have one, else the shipped one."""
    own = user_data_dir() / "model"
    return own if (own / "model.skops").is_file() else bundled_model_dir()


def _user_dir(override: str, xdg: str, fallback: str) -> Path:
    if override and os.environ.get(override):
        return Path(os.environ[override]).expanduser()
    base = os.environ.get(xdg) or str(Path.home() / fallback)
    return Path(base).expanduser() / "triage"


CONFIG_KEYS = (
    "profile", "reply", "rules", "imap", "maildir", "state", "run", "train", "digest"
)  # fmt: skip
REPLY_KEYS = ("confidence_threshold", "templates")


@dataclass(frozen=True)
class Settings:
    """Everything a run needs from the config file, checked."""

    path: Path
    is_sample: bool
    profile: Profile
    templates: Templates
    resume: Attachment | None
    imap: ImapSettings | None = None
    maildir: MaildirSettings | None = None
    state_path: Path = Path()
    run: RunSettings = field(default_factory=RunSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    warnings: tuple[str, ...] = ()


def find_config(explicit: Path | None = None) -> tuple[Path, bool]:
    """`--config`, else $TRIAGE_CONFIG, else the XDG config file, else the bundled sample.

    The flag says whether the bundled sample profile is used (no config of the person's own).
    """
    if explicit:
        return explicit, False
    if os.environ.get("TRIAGE_CONFIG"):
        return Path(os.environ["TRIAGE_CONFIG"]).expanduser(), False
    own = default_config_path()
    if own.is_file():
        return own, False
    return bundled_config_dir() / "triage.example.toml", True


def load_settings(explicit: Path | None = None) -> Settings:
    """Read and check the config file; every error names the file and the key to fix."""
    path, is_sample = find_config(explicit)
    data = _read_toml(path)
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown section {', '.join(unknown)}; known: {', '.join(CONFIG_KEYS)}."
        )
    reply = data.get("reply", {})
    stray = sorted(set(reply) - set(REPLY_KEYS))
    if stray:
        raise ConfigError(
            f"{path} [reply]: unknown key {', '.join(stray)}; known: {', '.join(REPLY_KEYS)}."
        )
    try:
        profile = profile_from_tables(
            data.get("profile", {}),
            data.get("rules", []),
            float(reply.get("confidence_threshold", 0.5)),
            str(path),
        )
        templates = _load_templates(_optional_path(path, reply.get("templates", "")))
    except (ProfileError, TemplateError) as error:
        raise ConfigError(str(error)) from error
    resume = _read_resume(resolve_path(path, profile.resume), path) if profile.resume else None
    try:
        sections = _mail_sections(data, path)
    except AccountError as error:
        raise ConfigError(str(error)) from error
    warnings = _exposure(path) if "imap" in data and not is_sample else ()
    return Settings(path, is_sample, profile, templates, resume, **sections, warnings=warnings)


def _exposure(path: Path) -> tuple[str, ...]:
    """A config with [imap] says how to get your password (a command may even contain it): it
    should be readable by you alone."""
    mode = path.stat().st_mode
    if mode & 0o077 == 0:
        return ()
    return (
        f"{path} holds your [imap] settings and other users can read it (mode "
        f"{mode & 0o777:o}). Run: chmod 600 {path}",
    )


def _mail_sections(data: dict[str, Any], path: Path) -> dict[str, Any]:
    if "imap" in data and "maildir" in data:
        raise AccountError(f"{path}: give either [imap] or [maildir], not both.")
    default_state = user_state_dir() / "state.sqlite3"
    return {
        "imap": imap_settings(data["imap"], path) if "imap" in data else None,
        "maildir": maildir_settings(data["maildir"], path) if "maildir" in data else None,
        "state_path": state_path(data.get("state", {}), path, default_state),
        "run": run_settings(data.get("run", {}), path),
        "train": train_settings(data.get("train", {}), path),
        "digest": digest_settings(data.get("digest"), path),
    }


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(
            f"Cannot read the config file {path}: {error.strerror}. "
            "Pass --config with an existing file, or copy config/triage.example.toml."
        ) from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}.") from error


def _optional_path(config_path: Path, value: str) -> Path | None:
    return resolve_path(config_path, value) if value else None


def _load_templates(own_dir: Path | None) -> Templates:
    """The shipped templates, with any of the person's own (same file names) taking their place."""
    texts: dict[tuple[str, str], str] = {}
    for folder in (bundled_config_dir() / "templates", own_dir):
        if folder is None:
            continue
        if not folder.is_dir():
            raise ConfigError(
                f"The templates folder {folder} does not exist; fix [reply] templates."
            )
        for file in sorted(folder.glob("*.*.txt")):
            action, language, _ = file.name.split(".", 2)
            texts[(action, language)] = file.read_text(encoding="utf-8")
    return build_templates(texts, str(own_dir or bundled_config_dir() / "templates"))


def _read_resume(path: Path | None, config_path: Path) -> Attachment | None:
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"{config_path} [profile] resume: cannot read {path} ({error.strerror})."
        ) from error
    subtype = {
        ".pdf": "pdf",
        ".docx": "vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".doc": "msword",
    }
    return Attachment(
        path.name, data, "application", subtype.get(path.suffix.lower(), "octet-stream")
    )
