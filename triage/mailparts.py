"""The readable pieces of a message that extraction looks at: newest text, quote, signature.

Pure code over a parsed `Mail`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.message import Mail
from triage.patterns import QUOTE_START, SIGN_OFF

NETWORK_DOMAINS = {
    "linkedin.com": "LinkedIn",
    "xing.com": "XING",
    "welcometothejungle.com": "Welcome to the Jungle",
    "indeed.com": "Indeed",
    "glassdoor.com": "Glassdoor",
}
MAX_FIELD = 160
# Extraction reads this much of the text: a recruiter states the facts near the top, and the
# field patterns cost time in proportion to what they read.
MAX_READ = 8_000
# Runs on which the field patterns backtrack quadratically: whitespace-only lines (under `^\s*`),
# digits and separators (under `\d[\d., ]*`) and endless "words". No fact is written that way,
# so each run is cut short before any pattern reads it.
_BLANK_RUN = re.compile(r"\n(?:[^\S\n]*\n)+")
_LONG_RUN = re.compile(r"((?:[\d.,]|[^\S\n]){32})(?:[\d.,]|[^\S\n])+|(\S{64})\S+")


@dataclass(frozen=True)
class Parts:
    """The readable pieces of a message that the field functions look at."""

    subject: str
    new: str
    quoted: str
    signature: str
    via: str
    main: str = ""

    @property
    def body(self) -> str:
        return self.new + "\n" + self.quoted


def split_parts(mail: Mail) -> Parts:
    """Newest text, quoted earlier text, and the signature block of the newest text."""
    text = _BLANK_RUN.sub("\n\n", mail.text[:MAX_READ].replace("\r\n", "\n"))
    text = _LONG_RUN.sub(lambda run: run.group(1) or run.group(2), text)
    via = network_of(mail)
    start = QUOTE_START.search(text)
    new, quoted = (text[: start.start()], text[start.start() :]) if start else (text, "")
    if not new.strip() and quoted:
        new, quoted = quoted, ""
    quoted = "\n".join(line.lstrip("> ").rstrip() for line in quoted.splitlines())
    main, sign = split_signature(new)
    return Parts(mail.subject, new, quoted, sign, via, main)


def network_of(mail: Mail) -> str:
    """The networking site ("LinkedIn") whose notification wraps the message, or ""."""
    return NETWORK_DOMAINS.get(registered_domain(mail.sender_domain), "")


def split_signature(text: str) -> tuple[str, str]:
    """The text above the last sign-off ("Best regards," ...) and the lines after it.

    Without a sign-off near the end, the last eight lines serve as the signature.
    """
    lines = [line.strip() for line in text.strip().splitlines()]
    for index in range(len(lines) - 1, -1, -1):
        if SIGN_OFF.match(lines[index]) and index >= len(lines) - 16:
            return "\n".join(lines[:index]), "\n".join(line for line in lines[index + 1 :] if line)
    kept = [line for line in lines if line]
    return "\n".join(lines), "\n".join(kept[-8:])


def registered_domain(domain: str) -> str:
    pieces = domain.split(".")
    keep = 3 if len(pieces) > 2 and pieces[-2] in {"co", "com", "org", "ac", "gov"} else 2
    return ".".join(pieces[-keep:])


# A full stop followed by a word that starts sentences ends the value ("Dublin. We" -> "Dublin");
# one followed by anything else is an abbreviation ("Kaufm. Vorstand") and stays.
_NEXT_SENTENCE = re.compile(
    r"(?<=[a-z\d])\. (?=(?:We|I|The|Our|This|It|He|She|They|You|Please|If|As|In|Wir|Ich|Die|Der|"
    r"Das|Sie|Nous|Je|Le|La|Il|Elle|Vous|El|Los|Somos|Ik|Wij|Het|Eu|Nós|O|A)\b)"
)


def tidy(value: str) -> str:
    value = _NEXT_SENTENCE.split(value)[0]
    value = re.sub(r"\s+", " ", value).strip(" .,;:-–\"'“”«»*")
    if value.endswith(")") and value.count(")") > value.count("("):
        value = value[:-1].rstrip()
    if value.startswith("(") and value.count("(") > value.count(")"):
        value = value[1:].lstrip()
    return value[:MAX_FIELD]
