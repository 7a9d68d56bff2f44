"""`triage doctor`: check config, mailbox, state file and model, and say what to fix."""

from __future__ import annotations

import json
from pathlib import Path

import click

from triage.cli import common
from triage.doctor import Check, failed, run_checks


@click.command()
@common.config_option
@click.option("--json", "json_", is_flag=True, help="Print the checks as one JSON object.")
def doctor(config_path: Path | None, json_: bool) -> None:
    """Check that `triage run` can work with your config, and say what to fix.

    In order: the config file (and whether other users can read it), the credentials (read,
    never shown), the connection and its TLS certificate, the login, what the server offers
    (IDLE, SPECIAL-USE, keywords, Gmail labels), the drafts folder, the label folders of
    [train.folders], the state file (opened read-only) and the model. For a Maildir: the
    folder, whether triage can write to it, and its drafts folder. Nothing is changed, sent or
    marked read; a check that needs a failed one is left out.

    One line per check, `ok`, `warn` or `FAIL`, its name and what was found; a failure (and
    some warnings) is followed by a `fix:` line.

    Exit codes: 0 no failure (warnings allowed), 1 at least one failure, 2 wrong usage.
    """
    checks = run_checks(config_path)
    if json_:
        report = {"ok": not failed(checks), "checks": [check.as_json() for check in checks]}
        click.echo(json.dumps(report, indent=2))
    else:
        for line in _lines(checks):
            click.echo(line)
    if failed(checks):
        raise click.exceptions.Exit(1)


def _lines(checks: list[Check]) -> list[str]:
    """Fixed columns, so the lines read as a table and `grep FAIL` gives whole verdicts."""
    lines = []
    for check in checks:
        lines.append(f"{check.status:<4}  {check.name:<13}  {check.detail}")
        if check.fix:
            lines.append(f"{'':<4}  {'fix:':<13}  {check.fix}")
    return lines
