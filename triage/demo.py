"""`triage demo`: the daemon's pass over the bundled sample mail in a throwaway Maildir."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from triage import maildir, pipeline
from triage.accounts import MaildirSettings
from triage.config import Settings, sample_mail_dir
from triage.pipeline import Context
from triage.store import Store
from triage.watch import Options, Watcher


def run_demo(
    folder: Path, settings: Settings, context: Context
) -> tuple[dict[str, str], list[bytes]]:
    """Deliver the sample mail to a Maildir in `folder` and run one pass over it.

    Returns the sample file name of each delivered message (by ref) and the drafts written.
    """
    root = folder / "Maildir"
    maildir.create_maildir(root)
    names = {
        maildir.deliver(root, path.read_bytes()): path.name
        for path in sorted(sample_mail_dir().glob("*.eml"))
    }
    demo_settings = replace(settings, maildir=MaildirSettings(root), imap=None)
    with Store.open(folder / "state.sqlite3") as state:
        watcher = Watcher(
            pipeline.mailbox_opener(demo_settings), state, lambda: context,
            demo_settings.run, Options(once=True),
        )  # fmt: skip
        watcher.run()
    drafts = [path.read_bytes() for path in sorted((root / ".Drafts" / "cur").glob("*"))]
    return names, drafts
