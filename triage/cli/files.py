"""Commands over mail files: `classify` and `draft` (nothing is sent or saved)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

import click

from triage import pipeline, report
from triage.cli import common


@click.command(name="classify")
@common.mail_command_options
def classify_(
    paths: tuple[Path, ...], json_: bool, config_path: Path | None, model_dir: Path | None
) -> None:
    """Label mail files as retained, contingent, in_house, sourcing or other.

    PATHS are .eml files, folders (every *.eml below them) or mbox files. A file that cannot be
    read is reported and the run goes on; the exit code is 1 when any file failed.
    """
    results = pipeline.classify_files(
        paths, common.context(model_dir, config_path, write_drafts=False)
    )
    failed = _emit_json(results) if json_ else _emit_table(results)
    if failed:
        sys.exit(1)


def _emit_json(results: Iterable[pipeline.Classified]) -> int:
    failed = 0
    for result in results:
        failed += bool(result.error)
        click.echo(json.dumps(result.as_json(), ensure_ascii=False))
    return failed


def _emit_table(results: Iterable[pipeline.Classified]) -> int:
    listed = list(results)
    for line in report.classified_table(listed):
        click.echo(line)
    return sum(bool(result.error) for result in listed)


@click.command()
@common.mail_command_options
def draft(
    paths: tuple[Path, ...], json_: bool, config_path: Path | None, model_dir: Path | None
) -> None:
    """Decide what to do with each message and print the draft reply (nothing is sent or saved).

    PATHS are .eml files, folders or mbox files. For each message: the action (schedule, decline,
    refer, review or none), the reasons, and the whole RFC 5322 draft when there is one.
    """
    failed = 0
    for result in pipeline.classify_files(paths, common.context(model_dir, config_path)):
        failed += bool(result.error)
        if json_:
            click.echo(json.dumps(report.draft_json(result), ensure_ascii=False))
            continue
        click.echo(f"== {result.name}")
        if result.error:
            click.echo(f"error: {result.error}\n")
            continue
        click.echo(f"label: {result.label} ({result.confidence:.2f})  action: {result.action}")
        for reason in result.reasons:
            click.echo(f"  - {reason}")
        click.echo(
            "\n"
            + (result.draft.as_bytes().decode("utf-8", "replace") if result.draft else "(no draft)")
            + "\n"
        )
    if failed:
        sys.exit(1)
