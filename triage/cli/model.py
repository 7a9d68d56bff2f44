"""Commands about the classifier: `train`, `label` and `corrections`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from triage import classify, config, corpus, message, pipeline, report, retrain
from triage.cli import common
from triage.credentials import CredentialError
from triage.examples import read_examples, save_example, source_counts
from triage.mailbox import MailboxError


@click.command()
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Train on this folder of <label>/*.eml alone (default: the shipped corpus plus "
    "your own examples).",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write model.skops and model-card.json to (default: your data dir, "
    "where triage looks first).",
)
@click.option("--from-mailbox", is_flag=True, help="First copy the mail in [train.folders].")
@click.option("--dry-run", is_flag=True, help="Evaluate the candidate but do not install it.")
@click.option("--force", is_flag=True, help="Install the candidate even if it scores worse.")
@click.option(
    "--check-bundled",
    is_flag=True,
    help="Also cross-validate on the shipped corpus with and without your examples (slower).",
)
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option("--json", "json_", is_flag=True, help="Print the card and scores as JSON.")
@common.config_option
def train(
    corpus_dir: Path | None,
    output: Path | None,
    from_mailbox: bool,
    dry_run: bool,
    force: bool,
    check_bundled: bool,
    folds: int,
    json_: bool,
    config_path: Path | None,
) -> None:
    """Train the classifier, prove it is not worse on your own examples, then install it.

    Your examples are the mail you filed in the folders of [train.folders] (copied with
    --from-mailbox and kept in your data dir, so a retrain can be repeated offline), the
    corrections the daemon noticed, and files given to `triage label`. The candidate is compared
    with the current model on held-out folds of them and installed only if its macro-F1 is at
    most 0.01 lower (or with --force). The shipped model is never overwritten. With --corpus,
    the recipe is trained on that folder alone and its cross-validated scores printed.
    """
    if corpus_dir is not None:
        _train_on_corpus(corpus_dir, output or config.user_data_dir() / "model", folds, json_)
        return
    root = config.user_examples_dir()
    if from_mailbox:
        _collect(common.load_settings(config_path), root)
    own = read_examples(root, classify.LABELS)
    if not own:
        if from_mailbox:
            raise click.ClickException("The label folders hold no mail yet: nothing to learn from.")
        _train_on_corpus(config.bundled_corpus_dir(), output or config.user_data_dir() / "model",
                         folds, json_)  # fmt: skip
        return
    weight = common.load_settings(config_path).train.weight
    current = common.load_model(None)
    steps = folds + 1 + (2 * folds if check_bundled else 0)
    with click.progressbar(length=steps, label="Training", file=sys.stderr) as bar:
        try:
            retrained = retrain.retrain(
                config.bundled_corpus_dir(), own, current, weight=weight, folds=folds,
                check_bundled=check_bundled, progress=_advance(bar),
            )  # fmt: skip
        except (retrain.TrainingRefused, classify.ModelError, corpus.CorpusError) as error:
            raise click.ClickException(str(error)) from error
    installed, reason = _install(retrained, output, dry_run, force)
    _show_retrained(retrained, installed, reason, json_)
    if not installed and not dry_run:
        sys.exit(1)


def _train_on_corpus(corpus_dir: Path, output: Path, folds: int, json_: bool) -> None:
    with click.progressbar(length=folds + 1, label="Training", file=sys.stderr) as bar:
        try:
            trained = pipeline.train_model(corpus_dir, output, folds, progress=_advance(bar))
        except (classify.ModelError, corpus.CorpusError) as error:
            raise click.ClickException(str(error)) from error
    for line in trained.skipped:
        click.echo(f"skipped {line}", err=True)
    if json_:
        click.echo(json.dumps(report.training_json(trained), indent=2))
        return
    for line in report.evaluation_lines(trained.evaluation):
        click.echo(line)
    click.echo(f"\nModel written to {trained.model_path}\nCard written to {trained.card_path}")


def _collect(settings: config.Settings, root: Path) -> None:
    folders = settings.train.folders
    if not folders:
        raise click.ClickException(
            f"{settings.path} has no [train.folders]: name a folder per label, for example "
            '[train.folders] retained = "Recruiters/Retained".'
        )
    try:
        box = pipeline.mailbox_opener(settings)()
    except (pipeline.NoMailboxConfigured, MailboxError, CredentialError) as error:
        raise click.ClickException(str(error)) from error
    try:
        with click.progressbar(length=0, label="Fetching", file=sys.stderr) as bar:
            counts = retrain.collect_from_mailbox(box, folders, root, _fetching(bar))
    except MailboxError as error:
        raise click.ClickException(str(error)) from error
    finally:
        box.close()
    listed = ", ".join(f"{label} {count}" for label, count in counts.items())
    click.echo(f"Copied the label folders into {root}: {listed}", err=True)


def _fetching(bar: Any) -> Callable[[str, int], None]:
    def step(folder: str, count: int) -> None:
        bar.label = f"Fetching {folder}"
        if count < 0:
            bar.length = (bar.length or 0) + -count
            return
        bar.update(count)

    return step


def _install(
    retrained: retrain.Retrained, output: Path | None, dry_run: bool, force: bool
) -> tuple[str, str]:
    """Save the candidate where triage looks first, if it passed (or --force); never the shipped
    model's folder unless asked with --output."""
    comparison = retrained.comparison
    passed = comparison is None or comparison.not_worse
    if dry_run:
        return "", "dry run: nothing installed"
    if not passed and not force:
        return "", (
            f"not installed: macro-F1 on your examples would drop from "
            f"{comparison.current_f1:.3f} to {comparison.candidate_f1:.3f} "  # type: ignore[union-attr]
            f"(more than {retrain.ALLOWED_DROP}); --force installs it anyway"
        )
    model_path, _ = classify.save(retrained.model, output or config.user_data_dir() / "model")
    why = "forced" if not passed else "not worse on your examples"
    return str(model_path), f"installed ({why}); a running `triage run` takes it on SIGHUP"


