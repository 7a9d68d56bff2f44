"""Where the IMAP secret comes from: an environment variable, a command, or the system keyring.

The secret is read when a connection is made, never earlier, and is kept in a `Secret` whose
repr and str hide it, so it cannot reach a log line or a traceback by accident. OAuth2 access
tokens expire, so a token command is run again at every connection. Only this module imports
keyring.
"""

from __future__ import annotations

import os
import shlex
import subprocess

import keyring
import keyring.errors

from triage.accounts import Secret, SecretSource

COMMAND_TIMEOUT = 60


class CredentialError(RuntimeError):
    """The secret could not be read; the message says which source failed and how to fix it."""


def read_secret(source: SecretSource, what: str = "password") -> Secret:
    """Fetch the secret now; raises CredentialError naming the source when it cannot."""
    if source.env:
        return _from_env(source.env, what)
    if source.command:
        return _from_command(source.command, what)
    return _from_keyring(source.keyring_service, source.keyring_user)


def _from_env(name: str, what: str) -> Secret:
    value = os.environ.get(name, "")
    if not value:
        raise CredentialError(
            f"The environment variable {name} that should hold the IMAP {what} is not set or empty."
        )
    return Secret(value)


def _from_command(command: str, what: str) -> Secret:
    """Run the command without a shell; its first line of output is the secret."""
    try:
        done = subprocess.run(
            shlex.split(command),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        raise CredentialError(f"Could not run the {what} command `{command}`: {error}.") from None
    value = done.stdout.splitlines()[0].strip() if done.stdout.strip() else ""
    if done.returncode != 0 or not value:
        # stderr may be useful, stdout may hold a secret: show only the former.
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no output"
        raise CredentialError(
            f"The {what} command `{command}` failed (exit {done.returncode}): {detail}."
        )
    return Secret(value)


def _from_keyring(service: str, user: str) -> Secret:
    try:
        value = keyring.get_password(service, user)
    except keyring.errors.KeyringError as error:
        raise CredentialError(f"The system keyring could not be read: {error}.") from None
    if not value:
        raise CredentialError(
            f"No password in the system keyring for service {service!r}, user {user!r}. "
            f"Store one with: keyring set {service} {user}"
        )
    return Secret(value)
