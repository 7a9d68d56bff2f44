"""What the commands share: option bundles, and loading config, model and state as click errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from triage import classify, config, pipeline, store
from triage.firms import FirmDirectory


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


def load_settings(config_path: Path | None) -> config.Settings:
    try:
        settings = config.load_settings(config_path)
    except config.ConfigError as error:
        raise click.ClickException(str(error)) from error
    for warning in settings.warnings:
        click.echo(f"warning: {warning}", err=True)
    if settings.is_sample:
        click.echo(
            f"No config file: using the bundled sample profile ({settings.path}). "
            "Copy it to ~/.config/triage/config.toml and make it yours.",
            err=True,
        )
    return settings


def context(
    model_dir: Path | None, config_path: Path | None, write_drafts: bool = True
) -> pipeline.Context:
    settings = load_settings(config_path)
    return pipeline.Context(
        load_model(model_dir), load_firms(), settings, write_drafts=write_drafts
    )


def load_firms() -> FirmDirectory:
    try:
        return config.load_firm_directory()
    except config.ConfigError as error:
        raise click.ClickException(str(error)) from error


def load_model(model_dir: Path | None) -> classify.Model:
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


def open_store(path: Path, readonly: bool = False) -> store.Store:
    try:
        return store.Store.open(path, readonly=readonly)
    except store.StoreError as error:
        raise click.ClickException(str(error)) from error
