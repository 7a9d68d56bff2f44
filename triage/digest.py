"""The digest: one message to the person summarising the recruiter approaches of a day or a week.

Pure code: rows in, an EmailMessage out; the run loop decides when (`is_due`) and appends it.
Every firm, role, company, subject and flag reason was written by a stranger, so each value has
its control and bidi characters stripped, and the HTML part escapes all of them; none reaches a
header. The HTML uses inline CSS and tables only, as mail clients drop <style>, scripts and classes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the type only: the digest must not pull in sqlite3
    from triage.store import Row

DIGEST_HEADER = "X-Triage-Digest"
ACTIONS = ("schedule", "decline", "refer", "review", "none")
HEADINGS = {
    "schedule": "Schedule: a draft proposes times for a call",
    "decline": "Decline: a polite no is drafted",
    "refer": "Refer: a draft offers names or insight",
    "review": "Review: yours to judge, no draft",
    "none": "No reply drafted",
}
DRAFT_STATES = {True: "unsent", False: "gone", None: "unknown"}
LEGEND = "Draft: unsent = still in Drafts; gone = sent or deleted; unknown = not checked; - = none."
FOOTER = "Written by triage, which never sends mail: every draft waits in Drafts for you."
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MAX_VALUE = 200
# C0/C1 controls, line/paragraph separators, zero-width and bidi overrides (which reorder text).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]+")
_COLUMNS = (("DATE", 6), ("FIRM", 18), ("ROLE", 24), ("COMPANY", 13), ("DRAFT", 7))
# Fixed widths, so the columns of every group's table line up with each other.
_HTML_COLUMNS = (("Firm", 29), ("Role", 27), ("Company", 16), ("Draft", 11), ("Handled", 17))
_FONT = "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_CELL = (
    "padding:8px 10px;border-top:1px solid #e3e6ea;vertical-align:top;text-align:left;"
    "overflow-wrap:anywhere;word-break:break-word"
)
_ACCENTS = {"schedule": "#1a7f37", "decline": "#8250df", "refer": "#0969da", "review": "#bf8700"}


@dataclass(frozen=True)
class Entry:
    """One approach as shown: every text already cleaned, none yet escaped."""

    action: str
    when: datetime
    firm: str
    role: str
    company: str
    subject: str
    flags: tuple[tuple[str, str], ...]  # (code shown, reason)
    draft: str  # a DRAFT_STATES value, or "-" when no draft was written


def clean(value: object, limit: int = MAX_VALUE) -> str:
    """One line of text safe to show: unsafe characters become spaces, runs of space one."""
    return " ".join(_UNSAFE.sub(" ", str(value or "")).split())[:limit]


def build_digest(
    rows: list[Row],
    since: datetime,
    now: datetime,
    profile_name: str,
    profile_address: str,
    unsent: Callable[[Row], bool | None],
) -> EmailMessage | None:
    """The digest of recruiter rows handled in [since, now), or None when there were none.

    None rather than an "all quiet" message, so no empty digests are sent. `since` and `now`
    must be timezone-aware; dates are shown in `now`'s zone. `unsent` is asked once per row that
    has a draft: True while it is in Drafts, False once gone, None when that cannot be told.
    """
    if since.tzinfo is None or now.tzinfo is None:
        raise ValueError("build_digest needs timezone-aware datetimes for since and now")
    chosen = [row for row in rows if _is_approach(row) and since <= row.updated_at < now]
    if not chosen:
        return None
    zone = now.tzinfo
    entries = [_entry(row, unsent, zone) for row in sorted(chosen, key=lambda r: r.updated_at)]
    count = len(entries)
    noun = "approach" if count == 1 else "approaches"
    subject = f"triage: {count} recruiter {noun} since {_day(since.astimezone(zone))}"
    period = f"{_stamp(since.astimezone(zone))} to {_stamp(now)}"
    address = clean(profile_address)
    person = str(Address(clean(profile_name), addr_spec=address))
    message = EmailMessage()
    message["From"] = person
    message["To"] = person
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("triage-digest", address.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message[DIGEST_HEADER] = "yes"
    groups = _grouped(entries)
    message.set_content(_text(groups, subject, period), charset="utf-8")
    message.add_alternative(_html(groups, subject, period), subtype="html", charset="utf-8")
    return message


def is_due(last_sent: datetime | None, now: datetime, every: str, at_hour: int) -> bool:
    """Whether a digest should go now: "daily" at `at_hour`, or "weekly" on Mondays at it.

    The hour is `now`'s wall clock, so pass local time. Due once the latest scheduled time has
    passed and none was sent since, so a daemon that was down catches up once, late rather than
    never. With nothing ever sent, only the scheduled day counts: no digest at 3 a.m. on start-up.
    """
    if every not in {"daily", "weekly"}:
        raise ValueError(f'digest every must be "daily" or "weekly", not {every!r}')
    if not 0 <= at_hour <= 23:
        raise ValueError(f"digest at_hour must be 0 to 23, not {at_hour}")
    slot = now.replace(hour=at_hour, minute=0, second=0, microsecond=0)
    if slot > now:
        slot -= timedelta(days=1)
    if every == "weekly":
        slot -= timedelta(days=slot.weekday())
    if last_sent is None:
        return slot.date() == now.date()
    if (last_sent.tzinfo is None) != (now.tzinfo is None):
        raise ValueError("last_sent and now must both be timezone-aware, or both naive")
    return last_sent < slot


def _is_approach(row: Row) -> bool:
    return row.status == "done" and row.label not in {"other", ""}


def _entry(row: Row, unsent: Callable[[Row], bool | None], zone: tzinfo | None) -> Entry:
    details = row.details if isinstance(row.details, dict) else {}
    flags = row.standing.get("flags", []) if isinstance(row.standing, dict) else []
    company = details.get("hiring_company") or (
        "confidential" if details.get("confidential") else ""
    )
    return Entry(
        action=clean(row.action, 20) or "none",
        when=row.updated_at.astimezone(zone),
        firm=clean(details.get("firm")) or clean(row.sender.rpartition("@")[2]) or "unknown",
        role=clean(details.get("position")) or "role not named",
        company=clean(company) or "-",
        subject=clean(row.subject),
        flags=tuple(
            (clean(flag.get("code"), 40).replace("_", " "), clean(flag.get("reason"), 400))
            for flag in flags
            if isinstance(flag, dict) and flag.get("code")
        ),
        draft=DRAFT_STATES.get(unsent(row), "unknown") if row.draft_message_id else "-",
    )


def _grouped(entries: list[Entry]) -> list[tuple[str, list[Entry]]]:
    """Entries by action, known actions in ACTIONS order, any other after them."""
    order = list(ACTIONS) + sorted({e.action for e in entries} - set(ACTIONS))
    groups = [(action, [e for e in entries if e.action == action]) for action in order]
    return [(action, found) for action, found in groups if found]


def _day(when: datetime) -> str:
    return f"{DAYS[when.weekday()]} {when.day} {MONTHS[when.month - 1]}"


def _stamp(when: datetime) -> str:
    return f"{_day(when)} {when:%H:%M}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _line(*values: str) -> str:
    cells = [
        f"{_cut(value, width):<{width}}" for value, (_, width) in zip(values, _COLUMNS, strict=True)
    ]
    return ("  " + "  ".join(cells)).rstrip()


def _text(groups: list[tuple[str, list[Entry]]], subject: str, period: str) -> str:
    lines = [subject.removeprefix("triage: "), f"From {period}.", ""]
    lines.append(_line(*(name for name, _ in _COLUMNS)))
    for action, entries in groups:
        lines += ["", f"{HEADINGS.get(action, action)} ({len(entries)})"]
        for e in entries:
            when = f"{e.when.day} {MONTHS[e.when.month - 1]}"
            lines.append(_line(when, e.firm, e.role, e.company, e.draft))
            if e.flags:
                lines.append(" " * 10 + "flags: " + ", ".join(code for code, _ in e.flags))
    return "\n".join([*lines, "", LEGEND, FOOTER, ""])


def _html(groups: list[tuple[str, list[Entry]]], subject: str, period: str) -> str:
    esc = html.escape
    sections = "".join(_html_group(action, entries) for action, entries in groups)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(subject)}</title></head>\n"
        '<body style="margin:0;padding:0;background:#f3f4f6">\n'
        f'<div style="max-width:720px;margin:0 auto;padding:24px 16px;font-family:{_FONT};'
        'color:#1f2328;font-size:14px;line-height:1.4">\n'
        f'<h1 style="font-size:20px;margin:0 0 4px">{esc(subject.removeprefix("triage: "))}</h1>'
        f'<p style="margin:0 0 8px;color:#59636e">From {esc(period)}.</p>\n{sections}'
        f'<p style="margin:20px 0 0;color:#59636e;font-size:12px">{esc(LEGEND)}<br>'
        f"{esc(FOOTER)}</p>\n</div></body></html>\n"
    )


def _html_group(action: str, entries: list[Entry]) -> str:
    accent = _ACCENTS.get(action, "#59636e")
    heading = html.escape(HEADINGS.get(action, action))
    head = "".join(
        f'<th style="{_CELL};border-top:0;width:{width}%;font-size:12px;color:#59636e;'
        f'font-weight:600">{name}</th>'
        for name, width in _HTML_COLUMNS
    )
    return (
        f'<h2 style="font-size:15px;margin:24px 0 8px;padding-left:8px;'
        f'border-left:4px solid {accent}">{heading} '
        f'<span style="color:#59636e;font-weight:400">({len(entries)})</span></h2>\n'
        '<table role="presentation" cellpadding="0" cellspacing="0" width="100%" '
        'style="border-collapse:collapse;width:100%;table-layout:fixed;background:#ffffff;'
        'border:1px solid #d1d9e0;border-radius:6px">\n'
        f"<tr>{head}</tr>\n{''.join(_html_row(e) for e in entries)}</table>\n"
    )


def _html_row(e: Entry) -> str:
    esc = html.escape
    badges = "".join(
        '<span style="display:inline-block;margin:4px 4px 0 0;padding:0 6px;font-size:12px;'
        'border-radius:9px;background:#fff8c5;color:#7d4e00;border:1px solid #eac54f" '
        f'title="{esc(reason)}">{esc(code)}</span>'
        for code, reason in e.flags
    )
    subject = (
        f'<div style="color:#59636e;font-size:12px;font-weight:400">{esc(e.subject)}</div>'
        if e.subject
        else ""
    )
    colour = "#0969da" if e.draft == "unsent" else "#59636e"
    return (
        f'<tr><td style="{_CELL};font-weight:600">{esc(e.firm)}{subject}{badges}</td>'
        f'<td style="{_CELL}">{esc(e.role)}</td><td style="{_CELL}">{esc(e.company)}</td>'
        f'<td style="{_CELL};color:{colour};font-weight:600">{esc(e.draft)}</td>'
        f'<td style="{_CELL};color:#59636e">{esc(_stamp(e.when))}</td></tr>\n'
    )
