"""Commands about the mailbox: `run`, `demo`, `init`, `config check` and `history`."""

from __future__ import annotations

import json
import logging
import shutil
import signal
import tempfile
from pathlib import Path

import click

from triage import classify, config, pipeline, report, watch
from triage import demo as demo_run
from triage.cli import common
from triage.credentials import CredentialError
from triage.mailbox import MailboxError


@click.command()
@click.option("--keep", is_flag=True, help="Keep the demo Maildir and print where it is.")
def demo(keep: bool) -> None:
    """Run one pass of the daemon over a sample Maildir: no server, no config needed.

    The dozen bundled sample messages are delivered to a Maildir in a temporary folder and
    triaged with the sample profile, exactly as `triage run` does with yours. Each row shows the
    label, its confidence, the action, the recruiter's firm, the position, the hiring company,
    the standing flags and whether a draft was written; then the first draft in full.
    """
    settings = common.load_settings(None)
    context = pipeline.Context(common.load_model(None), common.load_firms(), settings)
    folder = Path(tempfile.mkdtemp(prefix="triage-demo-"))
    try:
        names, drafts = demo_run.run_demo(folder, settings, context)
        with common.open_store(folder / "state.sqlite3", readonly=True) as store:
            rows = sorted(store.history(), key=lambda row: names.get(row.ref, ""))
        click.echo(
            f"Delivered the sample mail in {config.sample_mail_dir()} to the Maildir "
            f"{folder / 'Maildir'} and ran one pass of `triage run` over it.\n"
        )
        for line in report.history_table(rows, names):
            click.echo(line)
        click.echo(f"\n{len(drafts)} drafts written to Drafts for {len(rows)} messages.")
        if drafts:
            click.echo("\nThe first draft:\n")
            click.echo(drafts[0].decode("utf-8", "replace"))
    finally:
        if keep:
            click.echo(f"\nThe demo Maildir is kept in {folder}", err=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _install_signal_handlers(watcher: watch.Watcher) -> None:
    """TERM and INT finish the message in hand, then stop; HUP reloads config and model."""
    signal.signal(signal.SIGTERM, lambda *_: watcher.request_stop())
    signal.signal(signal.SIGINT, lambda *_: watcher.request_stop())
    signal.signal(signal.SIGHUP, lambda *_: watcher.request_reload())


@click.command(name="run")
@common.config_option
@common.model_option
@click.option("--once", is_flag=True, help="Handle what is new, print a summary and exit.")
@click.option(
    "--dry-run", is_flag=True, help="Decide and log, but append, flag and record nothing."
)
@click.option(
    "--backfill",
    type=click.IntRange(0, 3650),
    metavar="DAYS",
    help="Also take unhandled mail that arrived in the last DAYS days (default: [run] "
    "backfill_days on a fresh state, else nothing older than the last message handled).",
)
@click.option("--json", "json_", is_flag=True, help="Print the summary as JSON.")
def run_(
    config_path: Path | None,
    model_dir: Path | None,
    once: bool,
    dry_run: bool,
    backfill: int | None,
    json_: bool,
) -> None:
    """Watch the mailbox and leave one threaded draft reply per recruiter approach.

    Waits with IMAP IDLE when the server offers it, else polls. Nothing is ever sent, deleted,
    moved or marked read. TERM or INT stops after the message in hand; HUP reloads the config
    and the model. Exit codes: 0 done, 1 the config, the login, the mailbox or the state
    file needs fixing (the message says how), 2 wrong usage.
    """
    if logging.getLogger().level > logging.INFO:
        logging.getLogger("triage").setLevel(logging.INFO)
    settings = common.load_settings(config_path)
    if settings.is_sample:
        raise click.ClickException(
            "triage run needs your own config: run `triage init`, edit it, then try again."
        )

    def load_context() -> pipeline.Context:
        fresh = config.load_settings(config_path)
        return pipeline.Context(common.load_model(model_dir), common.load_firms(), fresh)

    options = watch.Options(once=once, dry_run=dry_run, backfill_days=backfill)
    try:
        opener = pipeline.mailbox_opener(settings)
        with common.open_store(settings.state_path) as state:
            watcher = watch.Watcher(opener, state, load_context, settings.run, options)
            _install_signal_handlers(watcher)
            summary = watcher.run()
    except (pipeline.NoMailboxConfigured, MailboxError, CredentialError) as error:
        raise click.ClickException(str(error)) from error
    if json_:
        click.echo(json.dumps(summary.as_json()))
    else:
        click.echo(", ".join(f"{count} {name}" for name, count in summary.as_json().items()))


@click.command()
@click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it (default: ~/.config/triage/config.toml).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path | None, force: bool) -> None:
    """Write a commented starter config to edit: profile, mailbox, state and run settings."""
    target = path or config.default_config_path()
    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists; pass --force to overwrite it.")
    config.write_starter_config(target)
    click.echo(
        f"Wrote {target}.\nEdit [profile] and [imap] (or [maildir]), then check it with "
        "`triage config check`."
    )


@click.group(name="config")
def config_group() -> None:
    """Check the config file and show the settings triage resolves from it."""


@config_group.command(name="check")
@common.config_option
@click.option("--json", "json_", is_flag=True, help="Print the settings as JSON.")
def config_check(config_path: Path | None, json_: bool) -> None:
    """Validate the config and show the resolved settings, with secrets hidden.

    Exits 1 with a message naming the file and key when something is wrong.
    """
    settings = common.load_settings(config_path)
    summary = report.settings_summary(settings, str(config.active_model_dir()))
    if json_:
        click.echo(json.dumps(summary, indent=2))
        return
    for key, value in summary.items():
        click.echo(f"{key + ':':<15} {value}")
    click.echo("The config is valid.")


@click.command()
@common.config_option
@click.option("--label", type=click.Choice(classify.LABELS), help="Only this label.")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many rows.")
@click.option("--json", "json_", is_flag=True, help="One JSON object per message per line.")
def history(config_path: Path | None, label: str | None, limit: int | None, json_: bool) -> None:
    """List what triage decided for each message it handled, newest first."""
    settings = common.load_settings(config_path)
    if not settings.state_path.exists():
        raise click.ClickException(
            f"No state file at {settings.state_path} yet: `triage run` creates it."
        )
    with common.open_store(settings.state_path, readonly=True) as state:
        rows = state.history(label=label, limit=limit)
    if json_:
        for row in rows:
            click.echo(json.dumps(report.history_json(row), ensure_ascii=False))
        return
    for line in report.history_table(rows):
        click.echo(line)
