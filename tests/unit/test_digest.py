"""The digest: what it says, that strangers' values cannot inject markup or headers, when it is
due, and that its HTML renders to a readable page in a real browser (headless Chromium)."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from triage.digest import build_digest, is_due
from triage.store import Record, Row, Store

PARIS = ZoneInfo("Europe/Paris")
SINCE = datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)  # a Monday
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)  # the next Monday
HOSTILE_FIRM = "<script>alert(1)</script>"
HOSTILE_ROLE = '"><img src=x onerror=alert(1)>'
SAFE_TAGS = {"html", "head", "meta", "title", "body", "div", "h1", "h2", "p", "span", "br"}
SAFE_TAGS |= {"table", "tr", "th", "td"}
SAFE_ATTRIBUTES = {"style", "title", "charset", "name", "content", "role"}
SAFE_ATTRIBUTES |= {"cellpadding", "cellspacing", "width"}


def a_row(firm: str = "Heidrick & Struggles", **changes: Any) -> Row:
    details = {
        "firm": firm,
        "position": "Chief Financial Officer",
        "hiring_company": "Acme SA",
        "confidential": False,
        "location": "Paris",
        "compensation": "",
    }
    values: dict[str, Any] = {
        "key": f"<{abs(hash(firm))}@example.org>",
        "folder": "INBOX",
        "validity": "1",
        "ref": "1",
        "message_id": "<m@example.org>",
        "sender": "Ann Example <ann@search.example>",
        "subject": "CFO role in Paris",
        "label": "retained",
        "confidence": 0.93,
        "details": details | changes.pop("details", {}),
        "standing": {"firm": None, "flags": []},
        "action": "schedule",
        "draft_message_id": "<draft@example.com>",
        "attempts": 0,
        "first_seen": SINCE + timedelta(days=1),
        "updated_at": SINCE + timedelta(days=1),
    }
    return Row(**(values | changes))


def week_of_rows() -> list[Row]:
    """Seven approaches in the week, one of each action and flags, and rows that must not count."""
    day = timedelta(days=1)
    flags = [
        {"code": "unknown_firm", "reason": "Quarry & Co is not in the firm directory."},
        {"code": "reply_to_differs", "reason": 'Reply-To "x@other.example" differs.'},
    ]
    return [
        a_row("Egon Zehnder", updated_at=SINCE + timedelta(minutes=5)),
        a_row("Spencer Stuart", updated_at=SINCE + 2 * day),
        a_row("Quarry & Co", action="decline", standing={"flags": flags}),
        a_row("Hays", action="refer", label="sourcing", draft_message_id=""),
        a_row("Robert Walters", action="review", draft_message_id=""),
        a_row("Korn Ferry", action="review", draft_message_id="", updated_at=SINCE + 3 * day),
        a_row("Shady Jobs", action="none", draft_message_id="", details={"hiring_company": ""}),
        a_row("Newsletter Ltd", label="other", action="none", draft_message_id=""),
        a_row("Broken Mail", label="", status="failed", error="unreadable", action=""),
        a_row("Last Week", updated_at=SINCE - timedelta(seconds=1)),
        a_row("Right Now", updated_at=NOW),
        a_row("Tomorrow", updated_at=NOW + day),
    ]


def always(value: bool | None) -> Callable[[Row], bool | None]:
    return lambda row: value


def digest(rows: list[Row], unsent: Callable[[Row], bool | None] | None = None) -> EmailMessage:
    unsent = unsent or always(True)
    message = build_digest(rows, SINCE, NOW, "Dana Example", "dana@example.com", unsent)
    assert message is not None
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML parts, read back from the serialised bytes as a mail client would."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",))
    markup = parsed.get_body(("html",))
    assert text is not None and markup is not None
    return text.get_content(), markup.get_content()


def test_counts_only_recruiter_rows_handled_in_the_period() -> None:
    message = digest(week_of_rows())
    assert message["Subject"] == "triage: 7 recruiter approaches since Mon 23 Nov"
    assert message["From"] == message["To"] == "Dana Example <dana@example.com>"
    assert message["X-Triage-Digest"] == "yes"
    assert message["Message-ID"].endswith("@example.com>")
    assert email.utils.parsedate_to_datetime(message["Date"]) == NOW
    text, markup = parts(message)
    for shown in ("Egon Zehnder", "Spencer Stuart", "Quarry &amp; Co", "Hays", "Shady Jobs"):
        assert shown in markup
    for left_out in ("Newsletter", "Broken Mail", "Last Week", "Right Now", "Tomorrow"):
        assert left_out not in text and left_out not in markup


def test_one_approach_reads_in_the_singular() -> None:
    assert digest([a_row()])["Subject"] == "triage: 1 recruiter approach since Mon 23 Nov"


def test_a_period_without_approaches_gives_no_digest() -> None:
    rows = [row for row in week_of_rows() if row.label == "other" or row.updated_at >= NOW]
    assert build_digest(rows, SINCE, NOW, "Dana", "dana@example.com", always(True)) is None
    assert build_digest([], SINCE, NOW, "Dana", "dana@example.com", always(True)) is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_digest([], SINCE.replace(tzinfo=None), NOW, "Dana", "d@example.com", always(True))


def test_groups_follow_the_action_order_each_under_its_heading() -> None:
    text, markup = parts(digest(week_of_rows()))
    headings = ["Schedule: ", "Decline: ", "Refer: ", "Review: ", "No reply drafted"]
    for body in (text, markup):
        at = [body.index(heading) for heading in headings]
        assert at == sorted(at)
        assert at[0] < body.index("Egon Zehnder") < body.index("Spencer Stuart") < at[1]
        assert at[1] < body.index("Quarry") < at[2] < body.index("Hays") < at[3]
        assert at[3] < body.index("Robert Walters") < body.index("Korn Ferry") < at[4]
    assert "Schedule: a draft proposes times for a call (2)" in text
    assert "Review: yours to judge, no draft (2)" in text


def test_text_columns_line_up_under_the_header() -> None:
    text, _ = parts(digest(week_of_rows()))
    lines = text.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("DATE"))
    rows = [line for line in lines if line.startswith("  ") and " Nov  " in line]
    assert len(rows) == 7
    for column in ("FIRM", "ROLE", "COMPANY", "DRAFT"):
        start = header.index(column)
        assert all(row[start - 2 : start] == "  " and row[start] != " " for row in rows), column
    assert max(len(line) for line in rows) <= 78


def test_flags_are_shown_with_their_reasons_in_the_html() -> None:
    text, markup = parts(digest(week_of_rows()))
    assert "flags: unknown firm, reply to differs" in text
    assert ">unknown firm</span>" in markup
    assert 'title="Quarry &amp; Co is not in the firm directory."' in markup
    assert 'title="Reply-To &quot;x@other.example&quot; differs."' in markup


@pytest.mark.parametrize(
    ("state", "marker"), [(True, "unsent"), (False, "gone"), (None, "unknown")]
)
def test_draft_state_comes_from_unsent_asked_once_per_draft(
    state: bool | None, marker: str
) -> None:
    asked: list[str] = []

    def unsent(row: Row) -> bool | None:
        asked.append(row.details["firm"])
        return state

    text, markup = parts(digest(week_of_rows(), unsent))
    assert sorted(asked) == ["Egon Zehnder", "Quarry & Co", "Spencer Stuart"]
    egon = next(line for line in text.splitlines() if "Egon Zehnder" in line)
    hays = next(line for line in text.splitlines() if "Hays" in line)
    assert egon.endswith(f"  {marker}") and hays.endswith("  -")
    assert f">{marker}</td>" in markup


def test_missing_details_fall_back_to_readable_words() -> None:
    row = a_row(details={"firm": "", "position": "", "hiring_company": "", "confidential": True})
    text, _ = parts(digest([row]))
    line = next(line for line in text.splitlines() if "search.example" in line)
    assert "role not named" in line and "confidential" in line


class Tags(HTMLParser):
    """Every tag and attribute a browser would see."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_hostile_values_are_escaped_never_markup() -> None:
    flags = [{"code": "x<b>", "reason": '"><script>alert(2)</script>'}]
    row = a_row(
        HOSTILE_FIRM,
        details={"position": HOSTILE_ROLE, "hiring_company": "<iframe src=//evil>"},
        standing={"flags": flags},
        subject="<a href='http://evil.example'>click</a>",
    )
    text, markup = parts(digest([row]))
    tags = Tags()
    tags.feed(markup)
    assert tags.tags <= SAFE_TAGS
    assert tags.attributes <= SAFE_ATTRIBUTES
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in markup
    assert "<script>alert(1)<…" in text  # plain text shows what was written, harmlessly
    assert "max-width:720px" in markup


