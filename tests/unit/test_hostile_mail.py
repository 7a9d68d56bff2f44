"""Hostile and broken mail, taken through the whole path a message takes in the daemon.

Each message goes: `message.parse` -> `message.model_text` -> the shipped model -> `pipeline.judge`
with the sample settings and a forced recruiter verdict (so that drafting runs on the hostile input)
-> the draft's bytes. For every message: no exception but `MailParseError` (a clean skip); at most
2 s and 200 MB; and a draft with exactly its own headers, each one line with no CR, LF or NUL in
its value, the same headers when read back, one To address, and the original's Message-ID
written so that the mailbox's duplicate search finds it again.

tests/unit/test_corpora.py checks that the shared corpora parse and draft at all, and
tests/unit/test_hostile_headers.py that an encoded display name or subject cannot add a header;
this file adds the model and `judge`, the budgets, and mail built to exhaust or confuse them.
The monsters here are also measured by tests/bench/hostile_bench.py.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import email
import email.policy
import functools
import re
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage import classify, config, message, pipeline
from triage.mailbox import ORIGINAL_HEADER

MAX_SECONDS = 2.0
MAX_BYTES = 200 * 2**20
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOT_MAIL = {".md", ".jsonl", ".tsv"}
THREAD_HEADERS = frozenset({"In-Reply-To", "References", ORIGINAL_HEADER})
DRAFT_HEADERS = THREAD_HEADERS | {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "X-Triage-Action",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
}
# Whatever str.splitlines() or a mail client could take for the end of a header line, and NUL.
LINE_BREAKS = re.compile(r"[\x00\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
STATUS, CLEAR_REFS = Path("/proc/self/status"), Path("/proc/self/clear_refs")


@dataclass(frozen=True)
class Run:
    """One message through the daemon's path: cost, what was read, the draft or the refusal."""

    seconds: float
    peak_bytes: int
    mail: message.Mail | None
    draft: bytes | None
    refused: str = ""


def sample_context(model: classify.Model, settings_: config.Settings) -> pipeline.Context:
    return pipeline.Context(model, config.load_firm_directory(), settings_, NOW)


def daemon_path(raw: bytes, context: pipeline.Context, label: str) -> tuple[message.Mail, bytes]:
    """What the run loop does with one fetched message, with the model's verdict overridden."""
    mail = message.parse(raw)
    context.model.predict([message.model_text(mail)])
    forced = classify.Prediction(label, 0.99, {label: 0.99})
    judged = pipeline.judge("hostile", mail, forced, context)
    return mail, judged.draft.as_bytes() if judged.draft is not None else b""


def _kib(field: str) -> int:
    found = re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.MULTILINE)
    return int(found.group(1)) * 1024 if found else 0


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c"))


def _fresh_resident_peak() -> bool:
    """Hand freed heap back to the system and restart the resident high-water mark (Linux, glibc).

    Without the trim, a message would reuse pages an earlier one freed and seem to cost nothing."""
    try:
        trimmed = _libc().malloc_trim(0) >= 0
        CLEAR_REFS.write_text("5")
    except (OSError, AttributeError):
        return False
    return trimmed and _kib("VmHWM") > 0


def _attempt(raw: bytes, context: pipeline.Context, label: str) -> Run:
    try:
        mail, draft = daemon_path(raw, context, label)
    except message.MailParseError as error:
        return Run(0, 0, None, None, str(error) or "refused")
    return Run(0, 0, mail, draft or None)


def measure(raw: bytes, context: pipeline.Context, label: str = "sourcing") -> Run:
    """Run the path once, timed, with the peak memory it took.

    Peak memory is the growth of the resident set's high-water mark, which sees lxml's and
    numpy's allocations too; where that mark cannot be reset, a second, traced run gives
    tracemalloc's peak instead (tracing would distort the timing)."""
    resident = _fresh_resident_peak()
    before = _kib("VmRSS")
    start = time.perf_counter()
    run = _attempt(raw, context, label)
    seconds = time.perf_counter() - start
    if resident:
        peak = _kib("VmHWM") - before
    else:
        tracemalloc.start()
        _attempt(raw, context, label)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Run(seconds, peak, run.mail, run.draft, run.refused)


