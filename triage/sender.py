"""Who wrote a recruiter mail and how to reach them: the recruiter's name, firm and phone.

Pure code over a parsed `Mail` and its `Parts`. The name comes from the display name or the
signature; the firm from the directory, the sender's domain, a headline ("Partner at X"), an
introduction ("I'm a consultant at X") or the signature, in that order of trust.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from triage.firms import Firm, FirmDirectory
from triage.mailparts import MAX_FIELD, Parts, registered_domain, tidy
from triage.message import FREEMAIL_DOMAINS, Mail
from triage.patterns import NOT_A_PERSON, TITLE_WORDS

_REGION_BY_TLD = {
    "uk": "GB",
    "fr": "FR",
    "de": "DE",
    "nl": "NL",
    "es": "ES",
    "pt": "PT",
    "br": "BR",
    "ch": "CH",
    "ca": "CA",
    "au": "AU",
    "sg": "SG",
    "in": "IN",
    "be": "BE",
    "at": "AT",
    "it": "IT",
    "ie": "IE",
    "mx": "MX",
    "ar": "AR",
    "se": "SE",
    "dk": "DK",
    "no": "NO",
}
# Applicant-tracking and mailing services that send on a company's behalf: their domain says
# nothing about the firm (the Reply-To usually does).
SERVICE_DOMAINS = frozenset(
    {
        "lever.co",
        "greenhouse.io",
        "myworkday.com",
        "workday.com",
        "smartrecruiters.com",
        "ashbyhq.com",
        "personio.de",
        "personio.com",
        "icims.com",
        "taleo.net",
        "jobvite.com",
        "successfactors.com",
        "bamboohr.com",
        "recruitee.com",
        "teamtailor.com",
        "workable.com",
        "breezy.hr",
        "sendgrid.net",
        "mailchimp.com",
        "mcsv.net",
        "hubspot.com",
        "gem.com",
        "beamery.com",
        "avature.net",
        "eightfold.ai",
        "phenompeople.com",
    }
)


def _looks_like_person(name: str) -> bool:
    words = name.replace(",", " ").split()
    if not 2 <= len(words) <= 5 or NOT_A_PERSON.search(name):
        return False
    return all(
        word[0].isupper()
        or word.lower() in {"de", "van", "von", "da", "der", "del", "la", "le", "dos", "du"}
        for word in words
    )


def _display_name(raw: str) -> str:
    name = raw.strip().strip("\"'")
    name = re.split(r"\s+(?:via|über|par|vía|através de|from|at|\||-|–|@)\s+", name)[0].strip()
    if "," in name and len(name.split(",")) == 2:
        last, first = (piece.strip() for piece in name.split(","))
        if first and last and " " not in last:
            name = f"{first} {last}"
    return name


_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good|bonjour|salut|hallo|liebe|lieber|sehr|hola|estimad|olá|ola|"
    r"caro|cara|prezad|beste|geachte|goedemorgen|hoi|morning|you have|sie haben)\b",
    re.IGNORECASE,
)


_LOWERCASE_NAME = re.compile(r"^[a-z]{2,}(?: [a-z]\.?)?(?: [a-z]{2,}){1,2}$")


def recruiter_name(mail: Mail, parts: Parts) -> str:
    """The sender's display name when it is a person's, else the first line of the signature."""
    shown = _display_name(mail.sender_name)
    addresses = (mail.sender_address, mail.reply_to)
    domains = {registered_domain(a.rpartition("@")[2]).split(".")[0] for a in addresses if a}
    if any(_letters(shown) and _letters(shown) in _letters(d) for d in domains):
        shown = ""  # "Ridgeline Energy <no-reply@ridgelineenergy.com>" is the company, not a person
    if _looks_like_person(shown):
        return shown
    for number, line in enumerate(parts.signature.splitlines()[:8]):
        candidate = re.split(r"\s*[|,–-]\s+|\s{2,}", line)[0].strip()
        if _looks_like_person(candidate) and not TITLE_WORDS.search(candidate):
            return candidate
        if number == 0 and _LOWERCASE_NAME.match(candidate):
            return candidate  # "best regards,\ntodd j. goehring": typed in lower case
    for match in re.finditer(
        r"^([A-ZÀ-Þ][\w'’.-]+(?: [A-ZÀ-Þ][\w'’.-]+){1,3})\s*$", parts.new[:600], re.M
    ):
        if _looks_like_person(match.group(1)) and not _GREETING.match(match.group(1)):
            return match.group(1)
    return ""


_HEADLINE = re.compile(
    r"(?:^|\(|,\s)[^\n()]{0,50}?\b(?i:recruit\w*|talent|consultant\w*|partner\w*|principal|"
    r"associate|researcher|sourcer|director|manager\w*|head|lead|advisor|specialist|recruteur|"
    r"recruteuse|chargée? de recrutement|consultora?|consultante?|reclutador\w*|recrutador\w*|"
    r"personalberater\w*|berater\w*|recruiterin)"
    r"[^\n(),]{0,40}?(?:(?<=\w),(?=[^()]*\))|\s(?i:at|@|bei|chez|en|na|no|bij|with|der|des))\s+"
    r"(?P<value>[A-ZÀ-Þ0-9][^\n()|,]{1,60}?)\s*(?:\)|$|\||,)",
    re.MULTILINE,
)
_INTRO = re.compile(
    r"\b(?i:I am|I'm|I work|my name is [^.\n]{2,30}? and I|je suis|ich bin|soy|sou|ik ben|sono)\b"
    r"[^.\n]{0,70}?\b(?:at|with|for|of|in|chez|bei|von|der|en|na|no|bij|da|do)\s+(?P<value>"
    r"[A-ZÀ-Þ][\w&'’.+-]*(?:\s(?:&\s)?[A-ZÀ-Þ&][\w&'’.+-]*){0,4})",
)
_ROLE_WORDS = re.compile(
    r"\b(?:recruit\w*|talent|acquisition|consultant\w*|advisor|associate|sourcer|researcher|"
    r"recruteu\w*|recrutement|recrutamento|reclutamiento|consultora?|partnerin|assistant|"
    r"chargée?|personalberater\w*|werving|coordinator|manager|principal)\b",
    re.IGNORECASE,
)


def firm_name(mail: Mail, parts: Parts, firms: FirmDirectory, recruiter: str) -> str:
    """The recruiter's firm: directory, domain, headline, introduction, signature, in that order."""
    top = parts.new[:800]
    domain = mail.sender_domain
    if registered_domain(domain) in SERVICE_DOMAINS and mail.reply_to:
        domain = mail.reply_to.rpartition("@")[2]
    own_domain = not parts.via and domain not in FREEMAIL_DOMAINS
    own_domain = own_domain and registered_domain(domain) not in SERVICE_DOMAINS
    known = firms.by_domain(domain) if own_domain else None
    known = (
        known
        or firms.named_in(parts.signature)
        or firms.named_in(top)
        or firms.named_in(parts.subject)
    )
    if known is not None:
        return _as_written(known, parts.body + "\n" + parts.subject)
    if own_domain:
        derived = _company_from_domain(domain, parts.subject + "\n" + parts.body)
        if derived:
            return derived
    short_lines = [line for line in (parts.signature + "\n" + top).splitlines() if len(line) < 100]
    for line in short_lines:
        headline = _HEADLINE.search(line)
        if headline and not TITLE_WORDS.search(headline.group("value")):
            return tidy(headline.group("value"))
    intro = _INTRO.search(parts.body)
    if intro and not _ROLE_WORDS.search(intro.group("value")):
        return tidy(intro.group("value"))
    for line in parts.signature.splitlines():
        line = line.strip(" |·•-–")
        if line and line != recruiter and _looks_like_company(line):
            return _company_part(line)[:MAX_FIELD]
    return ""


