"""The `triage` command. This package is the only place that prints, exits, parses flags or
configures logging; the commands live in its modules by what they work on."""

from __future__ import annotations

import logging
import sys
from importlib.metadata import PackageNotFoundError, version

import click

from triage.cli import daemon, doctor, files, model

CONTEXT = {"help_option_names": ["-h", "--help"]}


def _version() -> str:
    try:
        return version("triage")
    except PackageNotFoundError:
        return "unknown"


def configure_logging(verbosity: int) -> None:
    """Warnings by default, -v for info, -vv for debug (and mail-parser's own chatter)."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # mail-parser logs every MIME subtype it does not render ("'pgp-signature' not handled"):
    # noise to a user, so only shown when debugging.
    logging.getLogger("mailparser").setLevel(logging.DEBUG if verbosity >= 2 else logging.CRITICAL)


@click.group(context_settings=CONTEXT)
@click.version_option(_version(), "--version", prog_name="triage")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """Watch a mailbox for recruiter mail, classify each approach and draft a reply.

    Start with `triage demo` to see it work on bundled sample mail.
    """
    configure_logging(verbose)


for command in (
    files.classify_,
    files.draft,
    model.train,
    model.label,
    model.corrections,
    daemon.demo,
    daemon.run_,
    daemon.init,
    daemon.config_group,
    daemon.history,
    doctor.doctor,
):
    cli.add_command(command)


CRASHED = 70  # EX_SOFTWARE: a bug, unlike 1 (the person must fix something), so systemd restarts


def main() -> None:
    try:
        cli(prog_name="triage")
    except Exception:
        logging.getLogger("triage").exception("triage stopped on an unexpected error")
        sys.exit(CRASHED)