def draft_faults(wire: bytes, mail: message.Mail) -> list[str]:
    """Everything wrong with a draft's header: an empty list for a sound one."""
    expected = sorted(DRAFT_HEADERS if mail.message_id else DRAFT_HEADERS - THREAD_HEADERS)
    head = wire.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    lines = head.split(b"\n")
    names = sorted(
        line.split(b":", 1)[0].decode("ascii", "replace")
        for line in lines
        if line[:1] not in b" \t"
    )
    reread = email.message_from_bytes(wire, policy=email.policy.default)
    faults = [] if names == expected else [f"header lines {names}"]
    faults += [] if sorted(reread.keys()) == expected else [f"read back {sorted(reread.keys())}"]
    faults += [f"{k}: {v!r}" for k, v in reread.items() if LINE_BREAKS.search(str(v))]
    faults += ["CR or NUL in the header block"] if b"\r" in head or b"\x00" in head else []
    to = reread["To"]
    addresses = [a.addr_spec for a in to.addresses] if hasattr(to, "addresses") else [str(to)]
    if addresses != [mail.reply_to or mail.sender_address]:
        faults.append(f"To {addresses}")
    stored = str(email.message_from_bytes(wire).get(ORIGINAL_HEADER, "")).strip()
    if mail.message_id and stored != mail.message_id:
        faults.append(f"{ORIGINAL_HEADER} {stored!r} is not {mail.message_id!r}")
    return faults


def faults(run: Run) -> list[str]:
    found = [f"{run.seconds:.2f} s"] if run.seconds > MAX_SECONDS else []
    found += [f"{run.peak_bytes / 2**20:.0f} MB"] if run.peak_bytes > MAX_BYTES else []
    if run.draft is not None and run.mail is not None:
        found += draft_faults(run.draft, run.mail)
    return found


def parser_test_files(corpora: Path) -> list[Path]:
    files = sorted(p for p in (corpora / "parser_tests").rglob("*") if p.is_file())
    return [p for p in files if p.suffix not in NOT_MAIL and not p.name.startswith("COPYING")]


# Monsters: mail built to exhaust the parser, the extraction patterns or the draft.

HEAD = (
    b"From: Eve Stranger <eve@search.example>\r\nTo: dana@example.com\r\n"
    b"Subject: A confidential CFO search\r\nMessage-ID: <monster@search.example>\r\n"
    b"Date: Mon, 5 Jan 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
)
PITCH = b"We have been retained to appoint a Chief Financial Officer in London.\r\n"


def single(content_type: bytes, body: bytes, extra: bytes = b"") -> bytes:
    return HEAD + extra + b"Content-Type: " + content_type + b"\r\n\r\n" + body


def multipart(parts: list[bytes], subtype: bytes = b"mixed") -> bytes:
    body = b"".join(b"--b0\r\n" + part + b"\r\n" for part in parts) + b"--b0--\r\n"
    return single(b"multipart/" + subtype + b'; boundary="b0"', body)


