"""The mailbox sections of the config ([imap], [maildir], [state], [run]) as `load_settings`
checks them, and the secrets read at connection time (credentials.read_secret)."""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path

import pytest

from triage import config
from triage.accounts import Secret, SecretSource
from triage.credentials import CredentialError, read_secret

PROFILE = '[profile]\nname = "Ana Ruiz"\naddress = "ana@example.com"\n'
IMAP = '[imap]\nhost = "imap.example.com"\nusername = "ana"\npassword_env = "ANA_PASSWORD"\n'


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(PROFILE + text)
    return path


def load(tmp_path: Path, text: str) -> config.Settings:
    return config.load_settings(write(tmp_path, text))


def refused(tmp_path: Path, text: str) -> str:
    """The error message for a config that must be refused; it always names the file."""
    path = write(tmp_path, text)
    with pytest.raises(config.ConfigError) as raised:
        config.load_settings(path)
    message = str(raised.value)
    assert str(path) in message
    return message


def imap_with(**keys: object) -> str:
    """An [imap] section from keys (None leaves one out), strings quoted, booleans as TOML."""
    table: dict[str, object] = {"host": "imap.example.com", "username": "ana"}
    table.update(keys)
    lines = ["[imap]"]
    for key, value in table.items():
        if value is None:
            continue
        shown = str(value).lower() if isinstance(value, bool) else value
        lines.append(f"{key} = {shown}" if not isinstance(value, str) else f'{key} = "{value}"')
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "section", "key"),
    [
        (IMAP + 'hots = "imap.example.org"\n', "[imap]", "hots"),
        ('[maildir]\npath = "Mail"\nfolder = "INBOX"\n', "[maildir]", "folder"),
        ('[state]\nfile = "state.db"\n', "[state]", "file"),
        ("[run]\npoll = 5\n", "[run]", "poll"),
    ],
)
def test_an_unknown_key_names_the_file_the_section_and_the_key(
    tmp_path: Path, text: str, section: str, key: str
) -> None:
    message = refused(tmp_path, text)
    assert f"{section}: unknown key {key}" in message


@pytest.mark.parametrize("host", ["imap.example.com", "10.0.0.5", "localhost.example.com"])
def test_plaintext_is_refused_for_a_host_that_is_not_loopback(tmp_path: Path, host: str) -> None:
    message = refused(tmp_path, imap_with(host=host, security="none", password_env="P"))
    assert "only allowed for a loopback host" in message and repr(host) in message


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "LOCALHOST", "127.0.0.2"])
def test_plaintext_is_allowed_for_a_loopback_host(tmp_path: Path, host: str) -> None:
    settings = load(tmp_path, imap_with(host=host, security="none", password_env="P"))
    assert settings.imap is not None
    assert settings.imap.security == "none" and settings.imap.is_loopback


@pytest.mark.parametrize(
    ("keys", "found"),
    [
        ({}, "found none"),
        ({"password_env": "P", "password_command": "pass mail"}, "found password_env, password_"),
        ({"password_env": "P", "keyring": True}, "found password_env, keyring"),
        ({"password_command": "pass mail", "keyring": True}, "found password_command, keyring"),
        ({"password_env": ""}, "found none"),
    ],
)
def test_exactly_one_password_source_is_required(
    tmp_path: Path, keys: dict[str, object], found: str
) -> None:
    message = refused(tmp_path, imap_with(**keys))
    assert "give exactly one of password_env, password_command or keyring = true" in message
    assert found in message


@pytest.mark.parametrize(
    ("keys", "source"),
    [
        ({"password_env": "ANA_PASSWORD"}, SecretSource(env="ANA_PASSWORD")),
        ({"password_command": "pass show mail"}, SecretSource(command="pass show mail")),
        (
            {"keyring": True},
            SecretSource(keyring_service="triage:imap.example.com", keyring_user="ana"),
        ),
    ],
)
def test_each_password_source_alone_is_accepted(
    tmp_path: Path, keys: dict[str, object], source: SecretSource
) -> None:
    settings = load(tmp_path, imap_with(**keys))
    assert settings.imap is not None and settings.imap.secret == source


def test_keyring_must_be_true_or_false(tmp_path: Path) -> None:
    assert "keyring: expected true or false" in refused(tmp_path, imap_with(keyring="yes"))


def test_a_password_in_the_config_is_refused_with_advice_and_not_repeated(tmp_path: Path) -> None:
    message = refused(tmp_path, imap_with(password="hunter2-secret", password_env="P"))
    assert "[imap] password" in message
    assert "password_env" in message and "password_command" in message and "keyring" in message
    assert "hunter2-secret" not in message


def test_xoauth2_needs_a_token_command(tmp_path: Path) -> None:
    message = refused(tmp_path, imap_with(auth="xoauth2"))
    assert 'auth = "xoauth2" needs oauth2_token_command' in message
    settings = load(
        tmp_path, imap_with(auth="xoauth2", oauth2_token_command="oama access ana@example.com")
    )
    assert settings.imap is not None and settings.imap.auth == "xoauth2"
    assert settings.imap.secret == SecretSource(command="oama access ana@example.com")


def test_an_unknown_auth_or_security_is_refused(tmp_path: Path) -> None:
    assert "auth: one of password, xoauth2" in refused(
        tmp_path, imap_with(auth="plain", password_env="P")
    )
    assert "security: one of tls, starttls, none" in refused(
        tmp_path, imap_with(security="ssl", password_env="P")
    )


