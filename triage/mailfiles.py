"""Mail read from local files: single .eml files, folders of them, and mbox files.

This edge owns reading those files. A file that cannot be read becomes an item with an error, so
one bad file never stops a run over many.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_MESSAGE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class MailFile:
    """One message's bytes and where they came from (`path`, or `path#N` inside an mbox)."""

    name: str
    raw: bytes | None = None
    error: str | None = None


def read_mail_files(paths: Iterable[Path]) -> Iterator[MailFile]:
    """Each message under the given paths: .eml files, folders (every *.eml below), mbox files."""
    for path in paths:
        if path.is_dir():
            for eml in sorted(path.rglob("*.eml")):
                yield _read_one(eml)
        elif _looks_like_mbox(path):
            yield from _read_mbox(path)
        else:
            yield _read_one(path)


def _read_one(path: Path) -> MailFile:
    try:
        if path.stat().st_size > MAX_MESSAGE_BYTES:
            return MailFile(
                str(path), error=f"larger than {MAX_MESSAGE_BYTES // 2**20} MB, skipped"
            )
        return MailFile(str(path), raw=path.read_bytes())
    except OSError as error:
        return MailFile(str(path), error=error.strerror or str(error))


def _looks_like_mbox(path: Path) -> bool:
    """An mbox starts with a `From ` line; an .eml never does."""
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


def _read_mbox(path: Path) -> Iterator[MailFile]:
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except (OSError, mailbox.Error) as error:
        yield MailFile(str(path), error=str(error))
        return
    for number, key in enumerate(keys, start=1):
        try:
            yield MailFile(f"{path}#{number}", raw=box.get_bytes(key))
        except (OSError, mailbox.Error, KeyError) as error:
            yield MailFile(f"{path}#{number}", error=str(error))
