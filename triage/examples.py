"""The person's own labelled examples, kept in their data dir so a retrain can be repeated offline.

Layout: `<root>/<source>/<label>/<digest>.eml`, where source says where the label came from:
`correction` (they changed the label triage gave), `file` (`triage label PATH LABEL`) or
`mailbox` (filed in a label folder). Files are private to the person (0600, folders 0700).
The same message under two labels is resolved in that order of sources, then by newest file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

SOURCES = ("correction", "file", "mailbox")  # the first wins when labels disagree
HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Example:
    key: str
    label: str
    source: str
    path: Path

    def read(self) -> bytes:
        return self.path.read_bytes()


def message_key_of(raw: bytes) -> str:
    """The Message-ID from the header block, else a hash of the bytes (as the daemon keys mail)."""
    head = raw[:HEADER_BYTES].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    found = BytesHeaderParser(policy=compat32).parsebytes(head).get("Message-ID", "")
    text = " ".join(str(found).split())
    return text or "sha256:" + hashlib.sha256(raw).hexdigest()


def save_example(root: Path, source: str, label: str, raw: bytes) -> Path:
    """Keep `raw` as an example of `label`; the same message under another label of this source
    is removed, since the person's latest word counts."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    name = hashlib.sha256(message_key_of(raw).encode()).hexdigest()[:24] + ".eml"
    for other in (root / source).glob(f"*/{name}"):
        if other.parent.name != label:
            other.unlink()
    folder = root / source / label
    for level in (root, root / source, folder):  # mkdir's mode applies to the last folder only
        level.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / name
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(raw)
    temporary.replace(path)
    return path


def mirror_folder(root: Path, label: str, raws: list[bytes]) -> int:
    """Make the `mailbox` examples of `label` exactly these messages (a folder's contents now).

    Returns how many there are. A message taken out of the folder stops being an example.
    """
    keep = {save_example(root, "mailbox", label, raw).name for raw in raws}
    for path in (root / "mailbox" / label).glob("*.eml"):
        if path.name not in keep:
            path.unlink()
    return len(keep)


def read_examples(root: Path, labels: tuple[str, ...]) -> list[Example]:
    """Every example, one per message: on disagreement the stronger source, then the newest."""
    chosen: dict[str, tuple[tuple[int, float], Example]] = {}
    for rank, source in enumerate(SOURCES):
        for label in labels:
            for path in sorted((root / source / label).glob("*.eml")):
                example = Example(message_key_of(path.read_bytes()), label, source, path)
                order = (-rank, path.stat().st_mtime)
                if example.key not in chosen or order > chosen[example.key][0]:
                    chosen[example.key] = (order, example)
    return [example for _, example in sorted(chosen.values(), key=lambda item: item[1].path)]


def source_counts(examples: list[Example]) -> dict[str, int]:
    return {source: sum(e.source == source for e in examples) for source in SOURCES}