def _show_retrained(retrained: retrain.Retrained, installed: str, reason: str, json_: bool) -> None:
    if json_:
        click.echo(json.dumps(report.retrained_json(retrained, installed, reason), indent=2))
        return
    for line in retrained.skipped:
        click.echo(f"skipped {line}", err=True)
    sources = ", ".join(f"{name} {count}" for name, count in retrained.sources.items())
    click.echo(f"Examples: {sources}")
    if retrained.comparison is not None:
        for line in report.comparison_lines(retrained.comparison):
            click.echo(line)
    if retrained.bundled_check is not None:
        without, with_own = retrained.bundled_check
        click.echo(f"\nShipped corpus, cross-validated: macro-F1 {without:.3f} without your "
                   f"examples, {with_own:.3f} with them")  # fmt: skip
    click.echo(f"\n{reason}" + (f": {installed}" if installed else ""))


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("label", type=click.Choice(classify.LABELS))
def label(path: Path, label: str) -> None:
    """Add a local .eml file to your own examples under LABEL, for the next `triage train`."""
    raw = path.read_bytes()
    try:
        message.parse(raw)
    except message.MailParseError as error:
        raise click.ClickException(f"{path} cannot be read as mail: {error}") from error
    saved = save_example(config.user_examples_dir(), "file", label, raw)
    counts = source_counts(read_examples(config.user_examples_dir(), classify.LABELS))
    click.echo(f"Saved as {saved}. Your examples now: " + ", ".join(
        f"{name} {count}" for name, count in counts.items()))  # fmt: skip


@click.command()
@common.config_option
@click.option("--json", "json_", is_flag=True, help="One JSON object per correction per line.")
def corrections(config_path: Path | None, json_: bool) -> None:
    """List the labels you corrected, and how the current model now labels each message."""
    settings = common.load_settings(config_path)
    if not settings.state_path.exists():
        raise click.ClickException(f"No state file at {settings.state_path} yet.")
    with common.open_store(settings.state_path, readonly=True) as state:
        found = state.corrections()
    model = common.load_model(None)
    rows = [(correction, _label_now(model, correction.example)) for correction in found]
    if json_:
        for correction, now in rows:
            click.echo(json.dumps(
                {**asdict(correction), "at": correction.at.isoformat() if correction.at else "",
                 "model_now": now}, ensure_ascii=False))  # fmt: skip
        return
    for line in report.corrections_lines(rows):
        click.echo(line)


def _label_now(model: classify.Model, example: str) -> str:
    try:
        mail = message.parse(Path(example).read_bytes())
    except (OSError, message.MailParseError):
        return ""
    return model.predict([message.model_text(mail)])[0].label


def _advance(bar: Any) -> Callable[[str], None]:
    def step(what: str) -> None:
        bar.label = what
        bar.update(1)

    return step