def attachment(size: int, name: bytes = b"deck.pdf") -> bytes:
    data = base64.encodebytes(bytes(range(256)) * (size // 256))
    return (
        b"Content-Type: application/pdf; name=" + name + b"\r\nContent-Disposition: attachment; "
        b"filename=" + name + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + data
    )


def nested_rfc822(depth: int) -> bytes:
    inner = b"From: deep@x.example\r\nSubject: the bottom\r\n\r\n" + PITCH
    for level in range(depth):
        inner = b"Subject: level %d\r\nContent-Type: message/rfc822\r\n\r\n" % level + inner
    return single(b"message/rfc822", inner)


def nested_multipart(depth: int) -> bytes:
    inner = b"Content-Type: text/plain\r\n\r\n" + PITCH
    for level in range(depth, 0, -1):
        open_, close = b"--b%d\r\n" % level, b"\r\n--b%d--\r\n" % level
        inner = (
            b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % level + open_ + inner + close
        )
    return single(b'multipart/mixed; boundary="b0"', b"--b0\r\n" + inner + b"\r\n--b0--\r\n")


def text_of(size: int, unit: bytes, content_type: bytes = b"text/plain; charset=utf-8") -> bytes:
    return single(content_type, PITCH + unit * (size // len(unit)))


def headers(field: bytes, count: int) -> bytes:
    return single(
        b"text/plain", PITCH, b"".join(field % i if b"%d" in field else field for i in range(count))
    )


MB = 2**20
MONSTERS: dict[str, Callable[[], bytes]] = {
    "attachment-20mb": lambda: multipart(
        [b"Content-Type: text/plain\r\n\r\n" + PITCH, attachment(20 * MB)]
    ),
    "attachment-20mb-before-text": lambda: multipart([attachment(20 * MB), b"\r\n" + PITCH]),
    "parts-5000-text": lambda: multipart(
        [b"Content-Type: text/plain\r\n\r\npart %d CFO\r\n" % i for i in range(5000)]
    ),
    "parts-3000-attachments": lambda: multipart(
        [attachment(64, b"f%d.pdf" % i) for i in range(3000)]
    ),
    "parts-tiny-2mb": lambda: multipart([b"\r\nx"] * (2 * MB // 10)),
    "boundary-never-opened-4mb": lambda: single(
        b'multipart/mixed; boundary="b0"',
        b"--b0x\r\n" + b"A: b\r\n\r\n" * (4 * MB // 8) + b"--b0--\r\n",
    ),
    "delivery-status-2mb": lambda: single(
        b"message/delivery-status", b"A: b\r\n\r\n" * (2 * MB // 8)
    ),
    "nested-rfc822-200": lambda: nested_rfc822(200),
    "nested-rfc822-5000": lambda: nested_rfc822(5000),
    "nested-multipart-200": lambda: nested_multipart(200),
    "nested-multipart-2000": lambda: nested_multipart(2000),
    "charset-utf8-lie-latin1": lambda: single(
        b"text/plain; charset=utf-8",
        "Caf\xe9, r\xe9sum\xe9 \xe0 Paris. ".encode("latin-1") * 3000,
        "Subject: Caf\xe9\r\n".encode("latin-1"),
    ),
    "charset-iso2022jp-garbage": lambda: single(
        b"text/plain; charset=iso-2022-jp", bytes(range(256)) * 400 + b"\x1b$B\x1b(J\x1b$@\x1b"
    ),
    "charset-unknown": lambda: single(
        b"text/plain; charset=x-no-such-42",
        b"\xff\xfe" * 5000,
        b"Subject: =?x-no-such-42?q?Caf=E9?= =?utf-8?b?////?=\r\n",
    ),
    "charset-undeclared-8bit": lambda: (
        b"From: \xe9ve <eve@x.example>\r\nSubject: \xe9t\xe9 \xff\r\nMessage-ID: <u@x.example>\r\n\r\n"
        + bytes(range(128, 256)) * 4000
    ),
    "header-subject-2mb": lambda: single(
        b"text/plain", PITCH, b"Subject: " + b"CFO " * (MB // 2) + b"\r\n"
    ),
    "header-subject-1mb-encoded": lambda: single(
        b"text/plain", PITCH, b"Subject: " + b"=?utf-8?q?a=C3=A9?= " * (MB // 20) + b"\r\n"
    ),
    "header-from-2mb-addresses": lambda: single(
        b"text/plain", PITCH, b"From: " + b"a@b.example, " * (2 * MB // 13) + b"\r\n"
    ),
    "header-content-type-1mb-params": lambda: single(b"text/plain; " + b"a=b; " * (MB // 5), PITCH),
    "header-line-2mb-no-spaces": lambda: single(
        b"text/plain", PITCH, b"X-Junk: " + b"x" * 2 * MB + b"\r\n"
    ),
    "header-message-id-1mb": lambda: single(
        b"text/plain", PITCH, b"Message-ID: <" + b"x" * MB + b"@x>\r\n"
    ),
    "headers-100k-distinct": lambda: headers(b"X-H%d: v\r\n", 100_000),
    "headers-10k-received": lambda: headers(
        b"Received: from a%d.example by mx.example; Mon, 5 Jan 2026 10:00:00 +0000\r\n", 10_000
    ),
    "headers-10k-to": lambda: headers(b"To: a%d@b.example\r\n", 10_000),
    "body-10mb-one-line": lambda: text_of(10 * MB, b"We have been retained to appoint a CFO. "),
    "body-10mb-one-word": lambda: text_of(10 * MB, b"A"),
    "body-10mb-digits": lambda: text_of(10 * MB, b"1 2 3 4 5 6 7 8 9 0 "),
    "body-1mb-blank-lines": lambda: text_of(MB, b" \n"),
    "body-1mb-short-lines": lambda: text_of(MB, b"x\n"),
    "body-1mb-pay-cues": lambda: text_of(MB, b"$1 "),
    "body-10mb-html-one-line": lambda: text_of(
        10 * MB, b"<b>CFO</b> role ", b"text/html; charset=utf-8"
    ),
    "body-html-100k-nested-divs": lambda: single(
        b"text/html", b"<div>" * 100_000 + PITCH + b"</div>" * 100_000
    ),
}


@pytest.fixture
def context(shipped_model: classify.Model) -> pipeline.Context:
    """The sample settings (the autouse fixture hides any real config) and a warmed-up path."""
    sample = config.load_settings(None)
    assert sample.is_sample
    made = sample_context(shipped_model, sample)
    daemon_path(single(b"text/plain", PITCH), made, "sourcing")  # first-use imports and caches
    return made


def test_every_parser_test_message_keeps_to_budget_and_drafts_cleanly(
    shared_corpora: Path, context: pipeline.Context
) -> None:
    files = parser_test_files(shared_corpora)
    assert len(files) > 250
    failures = {}
    drafts = 0
    for path in files:
        run = measure(path.read_bytes(), context)
        drafts += run.draft is not None
        if faults(run):
            failures[str(path.relative_to(shared_corpora))] = faults(run)
    assert failures == {}
    assert drafts > len(files) // 2  # the forced verdict does make drafting run


@pytest.mark.parametrize("name", MONSTERS)
def test_a_monster_is_triaged_or_refused_within_budget(
    name: str, context: pipeline.Context
) -> None:
    raw = MONSTERS[name]()
    run = measure(raw, context)
    assert faults(run) == []
    assert run.draft is not None or run.refused, "neither a draft nor a clean refusal"


SMUGGLED = base64.b64encode(b"=?utf-8?q?x=0D=0ABcc:_eve@evil.example?=")
KNOWN_ATTACKS = {
    # An encoded word in a Message-ID is not decoded on reading, but the draft's In-Reply-To,
    # References and X-Triage-Original-Message-ID headers would decode it: CR LF, then a Bcc.
    "message-id": b"Message-ID: <=?utf-8?q?x=0D=0ABcc:_eve@evil.example?=@x.example>\r\n",
    "references": b"Message-ID: <a@x.example>\r\nReferences: <b@x> =?utf-8?q?=0D=0ABcc:_e@v.example?=\r\n",
    # A subject that decodes to an encoded word is decoded a second time in the draft.
    "subject-twice": b"Message-ID: <a@x.example>\r\nSubject: =?utf-8?b?" + SMUGGLED + b"?=\r\n",
    "message-id-unicode": "Message-ID: <jörg@x.example>\r\n".encode(),
    "message-id-folded": b"Message-ID: <" + b"x" * 990 + b"@x.example>\r\n",
}


@pytest.mark.parametrize("name", KNOWN_ATTACKS)
def test_known_header_injections_are_neutralised(name: str, context: pipeline.Context) -> None:
    raw = b"From: Ann Lee <ann@search.example>\r\n" + KNOWN_ATTACKS[name] + b"\r\n" + PITCH
    run = measure(raw, context)
    assert run.draft is not None
    assert faults(run) == []
    assert b"\nbcc:" not in b"\n" + run.draft.split(b"\n\n")[0].lower()


def test_mail_with_no_plain_reply_address_gets_no_draft(context: pipeline.Context) -> None:
    """A draft to no one, or to a list hidden in a quoted local part, is not written at all."""
    for sender in (b"", b'From: Ann <"eve, bcc"@evil.example>\r\n', b"From: undisclosed\r\n"):
        run = measure(sender + b"Message-ID: <a@x.example>\r\n\r\n" + PITCH, context)
        assert run.mail is not None and run.draft is None


# Hostile field values: the pieces a stranger would use to break a header line or smuggle one in.
PIECES = [
    *"aZ09 .-_'é€ü",
    *"\r\n\t\x00\x0b\x0c\x1c\x85\u2028\u2029",
    *'<>@,;:"()[]\\',
    "=?",
    "?=",
    "\r\nBcc: eve@evil.example",
    "\nTo: eve@evil.example",
    "=?utf-8?q?x=0D=0ABcc:_eve@evil.example?=",
    "=?utf-8?b?DQpCY2M6IGV2ZUBldmlsLmV4YW1wbGU=?=",
    "=?x-unknown?q?=00?=",
]
HOSTILE = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
ENCODINGS = ("raw", "latin-1", "b", "q", "twice", "unknown-charset")


def written(value: str, how: str) -> bytes:
    """`value` as header bytes: raw (CR, LF and NUL included), 8-bit, or in encoded words."""
    data = value.encode("utf-8")
    if how == "raw":
        return data
    if how == "latin-1":
        return value.encode("latin-1", "replace")
    if how == "unknown-charset":
        return b"=?x-no-such?b?" + base64.b64encode(data) + b"?="
    if how == "twice":
        data = b"=?utf-8?b?" + base64.b64encode(data) + b"?="
    if how in ("b", "twice"):
        return b"=?utf-8?b?" + base64.b64encode(data) + b"?="
    quoted = b"".join(bytes([c]) if chr(c).isalnum() else b"=%02X" % c for c in data)
    return b"=?utf-8?q?" + quoted + b"?="


@st.composite
def hostile_mail(draw: st.DrawFn) -> bytes:
    def field(name: bytes, value: bytes | None = None) -> bytes:
        how = draw(st.sampled_from(ENCODINGS))
        return (
            name + b": " + (value if value is not None else written(draw(HOSTILE), how)) + b"\r\n"
        )

    def address() -> bytes:
        local = draw(
            st.sampled_from(
                [*["eve", "e.ve+x", "jörg"] * 3, "=?utf-8?q?=0A?=", '"e,v e"', "e\r\nBcc: x"]
            )
        )
        shown = written(draw(HOSTILE), draw(st.sampled_from(ENCODINGS)))
        return (
            shown
            + b" <"
            + local.encode()
            + b"@"
            + draw(st.sampled_from([b"search.example", b"gmail.com", b"x"]))
            + b">"
        )

    lines = [
        field(b"From", address()),
        field(b"Subject"),
        field(b"Message-ID"),
        field(b"References"),
    ]
    lines += draw(
        st.lists(
            st.sampled_from([field(b"Reply-To", address()), field(b"To", address())]), max_size=3
        )
    )
    names = st.sampled_from(
        [b"X-Mailer", b"Cc", b"Date", b"In-Reply-To", b"Received", b"X-\xff", b"List-Id"]
    )
    lines += [field(name) for name in draw(st.lists(names, max_size=6))]
    body = PITCH + draw(HOSTILE).encode("utf-8")
    return b"".join(draw(st.permutations(lines))) + b"\r\n" + body


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=hostile_mail(), label=st.sampled_from(["retained", "sourcing", "sourcing"]))
def test_hostile_header_values_never_reach_a_draft_header(
    raw: bytes, label: str, context: pipeline.Context
) -> None:
    assert faults(measure(raw, context, label)) == []


CHARSETS = [b"utf-8", b"iso-8859-1", b"iso-2022-jp", b"x-no-such-42", b"", b'utf-8"; x="y']
ENCODING_NAMES = [b"7bit", b"8bit", b"base64", b"quoted-printable", b"x-garbage"]


@st.composite
def mime_shapes(draw: st.DrawFn) -> bytes:
    """Deep and wide trees of parts, with charsets that are missing, lying or unknown."""
    leaves = []
    for _ in range(draw(st.integers(1, 4))):
        subtype = draw(
            st.sampled_from([b"text/plain", b"text/html", b"application/pdf", b"image/png"])
        )
        charset = draw(st.sampled_from(CHARSETS))
        cte = draw(st.sampled_from(ENCODING_NAMES))
        body = draw(
            st.one_of(st.binary(max_size=300), HOSTILE.map(lambda text: text.encode("utf-8")))
        )
        params = b"; charset=" + charset if charset else b""
        leaves.append(
            b"Content-Type: "
            + subtype
            + params
            + b"\r\nContent-Transfer-Encoding: "
            + cte
            + b"\r\n\r\n"
            + body
        )
    width = draw(st.sampled_from([1, 2, 3, 10, 50, 400, 3000]))
    inner = b'Content-Type: multipart/mixed; boundary="w"\r\n\r\n'
    inner += (
        b"".join(b"--w\r\n" + leaves[i % len(leaves)] + b"\r\n" for i in range(width))
        + b"--w--\r\n"
    )
    for level in range(draw(st.sampled_from([0, 1, 2, 5, 60, 200, 1200]))):
        if draw(st.booleans()):
            inner = b"Content-Type: message/rfc822\r\n\r\nSubject: %d\r\n" % level + inner
        else:
            inner = (
                b'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n--n%d\r\n' % (level, level)
                + inner
                + b"\r\n--n%d--\r\n" % level
            )
    return HEAD + inner


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(raw=mime_shapes())
def test_any_mime_shape_is_triaged_or_refused_within_budget(
    raw: bytes, context: pipeline.Context
) -> None:
    assert faults(measure(raw, context)) == []
