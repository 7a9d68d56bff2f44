"""Mail -> Details: the facts of a recruiter approach, as written in the mail.

Pure code over a parsed `Mail`. Each field has one small function. They read, in order of trust:
the newest part of the message (above any quoted earlier message), then the quoted part (a
follow-up often carries the first approach below it), the signature block, the sender's display
name and domain, and the subject. A value is copied as written; a field the mail does not state
stays empty, because a draft must never state what the mail did not say.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from itertools import islice
from typing import Any

from triage.firms import FirmDirectory
from triage.mailparts import Parts, split_parts, tidy
from triage.message import Mail
from triage.patterns import (
    CLIENT_PROFILE,
    COMPENSATION,
    CONFIDENTIAL,
    HIRING_COMPANY,
    LOCATION,
    POSITION_CUES,
    REPORTING_TO,
    TITLE_WORDS,
)
from triage.places import find_place
from triage.sender import firm_name, phone, recruiter_name

__all__ = ["Details", "FirmDirectory", "Parts", "extract", "split_parts"]


@dataclass(frozen=True)
class Details:
    """The LABELS.md fields, empty when the mail does not say; `via` names a wrapping network."""

    firm: str = ""
    recruiter_name: str = ""
    position: str = ""
    hiring_company: str = ""
    confidential: bool = False
    location: str = ""
    compensation: str = ""
    reporting_to: str = ""
    phone: str = ""
    via: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def extract(mail: Mail, firms: FirmDirectory, label: str = "") -> Details:
    """Every field of one message, read in the light of its predicted label.

    For `in_house` mail the employer is the sender's own firm. A third party pitching a role
    without naming the employer (`retained`, `contingent`) is treated as confidential, as is any
    mail that speaks of a client by profile only.
    """
    in_house = label == "in_house"
    parts = split_parts(mail)
    recruiter = recruiter_name(mail, parts)
    firm = firm_name(mail, parts, firms, recruiter)
    confidential = is_confidential(parts)
    role = position(mail, parts)
    company = hiring_company(parts, firm if in_house else "", confidential, role)
    company = company if _plausible_company(company, firm, in_house) else ""
    unnamed = not company and not in_house
    third_party_pitch = label in {"retained", "contingent"} and bool(role)
    confidential = confidential or (unnamed and (third_party_pitch or client_by_profile(parts)))
    return Details(
        firm=firm,
        recruiter_name=recruiter,
        position=role,
        hiring_company=company,
        confidential=confidential and not company,
        location=location(parts, firm, role),
        compensation=first_match(COMPENSATION, _few_amounts(parts)),
        reporting_to=first_match(REPORTING_TO, parts),
        phone=phone(mail, parts),
        via=parts.via,
    )


_SUBJECT_LEAD = re.compile(
    r"^(?:(?:re|fwd?|aw|tr|wg|rv|enc)\s*:\s*)*(?:(?:new |exclusive |confidential |urgent |"
    r"contract |permanent |interim )?(?:opportunity|role|job|position|vacancy|vacature|poste de|"
    r"poste|stelle|oferta|vaga|mission|opening|search|búsqueda|proceso de selección|"
    r"oportunidade|opportunité|offre)\s*(?:de |d'|:|-|–)?\s*)?",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(
    r"^\s*(?:[*•–—-]|\d{1,2}[.)])\s+(?P<title>[^\n]{3,})$"
    r"|(?<=:\n\n)(?P<alone>[A-Z][^\n]{2,60})$",
    re.MULTILINE,
)


def position(mail: Mail, parts: Parts) -> str:
    """The role pitched to the reader: cue phrases, a list of roles, the subject, in that order.

    An abbreviated title ("Group CFO") is written out when the mail spells it out elsewhere.
    """
    return _spelled_out(_position(parts), parts.main or parts.new)


def _position(parts: Parts) -> str:
    for text in (parts.main or parts.new, parts.quoted):
        for cue in POSITION_CUES:
            match = cue.search(text)
            if match and TITLE_WORDS.search(match.group("title")):
                return tidy(match.group("title"))
    for item in _LIST_ITEM.finditer(parts.main or parts.new):
        line = item.group("title") or item.group("alone")
        head = re.split(r"\s+[-–—|(]\s*|\s+(?:for|with|at|chez|bei|para|voor|em)\s+|,\s", line)[0]
        if TITLE_WORDS.search(head) and len(head.split()) <= 8:
            return tidy(head)
    subject = _SUBJECT_LEAD.sub("", parts.subject)
    for piece in re.split(
        r"\s+[-–|:/]\s+|\s*[(]\s*|,\s+|\s+@\s+|\s+(?:at|bei|chez|en|em|bij)\s+", subject
    ):
        if TITLE_WORDS.search(piece) and len(piece.split()) <= 8:
            return tidy(
                re.sub(r"\s+(?:roles?|contracts?|positions?|jobs?|opportunit\w+)$", "", piece)
            )
    return ""


_ABBREVIATIONS = {
    "CFO": r"Chief Financial Officer",
    "CEO": r"Chief Executive(?: Officer)?",
    "COO": r"Chief Operating Officer",
    "CTO": r"Chief Technology Officer",
    "CIO": r"Chief Information Officer",
    "CMO": r"Chief Marketing Officer",
    "CRO": r"Chief (?:Revenue|Risk) Officer",
    "CHRO": r"Chief (?:Human Resources|People) Officer",
    "CPO": r"Chief (?:Product|People|Procurement) Officer",
    "CDO": r"Chief (?:Data|Digital) Officer",
    "CISO": r"Chief Information Security Officer",
    "GM": r"General Manager",
    "VP": r"Vice[- ]President",
    "NED": r"Non-Executive Director",
    "MD": r"Managing Director",
}
_QUALIFIERS = (
    r"(?:(?:Group|Global|Regional|Interim|Deputy|Executive|Senior|Independent|Divisional) )*"
)


def _spelled_out(title: str, text: str) -> str:
    for short, long in _ABBREVIATIONS.items():
        if re.search(rf"\b{short}\b", title):
            match = re.search(rf"\b{_QUALIFIERS}{long}\b", text)
            if match:
                return match.group(0)
    return title


_REMOTE = re.compile(
    r"\b(?:fully remote|100 ?% remote|remote[- ](?:first|friendly|only)|remote \([^)\n]{2,30}\)|"
    r"full[- ]remote|télétravail (?:complet|total)|100 ?% télétravail|vollständig remote|"
    r"100 ?% remoto|teletrabajo completo|totalmente remoto|volledig remote)",
    re.IGNORECASE,
)


_ROLE_CONTEXT = re.compile(
    r"\b(?:role|position|opportunit\w+|job|opening|vacanc\w+|post|search|mandate|based|located|"
    r"relocat\w+|site|plant|headquarter\w*|HQ|poste|mission|Stelle|Position|Standort|Sitz|puesto|"
    r"vacante|sede|vaga|cargo|functie|vacature|standplaats|client|company|business|group|"
    r"entreprise|Unternehmen|empresa|bedrijf|hiring|recruit\w*|looking for|seeking)\b",
    re.IGNORECASE,
)


def location(parts: Parts, firm: str = "", role: str = "") -> str:
    """A labelled or cued location, a place standing alone in the subject, a place in a sentence
    about the role (not the recruiter's own office), else a remote-work phrase."""
    stated = first_match(LOCATION, parts)
    if stated:
        return stated
    beside_role = _place_beside_role(parts, role, firm)
    if beside_role:
        return beside_role
    for segment in re.split(r"\s+[-–|]\s+|:\s+|\s*[(/)]\s*", parts.subject):
        place = find_place(segment.strip(), cue_needed=False, exclude=firm)
        if place and len(place) >= len(segment.strip()) - 4:
            return place
    for text in (parts.subject, parts.main or parts.new, parts.quoted):
        for sentence in re.split(r"(?<=[.!?])\s+|\n{2,}", text):
            about_role = (role and role in sentence) or _ROLE_CONTEXT.search(sentence)
            place = find_place(sentence, exclude=firm) if about_role else ""
            if place and not re.search(r"\b(?:our|my) (?:\w+ )?office", sentence, re.IGNORECASE):
                return place
    remote = _REMOTE.search(parts.main or parts.new)
    return remote.group(0) if remote else ""


def _place_beside_role(parts: Parts, role: str, firm: str) -> str:
    """The segment after the role that starts with a known place.

    In "Controller - food manufacturer, Elk Grove Village - $165K" that is "Elk Grove Village";
    "Nashville TN", "Perth CBD" and "Bristol/remote" are kept as written.
    """
    if not role:
        return ""
    for text in (parts.subject, parts.main or parts.new):
        line = next((line for line in text.splitlines() if role in line), "")
        after = line[line.find(role) + len(role) :] if line else ""
        for segment in re.split(r"\s+[-–|·]\s+|,\s+|\s+\(|\)", after):
            segment = segment.strip(" .")
            place = find_place(segment, cue_needed=False, exclude=firm) if segment else ""
            if (
                place
                and segment.startswith(place)
                and len(segment.split()) <= len(place.split()) + 2
            ):
                return segment
    return ""


def is_confidential(parts: Parts) -> bool:
    return bool(CONFIDENTIAL.search(parts.body) or CONFIDENTIAL.search(parts.subject))


def client_by_profile(parts: Parts) -> bool:
    """The mail speaks of a client but names it only by profile ("a PE-backed industrial group")."""
    return bool(
        CLIENT_PROFILE.search(parts.main or parts.new) or CLIENT_PROFILE.search(parts.quoted)
    )


_AFTER_TITLE = (
    r"(?:\s+(?:role|position|search|opportunity|mandate|opening|vacancy))?"
    r"\s*(?:[-–—|@]\s*|\s(?:at|for|with|del|de la|du|der|bei|chez|na|no|da|do|bij|within)\s+"
    r"(?:the\s+)?)"
    r"(?P<value>(?!(?:A|An|The|Our|We|I|This|Un|Une|Ein|Eine|Um|Uma|Een)\b)[A-ZÀ-Þ][\w&'’.+-]*"
    r"(?: (?:& )?[A-ZÀ-Þ][\w&'’.+-]*){0,4})"
)


def hiring_company(parts: Parts, own_firm: str, confidential: bool, role: str = "") -> str:
    """The named employer; the sender's own firm for in-house recruiters; empty when unnamed."""
    if own_firm:
        return own_firm
    match = first_match(HIRING_COMPANY, parts)
    if not match and role:
        pattern = re.compile(re.escape(role) + _AFTER_TITLE)
        for text in (parts.subject, parts.main or parts.new):
            found = pattern.search(text)
            if found and not find_place(found.group("value"), cue_needed=False):
                match = tidy(found.group("value"))
                break
    if not match or (
        confidential and re.match(r"(?i)(?:a|an|un|une|ein|eine|um|uma|een)\b", match)
    ):
        return ""
    return match


_NOT_COMPANIES = frozenset(
    {
        "european",
        "american",
        "swiss",
        "canadian",
        "british",
        "german",
        "french",
        "spanish",
        "dutch",
        "portuguese",
        "brazilian",
        "nordic",
        "asian",
        "australian",
        "global",
        "international",
        "national",
        "regional",
        "leading",
        "major",
        "fortune",
        "ftse",
        "tier",
        "grupo",
        "group",
        "b2b",
        "b2c",
        "saas",
        "api",
        "fintech",
        "listed",
        "private",
        "public",
        "family",
    }
)


_FUNCTION_WORDS = frozenset(
    {
        "operations",
        "committee",
        "practice",
        "division",
        "department",
        "team",
        "finance",
        "marketing",
        "sales",
        "engineering",
        "technology",
        "strategy",
        "affairs",
        "resources",
        "asia",
        "europe",
        "africa",
        "america",
        "americas",
        "emea",
        "apac",
        "pacific",
        "nordics",
        "benelux",
        "dach",
        "latam",
        "health",
        "audio",
        "board",
        "trustees",
        "council",
    }
)


def _plausible_company(value: str, firm: str, in_house: bool) -> bool:
    """Reject profile words, business functions and places caught where a company should be."""
    if not value or in_house:
        return bool(value)
    lowered, own = value.lower(), firm.lower()
    if (own and (own in lowered or lowered in own)) or value[0].islower():
        return False
    if TITLE_WORDS.search(value) or value.split()[-1].lower() in _FUNCTION_WORDS:
        return False
    words = value.split()
    first = words[0].lower().strip(".,")
    if first in _NOT_COMPANIES or re.search(r"-(?:backed|listed|based|owned|funded)$", first):
        return False
    if len(words) == 1 and (re.search(r"\d", value) or (value.isupper() and len(value) <= 4)):
        return False
    return not (find_place(value, cue_needed=False) or "").startswith(value)


# The pay patterns try dozens of readings of every amount (a line of "1,0 k€ a " costs 6 ms an
# amount), so pay is looked for only before the PAY_AMOUNTS-th currency sign of each text.
PAY_AMOUNTS = 16
_CURRENCY = re.compile(
    r"[$€£¥₹]|\b(?:USD|EUR|GBP|CHF|CAD|AUD|SGD|NZD|INR|SEK|DKK|NOK|AED|euros?)\b", re.I
)


def _few_amounts(parts: Parts) -> Parts:
    def cut(text: str) -> str:
        signs = list(islice(_CURRENCY.finditer(text), PAY_AMOUNTS))
        return text[: signs[-1].start()] if len(signs) == PAY_AMOUNTS else text

    return replace(parts, new=cut(parts.new), quoted=cut(parts.quoted), subject=cut(parts.subject))


def first_match(patterns: tuple[re.Pattern[str], ...], parts: Parts) -> str:
    """The `value` group of the first pattern matching the newest text, then the quoted text."""
    for text in (parts.new, parts.quoted, parts.subject):
        for pattern in patterns:
            match = pattern.search(text)
            if match and match.group("value").strip():
                return tidy(match.group("value"))
    return ""
