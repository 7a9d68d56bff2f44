"""Is the sender what it claims? Flags a person can read, each with a one-line reason.

Pure code over a parsed `Mail`, its `Details`, the predicted label and the firm directory. A scam
flag means the reply step must draft nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from triage.extract import Details
from triage.firms import Firm, FirmDirectory
from triage.message import FREEMAIL_DOMAINS, Mail

RECRUITER_LABELS = frozenset({"retained", "contingent", "in_house", "sourcing"})

_SCAM = re.compile(
    r"\b(?:(?:training|registration|processing|application|onboarding|placement|visa|equipment|"
    r"admin(?:istration)?|background[- ]check|certification) fee|pay (?:a|the|an) (?:small |"
    r"refundable |one-time )?(?:fee|deposit)|upfront (?:fee|payment)|bank (?:account )?details|"
    r"(?:your )?(?:IBAN|routing number|account number|sort code)|wire transfer|western union|"
    r"moneygram|gift cards?|bitcoin|crypto(?:currency)? wallet|deposit (?:the|a) (?:check|cheque)|"
    r"(?:check|cheque) (?:to|for) (?:buy|purchase)|(?:interview|chat|contact|message) (?:me |us )?"
    r"(?:on|via|through) (?:telegram|whatsapp|signal|wickr|google hangouts|skype chat)|"
    r"(?:telegram|whatsapp) (?:for|to) (?:the |your )?interview|"
    r"add (?:me|us) on (?:telegram|whatsapp)|"
    r"frais (?:d'inscription|de formation|de dossier)|Bearbeitungsgebühr|Schulungsgebühr|"
    r"tasa de (?:inscripción|formación)|taxa de (?:inscrição|treinamento|cadastro)|"
    r"inschrijfkosten)\b",
    re.IGNORECASE,
)
_JOB_DESCRIPTION = re.compile(
    r"job description|position (?:description|specification|spec)|role (?:profile|spec)|"
    r"candidate (?:brief|pack)|\bJD\b|fiche de poste|Stellenbeschreibung|Positionsbeschreibung|"
    r"descripción del puesto|functieomschrijving|descrição da vaga",
    re.IGNORECASE,
)
_NO_REPLY = re.compile(r"no-?reply|do-?not-?reply|notifications?|mailer-daemon|alerts?|mailrobot")
# One addr-spec and nothing else: no list, group, comment, route, quoted part or encoded word
# that the draft's To header would read as a second recipient or decode into a line break.
_PLAIN_ADDRESS = re.compile(r"[^\s\"(),:;<>@\[\\\]]+@[^\s\"(),:;<>@\[\\\]]+")


@dataclass(frozen=True)
class Flag:
    code: str
    reason: str


@dataclass(frozen=True)
class Standing:
    firm: Firm | None
    flags: tuple[Flag, ...]

    @property
    def scam(self) -> bool:
        return any(flag.code == "scam_signs" for flag in self.flags)

    @property
    def unreachable(self) -> bool:
        return any(flag.code == "no_reply_sender" for flag in self.flags)

    def as_json(self) -> dict[str, Any]:
        return {
            "firm": self.firm.as_json() if self.firm else None,
            "flags": [{"code": flag.code, "reason": flag.reason} for flag in self.flags],
        }


def assess(mail: Mail, details: Details, label: str, firms: FirmDirectory) -> Standing:
    """The directory entry of the sender's firm (or none) and every flag that applies."""
    firm = _directory_firm(mail, details, firms)
    checks = (
        scam_signs(mail),
        no_reply_sender(mail, details),
        reply_to_differs(mail),
    )
    recruiter_checks = (
        unknown_firm(firm, details),
        domain_mismatch(mail, firm, details),
        confidential_without_description(mail, details),
        kind_mismatch(firm, label),
    )
    found = [flag for flag in checks if flag]
    if label in RECRUITER_LABELS:
        found += [flag for flag in recruiter_checks if flag]
    if label == "in_house":  # the directory lists recruiting firms, not every employer
        found = [flag for flag in found if flag.code != "unknown_firm"]
    return Standing(firm=firm, flags=tuple(found))


def _directory_firm(mail: Mail, details: Details, firms: FirmDirectory) -> Firm | None:
    if not details.via:
        by_domain = firms.by_domain(mail.sender_domain)
        if by_domain:
            return by_domain
    return firms.named_in(details.firm) if details.firm else firms.named_in(mail.sender_name)