def test_control_and_bidi_characters_are_stripped() -> None:
    row = a_row("Evil\x1b[31m\u202eexe.cod\r\nX: 1", details={"position": "CFO\x00\tand COO"})
    text, markup = parts(digest([row]))
    for body in (text, markup):
        assert not any(char in body for char in "\x1b\x00\u202e\r\t")
        assert "Evil [31m exe.cod" in body and "CFO and COO" in body
    assert "Evil [31m exe.cod X: 1" in markup


def test_hostile_subject_and_name_add_no_header() -> None:
    row = a_row(subject="Hello\r\nBcc: victim@example.org\r\n\r\n<b>body</b>")
    message = build_digest([row], SINCE, NOW, "Dana\r\nBcc: x@example.org", "dana@example.com",
                           always(True))  # fmt: skip
    assert message is not None
    raw = message.as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None
    head = raw.split(b"\n\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc") for line in head.splitlines())
    for name, value in parsed.items():
        assert "\r" not in value and "\n" not in value, name


def test_rows_read_back_from_a_real_state_file(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.sqlite") as store:
        fields = {k: v for k, v in vars(a_row()).items() if k in Record.__dataclass_fields__}
        store.record(Record(**fields))
        rows = store.history()
    now = datetime.now(UTC) + timedelta(seconds=1)
    message = build_digest(rows, now - timedelta(days=1), now, "Dana", "d@example.com",
                           always(False))  # fmt: skip
    assert message is not None
    assert "Heidrick &amp; Struggles" in parts(message)[1]


MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("last_sent", "now", "every", "due"),
    [
        (None, MONDAY_9.replace(hour=7), "daily", False),  # never sent: wait for the hour
        (None, MONDAY_9.replace(hour=8), "daily", True),  # on the hour exactly
        (None, MONDAY_9 + timedelta(days=1), "daily", True),
        (MONDAY_9, MONDAY_9 + timedelta(hours=14), "daily", False),  # already sent today
        (MONDAY_9, MONDAY_9 + timedelta(hours=22, minutes=59), "daily", False),  # 07:59 next day
        (MONDAY_9, MONDAY_9 + timedelta(hours=23), "daily", True),
        (MONDAY_9 - timedelta(days=3), MONDAY_9.replace(hour=2), "daily", True),  # catches up
        (None, MONDAY_9, "weekly", True),
        (None, MONDAY_9 + timedelta(days=2), "weekly", False),  # never sent: wait for Monday
        (MONDAY_9, MONDAY_9 + timedelta(days=6, hours=22), "weekly", False),  # Monday 07:00
        (MONDAY_9, MONDAY_9 + timedelta(days=7), "weekly", True),
        (MONDAY_9, MONDAY_9 + timedelta(days=1), "weekly", False),
        (MONDAY_9 - timedelta(days=7), MONDAY_9 + timedelta(days=2), "weekly", True),  # was down
        # 07:30 UTC is 08:30 in Paris: after today's 08:00 slot, though 07:30 < 08:00 by wall clock
        (datetime(2026, 11, 30, 7, 30, tzinfo=UTC), MONDAY_9, "daily", False),
        (datetime(2026, 11, 30, 6, 30, tzinfo=UTC), MONDAY_9, "daily", True),
    ],
)
def test_is_due(last_sent: datetime | None, now: datetime, every: str, due: bool) -> None:
    assert is_due(last_sent, now, every, 8) is due


