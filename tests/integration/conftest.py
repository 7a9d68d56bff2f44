"""Fixtures for tests against a real Dovecot (see dovecot.py): one server for the session, a
fresh account on it for each test, and a private server for tests that stop, kill or restart it.

Without Dovecot installed these tests skip, except under CI (the CI variable set), where they
must run: there they fail, saying how to install it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.integration.dovecot import Account, Dovecot, find_dovecot

INSTALL_HINT = "install it with `apt-get install dovecot-imapd` (tests/setup-and-run.sh does)"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session", autouse=True)
def dovecot_binary() -> str:
    """Skip (or, under CI, fail) every test here when Dovecot is missing; runs before the
    server fixtures, being autouse."""
    binary = find_dovecot()
    if binary is None:
        if _in_ci():
            pytest.fail(f"CI is set but `dovecot` is not installed: {INSTALL_HINT}", pytrace=False)
        pytest.skip(f"`dovecot` is not installed, so the IMAP tests cannot run: {INSTALL_HINT}")
    return binary


def running_server(binary: str) -> Iterator[Dovecot]:
    """A started server, stopped and removed afterwards even when the test fails."""
    server = Dovecot(binary)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def dovecot(dovecot_binary: str) -> Iterator[Dovecot]:
    """One running server for the whole session; tests get their own accounts on it."""
    yield from running_server(dovecot_binary)


@pytest.fixture
def imap_account(dovecot: Dovecot) -> Iterator[Account]:
    """A fresh account with an empty mailbox, deleted after the test."""
    account = dovecot.add_user()
    yield account
    dovecot.remove_user(account)


@pytest.fixture
def own_dovecot(dovecot_binary: str) -> Iterator[Dovecot]:
    """A private running server, for tests that stop, kill or restart it."""
    yield from running_server(dovecot_binary)
