"""Raw bytes -> an immutable `Mail`, and the text the classifier sees.

This module is pure: it never reads files or sockets. mail-parser is used here and nowhere else.
Everything taken from a message is untrusted: header values are decoded, stripped of control
characters and capped in length, and bodies are capped in size, so that a hostile message can
neither blow up memory nor smuggle a line break into a header triage writes later.
"""

from __future__ import annotations

import email
import email.header
import email.message
import email.utils
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.policy import Policy, compat32
from typing import Any

import html_text
import mailparser

MAX_HEADER_CHARS = 998
MAX_HTML_CHARS = 500_000
MAX_TEXT_CHARS = 200_000
MODEL_BODY_CHARS = 2_000
# Reading costs grow with bytes, parts and header size, some faster than linearly (1 MB of
# Content-Type took 30 s, 2 MB of tiny parts 5 s), so only the first MAX_PARSED_BYTES are read
# (text precedes attachments) and mail with more parts or header than real mail is refused.
MAX_PARSED_BYTES = 4 * 2**20
MAX_PARTS = 1_000
MAX_FIELD_CHARS = 8_000
MAX_HEADER_TOTAL = 256_000
FIELD_COST = 64
MAX_MESSAGE_ID = 250

_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
# C0 and C1 controls, the Unicode line and paragraph separators (anything taken for a line break
# must not survive into a header value) and the surrogates that stand for undecodable bytes.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")
_URL = re.compile(r"https?://([^/\s\"'<>]+)[^\s\"'<>]*", re.IGNORECASE)
_KEPT_HEADERS = (
    "list-unsubscribe",
    "list-id",
    "precedence",
    "auto-submitted",
    "x-autoreply",
    "x-auto-response-suppress",
    "x-mailer",
    "user-agent",
)

FREEMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "t-online.de",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "terra.com.br",
        "uol.com.br",
        "bol.com.br",
        "sapo.pt",
        "telefonica.net",
        "mail.com",
        "zoho.com",
        "yandex.com",
        "qq.com",
        "163.com",
    }
)


class MailParseError(ValueError):
    """The bytes could not be read as a mail message at all."""


class _Budget:
    """What is left for reading one message: parts to make and header characters to keep."""

    def __init__(self) -> None:
        self.parts = MAX_PARTS + 1  # the parser makes one trial part before it starts
        self.header_chars = MAX_HEADER_TOTAL

    def new_part(self, policy: Policy[Any] = compat32) -> email.message.Message:
        self.parts -= 1
        if self.parts < 0:
            raise MailParseError(f"the message has more than {MAX_PARTS} MIME parts")
        return _Part(self, policy)


class _Part(email.message.Message):
    """A part whose header fields are cut to MAX_FIELD_CHARS and charged (plus FIELD_COST each)."""

    def __init__(self, budget: _Budget, policy: Policy[Any]) -> None:
        super().__init__(policy)
        self.budget = budget

    def set_raw(self, name: str, value: str) -> None:
        value = value[:MAX_FIELD_CHARS]
        self.budget.header_chars -= len(name) + len(value) + FIELD_COST
        if self.budget.header_chars < 0:
            raise MailParseError(f"the header is over {MAX_HEADER_TOTAL // 1000} kB")
        super().set_raw(name, value)


def _read(raw: bytes) -> email.message.Message:
    """The standard library's reading of the message's first MAX_PARSED_BYTES, within budget."""
    try:
        return email.message_from_bytes(raw[:MAX_PARSED_BYTES], _class=_Budget().new_part)
    except MailParseError:
        raise
    except Exception as error:  # RecursionError from deep nesting, or anything odder
        raise MailParseError(f"the message could not be read: {error!r}"[:300]) from error


@dataclass(frozen=True)
class Attachment:
    """A named part of a message that is not its readable text."""

    filename: str
    content_type: str


