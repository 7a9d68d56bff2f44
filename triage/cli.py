"""The `triage` command: the only module that prints, exits, parses flags or configures logging."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import click

from triage import classify, config, corpus, pipeline
from triage.firms import FirmDirectory

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


def config_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """`--config PATH`, shared by every command that reads the person's profile."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Config file (default: $TRIAGE_CONFIG, else ~/.config/triage/config.toml, "
        "else the bundled sample profile).",
    )(function)


def _load_settings(config_path: Path | None) -> config.Settings:
    try:
        settings = config.load_settings(config_path)
    except config.ConfigError as error:
        raise click.ClickException(str(error)) from error
    if settings.is_sample:
        click.echo(
            f"No config file: using the bundled sample profile ({settings.path}). "
            "Copy it to ~/.config/triage/config.toml and make it yours.",
            err=True,
        )
    return settings


def _context(
    model_dir: Path | None, config_path: Path | None, write_drafts: bool = True
) -> pipeline.Context:
    settings = _load_settings(config_path)
    return pipeline.Context(
        _load_model(model_dir), _load_firms(), settings, write_drafts=write_drafts
    )


def _load_firms() -> FirmDirectory:
    try:
        return config.load_firm_directory()
    except config.ConfigError as error:
        raise click.ClickException(str(error)) from error


def _load_model(model_dir: Path | None) -> classify.Model:
    try:
        return classify.load(model_dir or config.active_model_dir())
    except classify.ModelError as error:
        raise click.ClickException(str(error)) from error


model_option = click.option(
    "--model",
    "model_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with model.skops and model-card.json "
    "(default: your trained model, else the shipped one).",
)


def mail_command_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """PATHS, --json, --config and --model: what every command that reads mail files takes."""
    for decorate in (
        model_option,
        config_option,
        click.option("--json", "json_", is_flag=True, help="One JSON object per message per line."),
        click.argument(
            "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
        ),
    ):
        function = decorate(function)
    return function


