"""Commands about the classifier: `train`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from triage import classify, config, corpus, pipeline, report


@click.command()
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


def _advance(bar: Any) -> Callable[[str], None]:
    def step(what: str) -> None:
        bar.label = what
        bar.update(1)

    return step