def test_is_due_refuses_what_it_cannot_schedule() -> None:
    with pytest.raises(ValueError, match="daily"):
        is_due(None, MONDAY_9, "monthly", 8)
    with pytest.raises(ValueError, match="0 to 23"):
        is_due(None, MONDAY_9, "daily", 24)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_due(MONDAY_9.replace(tzinfo=None), MONDAY_9, "daily", 8)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and unfiltered rows of an 8-bit, non-interlaced RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        chunks[kind] = chunks.get(kind, b"") + data[at + 8 : at + 8 + length]
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and colour in (2, 6) and interlace == 0
    step = 3 if colour == 2 else 4
    raw, stride, rows = zlib.decompress(chunks[b"IDAT"]), width * step, []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a, b = line[i - step] if i >= step else 0, previous[i]
            c = previous[i - step] if i >= step else 0
            p = a + b - c
            nearest = min((abs(p - a), 0, a), (abs(p - b), 1, b), (abs(p - c), 2, c))[2]
            line[i] = (line[i] + (0, a, b, (a + b) // 2, nearest)[kind]) & 0xFF
        rows.append(bytes(line[j] for j in range(stride) if j % step < 3))
        previous = line
    return width, height, rows


def dark(row: bytes, start: int = 0) -> list[int]:
    """x of the pixels dark enough to be text, from `start` on."""
    return [x for x in range(start, len(row) // 3) if sum(row[3 * x : 3 * x + 3]) < 3 * 128]


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: tests/setup-and-run.sh installs it")
        pytest.skip("chromium is not installed (tests/setup-and-run.sh installs it)")
    return found


def test_html_renders_to_a_readable_page(tmp_path: Path) -> None:
    browser = chromium()
    rows = [row for row in week_of_rows() if row.details["firm"] != "Korn Ferry"]
    rows.append(a_row(HOSTILE_FIRM, details={"position": HOSTILE_ROLE}, action="decline"))
    rows.append(a_row("W" * 60, details={"position": "x" * 80}, action="refer"))  # must wrap
    page, png = tmp_path / "digest.html", tmp_path / "digest.png"
    page.write_text(parts(digest(rows))[1], encoding="utf-8")
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
        "--window-size=800,1000", page.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, capture_output=True, timeout=60, check=False)
    assert png.is_file(), "chromium wrote no screenshot"
    width, height, pixels = png_pixels(png.read_bytes())
    assert (width, height) == (800, 1000)
    text_rows = [y for y, row in enumerate(pixels) if dark(row)]
    assert len(text_rows) > 150, "hardly any text on the page"
    assert max(text_rows) > 400, "the tables are missing: text stops near the top"
    assert not any(dark(row, start=775) for row in pixels), "content overflows the 720px column"