@cli.command(name="classify")
@mail_command_options
def classify_(
    paths: tuple[Path, ...], json_: bool, config_path: Path | None, model_dir: Path | None
) -> None:
    """Label mail files as retained, contingent, in_house, sourcing or other.

    PATHS are .eml files, folders (every *.eml below them) or mbox files. A file that cannot be
    read is reported and the run goes on; the exit code is 1 when any file failed.
    """
    results = pipeline.classify_files(paths, _context(model_dir, config_path, write_drafts=False))
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
    failed = 0
    header = (
        f"{'LABEL':<11} {'CONF':>4}  {'ACTION':<8} {'FIRM':<20} {'POSITION':<24} {'COMPANY':<16}"
    )
    click.echo(f"{header} {'FLAGS':<22} FILE")
    for result in results:
        name = Path(result.name).name
        if result.error:
            failed += 1
            click.echo(f"{'error':<11} {'':>4}  {result.error[:96]:<96} {name}")
            continue
        details = result.details
        firm = details.get("firm") or result.sender.partition("@")[2]
        confidential = "confidential" if details.get("confidential") else ""
        company = details.get("hiring_company") or confidential
        click.echo(
            f"{result.label:<11} {result.confidence:>4.2f}  {result.action:<8} "
            f"{_cut(firm, 20):<20} "
            f"{_cut(details.get('position', ''), 24):<24} {_cut(company, 16):<16} "
            f"{_cut(','.join(result.flags), 22):<22} {name}"
        )
    return failed


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@cli.command()
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of <label>/*.eml (default: the corpus shipped in models/corpus).",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write model.skops and model-card.json to (default: your data dir, "
    "where triage looks first).",
)
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option("--json", "json_", is_flag=True, help="Print the card and scores as JSON.")
def train(corpus_dir: Path | None, output: Path | None, folds: int, json_: bool) -> None:
    """Train the classifier on a labelled corpus, print its cross-validated scores, save it."""
    corpus_dir = corpus_dir or config.bundled_corpus_dir()
    output = output or config.user_data_dir() / "model"
    with click.progressbar(length=folds + 1, label="Training", file=sys.stderr) as bar:
        try:
            report = pipeline.train_model(corpus_dir, output, folds, progress=_advance(bar))
        except (classify.ModelError, corpus.CorpusError) as error:
            raise click.ClickException(str(error)) from error
    for line in report.skipped:
        click.echo(f"skipped {line}", err=True)
    if json_:
        click.echo(json.dumps(_training_json(report), indent=2))
        return
    _print_evaluation(report.evaluation)
    click.echo(f"\nModel written to {report.model_path}\nCard written to {report.card_path}")


def _advance(bar: Any) -> Callable[[str], None]:
    def step(what: str) -> None:
        bar.label = what
        bar.update(1)

    return step


def _training_json(report: pipeline.TrainingReport) -> dict[str, Any]:
    return {
        "model": str(report.model_path),
        "card": str(report.card_path),
        "counts": report.card.counts,
        "corpus_hash": report.card.corpus_hash,
        "sklearn_version": report.card.sklearn_version,
        "evaluation": report.evaluation.summary(),
        "skipped": report.skipped,
    }


def _print_evaluation(evaluation: classify.Evaluation) -> None:
    click.echo(f"Stratified {evaluation.folds}-fold cross-validation")
    click.echo(f"{'label':<11} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>5}")
    for label, score in evaluation.per_label.items():
        scores = f"{score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f}"
        click.echo(f"{label:<11} {scores} {score.support:>5}")
    click.echo(
        f"macro-F1 {evaluation.macro_f1:.3f}  accuracy {evaluation.accuracy:.3f}  "
        f"recruiter precision {evaluation.recruiter_precision:.3f}  "
        f"recall {evaluation.recruiter_recall:.3f}"
    )
    click.echo("\nConfusion (rows: true label, columns: predicted)")
    short = [label[:8] for label in evaluation.labels]
    click.echo(" " * 11 + "".join(f"{name:>9}" for name in short))
    for label, row in zip(evaluation.labels, evaluation.confusion, strict=True):
        click.echo(f"{label:<11}" + "".join(f"{count:>9}" for count in row))


@cli.command()
def demo() -> None:
    """Triage the bundled sample mail with the sample profile: no server, no config needed.

    Each row shows the label, its confidence, the action triage would take, the recruiter's firm,
    the position, the hiring company and the standing flags; then the first draft in full.
    """
    sample = config.sample_mail_dir()
    context = pipeline.Context(_load_model(None), _load_firms(), _load_settings(None))
    click.echo(f"Triaging the sample mail in {sample}\n")
    results = list(pipeline.classify_files([sample], context))
    failed = _emit_table(results)
    drafted = [result for result in results if result.draft is not None]
    click.echo(f"\n{len(drafted)} drafts written for {len(results)} messages.")
    if drafted:
        click.echo(f"\nThe draft for {Path(drafted[0].name).name}:\n")
        click.echo(
            drafted[0].draft.as_bytes().decode("utf-8", "replace") if drafted[0].draft else ""
        )
    if failed:
        sys.exit(1)


@cli.command()
@mail_command_options
def draft(
    paths: tuple[Path, ...], json_: bool, config_path: Path | None, model_dir: Path | None
) -> None:
    """Decide what to do with each message and print the draft reply (nothing is sent or saved).

    PATHS are .eml files, folders or mbox files. For each message: the action (schedule, decline,
    refer, review or none), the reasons, and the whole RFC 5322 draft when there is one.
    """
    failed = 0
    for result in pipeline.classify_files(paths, _context(model_dir, config_path)):
        failed += bool(result.error)
        if json_:
            click.echo(json.dumps(_draft_json(result), ensure_ascii=False))
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


def _draft_json(result: pipeline.Classified) -> dict[str, Any]:
    if result.error:
        return {"path": result.name, "error": result.error}
    draft = result.draft
    body = draft.get_body(("plain",)) if draft else None
    return {
        "path": result.name,
        "label": result.label,
        "action": result.action,
        "reasons": list(result.reasons),
        "draft": None
        if draft is None
        else {
            "to": str(draft["To"]),
            "subject": str(draft["Subject"]),
            "in_reply_to": str(draft["In-Reply-To"] or ""),
            "references": str(draft["References"] or ""),
            "body": body.get_content() if body else "",
        },
    }


def main() -> None:
    cli(prog_name="triage")
