"""A labelled corpus on disk: `<root>/<label>/*.eml`, where the folder names the label.

This edge owns reading the corpus and the hash that ties a trained model to the exact files it
was trained from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


class CorpusError(RuntimeError):
    """The corpus folder is missing or holds no labelled mail."""


@dataclass(frozen=True)
class Example:
    path: Path
    label: str
    raw: bytes


def read_corpus(root: Path, labels: tuple[str, ...]) -> list[Example]:
    """Every `*.eml` below `root/<label>/` for the given labels, in a stable order."""
    if not root.is_dir():
        raise CorpusError(
            f"No corpus folder at {root}. Pass --corpus with a folder of <label>/*.eml."
        )
    examples = [
        Example(path=path, label=label, raw=path.read_bytes())
        for label in labels
        for path in sorted((root / label).rglob("*.eml"))
    ]
    if not examples:
        raise CorpusError(
            f"{root} holds no labelled mail: put .eml files in {', '.join(labels)} subfolders."
        )
    return examples


def corpus_hash(root: Path, examples: list[Example]) -> str:
    """SHA-256 over each example's path (relative to root), label and bytes, in a stable order."""
    digest = hashlib.sha256()
    for example in sorted(examples, key=lambda e: e.path.relative_to(root).as_posix()):
        digest.update(example.path.relative_to(root).as_posix().encode())
        digest.update(b"\0" + example.label.encode() + b"\0")
        digest.update(hashlib.sha256(example.raw).digest())
    return digest.hexdigest()