@dataclass(frozen=True)
class Mail:
    """One parsed message: the decoded, sanitised facts triage works from."""

    message_id: str
    subject: str
    sender_name: str
    sender_address: str
    reply_to: str
    to: tuple[str, ...]
    date: datetime | None
    in_reply_to: str
    references: tuple[str, ...]
    text: str
    text_from_html: bool
    attachments: tuple[Attachment, ...]
    headers: tuple[tuple[str, str], ...]

    @property
    def sender_domain(self) -> str:
        return self.sender_address.rpartition("@")[2].lower()

    def header(self, name: str) -> str:
        """The first kept header called `name` (case-insensitive), or ""."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), "")


def clean_header(value: object, limit: int = MAX_HEADER_CHARS) -> str:
    """A header value as one safe line: control characters (CR, LF, NUL...) become spaces."""
    text = _CONTROL.sub(" ", str(value or "")).strip()
    return text[:limit]


def parse(raw: bytes) -> Mail:
    """Parse one RFC 5322 message. Raises MailParseError when nothing usable can be read.

    mail-parser does the work on the standard library's bounded reading (`_read`); on the rare
    malformed structure that trips mail-parser itself (a boundary reused by a nested part, for
    example) that reading is used directly, so the message is still triaged rather than lost.
    """
    message = _read(raw)
    try:
        parsed = mailparser.MailParser(message)
        plain, html = parsed.text_plain, parsed.text_html
        senders, reply_to, to = parsed.from_, parsed.reply_to, parsed.to
        subject, attachments = parsed.subject, parsed.attachments
    except Exception:  # mail-parser raises anything from its own types to AttributeError
        plain, html, attachments = _stdlib_parts(message)
        senders, reply_to, to = (_stdlib_addresses(message, h) for h in ("From", "Reply-To", "To"))
        subject = _decoded(message.get("Subject", ""))
    if not (message.keys() or plain or html):
        raise MailParseError("the data has no headers and no body")
    sender_name, sender_address = _first_address(senders)
    text, from_html = _readable_text(plain, html)
    return Mail(
        message_id=_message_id(message.get("Message-ID", "")),
        subject=clean_header(subject),
        sender_name=clean_header(sender_name),
        sender_address=clean_header(sender_address).lower(),
        reply_to=clean_header(_first_address(reply_to)[1]).lower(),
        to=tuple(clean_header(address).lower() for _, address in _addresses(to)),
        date=_date(message.get("Date")),
        in_reply_to=clean_header(message.get("In-Reply-To", "")),
        references=tuple(
            filter(None, map(_message_id, str(message.get("References", "")).split()))
        ),
        text=text,
        text_from_html=from_html,
        attachments=tuple(_attachments(attachments)),
        headers=tuple(
            (name, clean_header(message.get(name))) for name in _KEPT_HEADERS if message.get(name)
        ),
    )


def _message_id(value: object) -> str:
    """The id if a draft header can name it verbatim, else "": non-ASCII, an encoded word or a
    folded line would come back changed, and the search for an existing draft would miss it."""
    text = clean_header(value)
    plain = text.isascii() and "=?" not in text and len(text) <= MAX_MESSAGE_ID
    return text if plain else ""


def _decoded(value: object) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(str(value))))
    except Exception:  # an undecodable encoded-word: keep the raw text
        return str(value)


def _stdlib_addresses(message: email.message.Message, name: str) -> list[tuple[str, str]]:
    values = [str(value) for value in message.get_all(name, [])]
    return [(_decoded(real), address) for real, address in email.utils.getaddresses(values)]


def _decode_bytes(payload: bytes, charset: str) -> str:
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know: UTF-8 is the best guess
        return payload.decode("utf-8", errors="replace")


def _stdlib_parts(
    message: email.message.Message,
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[dict[str, Any]] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_filename():
            attachments.append(
                {"filename": part.get_filename(), "mail_content_type": part.get_content_type()}
            )
        elif part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                text = _decode_bytes(payload, part.get_content_charset() or "utf-8")
                (html if part.get_content_subtype() == "html" else plain).append(text)
    return plain, html, attachments


def _addresses(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    return [(str(pair[0]), str(pair[1])) for pair in value if isinstance(pair, tuple | list)]


def _first_address(value: Any) -> tuple[str, str]:
    pairs = _addresses(value)
    return pairs[0] if pairs else ("", "")


def _date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(clean_header(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _readable_text(plain: list[str], html: list[str]) -> tuple[str, bool]:
    """The text/plain parts, or the HTML parts rendered as text when there is no plain text."""
    text = "\n\n".join(part for part in plain if part.strip())
    if text.strip():
        return text[:MAX_TEXT_CHARS], False
    markup = "\n".join(html)[:MAX_HTML_CHARS]
    if not markup.strip():
        return "", False
    try:
        rendered = html_text.extract_text(markup, guess_layout=True)
    except Exception:  # lxml can refuse pathological markup; the message is then textless
        rendered = ""
    return _BLANK_LINES.sub("\n\n", rendered)[:MAX_TEXT_CHARS], True


def _attachments(parts: list[dict[str, Any]]) -> list[Attachment]:
    return [
        Attachment(
            filename=clean_header(part.get("filename"), 255),
            content_type=clean_header(part.get("mail_content_type"), 100).lower(),
        )
        for part in parts
    ]


# Named mail features. Each returns words the model sees beside the text, so the classifier can
# learn from facts a bag of words misses (bulk headers, no-reply senders, free-mail domains).


def bulk_mail(mail: Mail) -> list[str]:
    precedence = mail.header("precedence").lower()
    bulk = (
        mail.header("list-unsubscribe")
        or mail.header("list-id")
        or precedence
        in {
            "bulk",
            "list",
            "junk",
        }
    )
    return ["xxbulkmail"] if bulk else []


def automatic_reply(mail: Mail) -> list[str]:
    submitted = mail.header("auto-submitted").lower()
    automatic = (submitted and submitted != "no") or mail.header("x-autoreply")
    return ["xxautoreply"] if automatic else []


def noreply_sender(mail: Mail) -> list[str]:
    local = mail.sender_address.partition("@")[0]
    pattern = r"no-?reply|do-?not-?reply|notification|mailer-daemon|postmaster|alerts?"
    return ["xxnoreplysender"] if re.search(pattern, local) else []


def freemail_sender(mail: Mail) -> list[str]:
    return ["xxfreemailsender"] if mail.sender_domain in FREEMAIL_DOMAINS else []


def reply_in_thread(mail: Mail) -> list[str]:
    return ["xxinthread"] if mail.in_reply_to or mail.references else []


def reply_to_elsewhere(mail: Mail) -> list[str]:
    return ["xxreplytoelsewhere"] if mail.reply_to and mail.reply_to != mail.sender_address else []


def attachment_kinds(mail: Mail) -> list[str]:
    kinds = {a.filename.rpartition(".")[2].lower() for a in mail.attachments if "." in a.filename}
    return [f"xxattach{kind}" for kind in sorted(kinds) if kind.isalnum()][:5]


def many_recipients(mail: Mail) -> list[str]:
    return ["xxmanyrecipients"] if len(mail.to) > 5 else []


MAIL_FEATURES: tuple[Callable[[Mail], list[str]], ...] = (
    bulk_mail,
    automatic_reply,
    noreply_sender,
    freemail_sender,
    reply_in_thread,
    reply_to_elsewhere,
    attachment_kinds,
    many_recipients,
)


def model_text(mail: Mail) -> str:
    """The one string the classifier reads: sender, subject, named features and the body's start.

    Links become `xxurl` plus their host, so that long tracking URLs do not flood the character
    n-grams while the host (a job board, a networking site) still counts.
    """
    features = [word for feature in MAIL_FEATURES for word in feature(mail)]
    body = _URL.sub(lambda match: f" xxurl {match.group(1)} ", mail.text[: MODEL_BODY_CHARS * 2])
    return "\n".join(
        [
            f"from {mail.sender_name} {mail.sender_domain}",
            f"subject {mail.subject}",
            " ".join(features),
            body[:MODEL_BODY_CHARS],
        ]
    )