@pytest.mark.parametrize(
    ("security", "port", "expected"),
    [("tls", None, 993), ("starttls", None, 143), ("tls", 1993, 1993), (None, None, 993)],
)
def test_the_port_defaults_to_the_one_for_the_security(
    tmp_path: Path, security: str | None, port: int | None, expected: int
) -> None:
    settings = load(tmp_path, imap_with(security=security, port=port, password_env="P"))
    assert settings.imap is not None and settings.imap.port == expected
    assert settings.imap.security == (security or "tls")


@pytest.mark.parametrize("port", ["true", '"993"', "0"])
def test_a_port_that_is_not_a_positive_number_is_refused(tmp_path: Path, port: str) -> None:
    message = refused(tmp_path, IMAP + f"port = {port}\n")
    assert "[imap] port: expected a number" in message


def test_relative_paths_resolve_against_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "conf"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    imap = load(folder, imap_with(cafile="certs/ca.pem", password_env="P")).imap
    assert imap is not None and imap.cafile == folder / "certs" / "ca.pem"
    settings = load(folder, '[maildir]\npath = "Mail/INBOX"\n[state]\npath = "state.db"\n')
    assert settings.maildir is not None
    assert settings.maildir.path == folder / "Mail" / "INBOX"
    assert settings.state_path == folder / "state.db"


def test_home_and_absolute_paths_are_kept(tmp_path: Path, user_dirs: Path) -> None:
    absolute = tmp_path / "abs" / "Mail"
    settings = load(tmp_path, f'[maildir]\npath = "{absolute}"\n[state]\npath = "~/s.db"\n')
    assert settings.maildir is not None and settings.maildir.path == absolute
    assert settings.state_path == user_dirs / "s.db"


def test_maildir_needs_a_path_and_drafts_defaults_to_drafts(tmp_path: Path) -> None:
    assert "[maildir]: `path` is required" in refused(tmp_path, '[maildir]\ndrafts = "D"\n')
    settings = load(tmp_path, '[maildir]\npath = "Mail"\n')
    assert settings.maildir is not None and settings.maildir.drafts == "Drafts"


def test_imap_and_maildir_together_are_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, IMAP + '[maildir]\npath = "Mail"\n')
    assert "either [imap] or [maildir], not both" in message


def test_without_a_mailbox_or_state_section_the_defaults_apply(tmp_path: Path) -> None:
    settings = load(tmp_path, "")
    assert settings.imap is None and settings.maildir is None
    assert settings.state_path == config.user_state_dir() / "state.sqlite3"
    assert (settings.run.poll_interval, settings.run.backfill_days) == (60.0, 7)
    assert settings.run.idle_renew == 600.0


@pytest.mark.parametrize(("given", "used"), [(3600, 1500.0), (1500, 1500.0), (30, 30.0)])
def test_idle_renew_is_capped_at_25_minutes(tmp_path: Path, given: int, used: float) -> None:
    assert load(tmp_path, f"[run]\nidle_renew = {given}\n").run.idle_renew == used


@pytest.mark.parametrize(
    "line", ["idle_renew = 5", "poll_interval = 0", "backfill_days = -1", "poll_interval = true"]
)
def test_run_numbers_below_their_minimum_are_refused(tmp_path: Path, line: str) -> None:
    key = line.split(" ")[0]
    assert f"[run] {key}: expected a number of at least" in refused(tmp_path, f"[run]\n{line}\n")


# credentials.read_secret: the secret is read when connecting, from one source.


def python_command(code: str) -> str:
    """A command line running `code` in this Python (read_secret splits it, without a shell)."""
    return shlex.join([sys.executable, "-c", code])


def test_an_environment_variable_that_is_set_gives_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANA_PASSWORD", "correct horse")
    assert read_secret(SecretSource(env="ANA_PASSWORD")).reveal() == "correct horse"


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_or_empty_environment_variable_is_an_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("ANA_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("ANA_PASSWORD", value)
    with pytest.raises(CredentialError, match="ANA_PASSWORD"):
        read_secret(SecretSource(env="ANA_PASSWORD"))


def test_a_command_gives_the_first_line_of_its_output() -> None:
    command = python_command("print('tok-1  '); print('second line')")
    assert read_secret(SecretSource(command=command), "access token").reveal() == "tok-1"


def test_a_failing_command_is_named_with_its_stderr_but_never_its_stdout() -> None:
    command = python_command(
        "import sys; print('leaked-' + 'stdout-secret'); "
        "print('gpg: decryption failed: No secret key', file=sys.stderr); sys.exit(3)"
    )
    with pytest.raises(CredentialError) as raised:
        read_secret(SecretSource(command=command))
    message = str(raised.value)
    assert command in message and "exit 3" in message
    assert "gpg: decryption failed: No secret key" in message
    assert "leaked-stdout-secret" not in message


def test_a_command_with_no_output_is_an_error() -> None:
    with pytest.raises(CredentialError, match="no output"):
        read_secret(SecretSource(command=python_command("pass")))


def test_a_command_that_cannot_be_run_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-program")
    with pytest.raises(CredentialError, match="Could not run the password command"):
        read_secret(SecretSource(command=missing))


def test_a_secret_never_shows_its_value() -> None:
    secret = Secret("hunter2-secret")
    logged = logging.makeLogRecord({"msg": "logging in with %s", "args": (secret,)})
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret])]
    shown += [logged.getMessage(), str(ValueError(secret))]
    assert all("hunter2-secret" not in text for text in shown)
    assert secret.reveal() == "hunter2-secret"
