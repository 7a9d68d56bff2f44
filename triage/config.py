"""Where triage's files live: the bundled model and corpus, and the person's own directories.

An installed wheel carries the shipped model and its corpus inside the package
(`triage/bundled/models`); a source checkout keeps them at the top level (`models/`). Both are
found the same way.
The person's directories follow XDG and can each be moved with an environment variable.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from triage.firms import Firm, FirmDirectory, FirmDirectoryError, firm_from_entry

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
    """The shipped firm directory, plus the `[[firm]]` entries of `extra` when given."""
    directory = FirmDirectory(_read_firms(bundled_config_dir() / "firms.toml"))
    return directory.extended(_read_firms(extra)) if extra else directory


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


def user_state_dir() -> Path:
    """$TRIAGE_STATE_DIR, else $XDG_STATE_HOME/triage, else ~/.local/state/triage."""
    return _user_dir("TRIAGE_STATE_DIR", "XDG_STATE_HOME", ".local/state")


def user_config_dir() -> Path:
    """$XDG_CONFIG_HOME/triage, else ~/.config/triage."""
    return _user_dir("", "XDG_CONFIG_HOME", ".config")


def active_model_dir() -> Path:
    """The person's own trained model when they have one, else the shipped one."""
    own = user_data_dir() / "model"
    return own if (own / "model.skops").is_file() else bundled_model_dir()


def _user_dir(override: str, xdg: str, fallback: str) -> Path:
    if override and os.environ.get(override):
        return Path(os.environ[override]).expanduser()
    base = os.environ.get(xdg) or str(Path.home() / fallback)
    return Path(base).expanduser() / "triage"