def _as_written(firm: Firm, text: str) -> str:
    for name in (firm.name, *firm.aliases):
        match = re.search(re.escape(name), text, re.IGNORECASE)
        if match:
            return match.group(0)
    return firm.name


_COMPANY_WORDS = re.compile(
    r"\b(?:Partners|Search|Consult\w*|Associates|Group|GmbH|AG|Ltd|Limited|Inc|LLC|LLP|S\.?A\.?S?|"
    r"B\.?V\.?|Recruit\w*|Talent|Executive|Staffing|Conseil|Personal\w*|Selec\w+|Holdings?|"
    r"Labs?|Health|Bank|Capital|Technologies|Solutions|International|Advisors|Advisory)\b"
)


def _looks_like_company(line: str) -> bool:
    if _ROLE_WORDS.search(line) and not re.search(r"[|,–]", line):
        return False
    return (
        bool(_COMPANY_WORDS.search(line))
        and len(line) < 80
        and not re.search(r"@|www\.|\d{3}", line)
    )


def _company_part(line: str) -> str:
    pieces = [p.strip() for p in re.split(r"\s+[|·•]\s+|,\s+|\s+[-–]\s+", line) if p.strip()]
    for piece in pieces:
        if (
            _COMPANY_WORDS.search(piece)
            and not TITLE_WORDS.search(piece)
            and not _ROLE_WORDS.search(piece)
        ):
            return piece
    return pieces[-1] if pieces else line


def _company_from_domain(domain: str, text: str) -> str:
    """`quarrylabs.com` -> "Quarry Labs" when the text writes the name that way."""
    label = _letters(registered_domain(domain).split(".")[0])
    if len(label) < 3:
        return ""
    for match in re.finditer(r"\b[A-ZÀ-Þ][\w&'’-]*(?: +(?:& +)?[A-ZÀ-Þ][\w&'’-]*){0,3}", text):
        words = match.group(0).split()
        for size in range(len(words), 0, -1):
            if _letters(" ".join(words[:size])) == label:
                tail = [w for w in words[size : size + 2] if _COMPANY_WORDS.fullmatch(w)]
                return " ".join(words[:size] + tail)
    return ""


def _letters(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Intérim-Finance" -> "interimfinance"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode())


def phone(mail: Mail, parts: Parts) -> str:
    """The first phone number in the signature, else in the newest text (as written)."""
    regions = _phone_regions(mail.sender_domain)
    for text in (parts.signature, parts.new, parts.quoted):
        found = _first_phone(text, regions)
        if found:
            return found
    return ""


def _phone_regions(domain: str) -> list[str]:
    tld_region = _REGION_BY_TLD.get(domain.rpartition(".")[2])
    return [region for region in (tld_region, "US", "GB", "FR", "DE") if region]


def _first_phone(text: str, regions: list[str]) -> str:
    best: tuple[int, str] | None = None
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.POSSIBLE
        ):
            digits = re.sub(r"\D", "", match.raw_string)
            plausible = len(digits) >= 9 or match.raw_string.startswith(("+", "("))
            if plausible and not _looks_like_money_or_date(text, match.start, match.end):
                if best is None or match.start < best[0]:
                    best = (match.start, match.raw_string)
                break
    return best[1] if best else ""


def _looks_like_money_or_date(text: str, start: int, end: int) -> bool:
    before, after = text[max(0, start - 3) : start], text[end : end + 3]
    return bool(re.search(r"[$€£¥]|\b(?:k|K|EUR|USD|GBP)\b", before + after))