def scam_signs(mail: Mail) -> Flag | None:
    match = _SCAM.search(mail.subject + "\n" + mail.text)
    if not match:
        return None
    return Flag(
        "scam_signs",
        f'Asks for money, bank details or a move to a chat app ("{match.group(0)}"): '
        "typical of recruitment scams, so triage drafts nothing.",
    )


def reply_address(mail: Mail) -> str:
    """Where a reply goes (Reply-To, else From); "" unless that is one plain address."""
    address = mail.reply_to or mail.sender_address
    return address if _PLAIN_ADDRESS.fullmatch(address) and "=?" not in address else ""


def no_reply_sender(mail: Mail, details: Details) -> Flag | None:
    """A no-reply or notification sender, or no plain address at all: a reply by mail would go
    nowhere (no draft).

    A networking site's reply-by-mail address (LinkedIn's inmail-hit-reply, say) does reach the
    recruiter through the site: that gets the softer `via_network` flag and a draft.
    """
    if not reply_address(mail):
        return Flag(
            "no_reply_sender",
            "Neither Reply-To nor From holds one plain address: a reply by mail would go nowhere.",
        )
    local = mail.sender_address.partition("@")[0]
    no_reply = bool(_NO_REPLY.search(local)) and not mail.reply_to
    if details.via and not no_reply:
        return Flag(
            "via_network",
            f"A {details.via} message: a reply by mail goes through {details.via} and may not "
            f"reach the recruiter; answering on {details.via} is surer.",
        )
    if details.via:
        return Flag(
            "no_reply_sender",
            f"A {details.via} notification from a no-reply address: a reply by mail would go "
            f"nowhere; answer on {details.via}.",
        )
    if no_reply:
        return Flag(
            "no_reply_sender",
            f"Sent from a no-reply address ({mail.sender_address}): "
            "a reply by mail would go nowhere.",
        )
    return None


def reply_to_differs(mail: Mail) -> Flag | None:
    if not mail.reply_to or mail.reply_to == mail.sender_address:
        return None
    return Flag(
        "reply_to_differs",
        f"Reply-To ({mail.reply_to}) differs from From ({mail.sender_address}): "
        "check where a reply would go.",
    )


def unknown_firm(firm: Firm | None, details: Details) -> Flag | None:
    if firm is not None:
        return None
    name = details.firm or "the sender's firm"
    return Flag(
        "unknown_firm",
        f"{name} is not in the firm directory: research it (website, named partners, "
        "AESC membership, reviews) before going further.",
    )


def domain_mismatch(mail: Mail, firm: Firm | None, details: Details) -> Flag | None:
    if firm is None or details.via or not mail.sender_domain:
        return None
    domain = mail.sender_domain
    if any(domain == d or domain.endswith("." + d) for d in firm.domains):
        return None
    if domain in FREEMAIL_DOMAINS:
        return Flag(
            "freemail_for_firm",
            f"Writes as {firm.name} from a free-mail address ({domain}); the firm mails from "
            f"{', '.join(firm.domains)}.",
        )
    return Flag(
        "domain_mismatch",
        f"Names {firm.name} but writes from {domain}, which is not one of the firm's domains "
        f"({', '.join(firm.domains)}).",
    )


def describes_the_job(mail: Mail) -> bool:
    """A document is attached, or the mail speaks of a job description (sent or linked)."""
    attached = any(a.filename.lower().endswith((".pdf", ".doc", ".docx")) for a in mail.attachments)
    return attached or bool(_JOB_DESCRIPTION.search(mail.text))


def confidential_without_description(mail: Mail, details: Details) -> Flag | None:
    if not details.confidential or describes_the_job(mail):
        return None
    return Flag(
        "confidential_no_description",
        "A confidential search with no job description: ask for one, and research the firm.",
    )


def kind_mismatch(firm: Firm | None, label: str) -> Flag | None:
    if firm is None:
        return None
    if label == "retained" and firm.kind == "contingency":
        return Flag(
            "kind_mismatch",
            f"Reads like a retained search, but {firm.name} is a contingency or staffing agency: "
            "ask whether this is a retained, exclusive assignment.",
        )
    if label == "contingent" and firm.kind == "retained":
        return Flag(
            "kind_mismatch",
            f"Reads like an agency pitch, but {firm.name} is a retained executive search firm: "
            "check that the sender really works there.",
        )
    return None
