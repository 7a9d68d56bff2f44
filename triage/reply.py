"""(Mail, Details, Decision, Profile) -> the draft reply, as a threaded RFC 5322 message.

Pure code. The draft says only what the profile or the mail says: proposed times come from the
availability windows, names only from contacts who agreed to be named, and questions only about
what the mail left out. Header values come from the parsed mail, which has already stripped
control characters and kept only message ids a header carries verbatim; the email package would
still decode an encoded word left in a decoded subject ("=?utf-8?q?=0D=0ABcc:...?="), line breaks
and all, so the draft breaks those up; To is one plain address or empty (`standing` flags mail
without one as unreachable, so no draft is decided for it).
"""

from __future__ import annotations

import email.policy
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from triage.decide import Decision

__all__ = ["Attachment", "Decision", "compose", "language_of", "proposed_times", "reply_subject"]
from triage.extract import Details
from triage.mailbox import ORIGINAL_HEADER
from triage.message import Mail
from triage.phrases import phrase
from triage.profile import Profile
from triage.standing import Standing, describes_the_job, reply_address
from triage.templates import Templates, fill

# RFC 5322's hard limit rather than the 78-character default: the default folds a long message id
# (some mail systems make 90-character ones) into an RFC 2047 encoded word, which breaks threading.
DRAFT_POLICY = email.policy.default.clone(max_line_length=998)
MAX_SUBJECT = 200
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|tr|wg|rv|fw|fwd|réf|ref)\s*(?:\[\d+\])?\s*:\s*)+", re.I
)
_LANGUAGE_WORDS = {
    "fr": r"\b(?:bonjour|vous|votre|nous|poste|merci|cordialement|je|pour|avec)\b",
    "de": r"\b(?:sie|ihnen|ihre|und|wir|nicht|freundlichen|grüßen|für|stelle)\b",
    "es": r"\b(?:usted|hola|gracias|saludos|para|con|puesto|nuestro|empresa|estimad[oa])\b",
    "en": r"\b(?:the|and|you|your|with|for|we|role|regards|thanks)\b",
}


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    maintype: str = "application"
    subtype: str = "pdf"


def language_of(mail: Mail) -> str:
    """en, fr, de or es by common words in the subject and the first 2,000 characters."""
    text = (mail.subject + " " + mail.text[:2000]).lower()
    counts = {lang: len(re.findall(words, text)) for lang, words in _LANGUAGE_WORDS.items()}
    best = max(counts, key=lambda lang: counts[lang])
    return best if counts[best] > counts["en"] * 0.8 and counts[best] >= 3 else "en"


def reply_subject(subject: str) -> str:
    """ "Re: " plus the original subject without its own reply or forward prefixes."""
    return ("Re: " + _REPLY_PREFIX.sub("", subject).strip())[:MAX_SUBJECT].rstrip()


def proposed_times(profile: Profile, after: datetime, language: str, count: int = 3) -> list[str]:
    """The next `count` availability windows starting at least a day after `after`."""
    zone = ZoneInfo(profile.timezone)
    start = after.astimezone(zone) + timedelta(days=1)
    days = phrase(language, "days").split()
    months = phrase(language, "months").split()
    slots: list[str] = []
    for offset in range(0, 28):
        day = (start + timedelta(days=offset)).date()
        for window in sorted(profile.windows, key=lambda w: w.start):
            if window.weekday == day.weekday() and len(slots) < count:
                slots.append(
                    phrase(
                        language,
                        "slot",
                        day=days[day.weekday()],
                        date=str(day.day),
                        month=months[day.month - 1],
                        start=window.start.strftime("%H:%M"),
                        end=window.end.strftime("%H:%M"),
                    )
                )
    return slots


def draft_values(
    mail: Mail,
    details: Details,
    standing: Standing,
    decision: Decision,
    profile: Profile,
    language: str,
    now: datetime,
    with_resume: bool,
) -> dict[str, str]:
    """Every placeholder's text for this reply."""
    first = details.recruiter_name.split()[0] if details.recruiter_name else ""
    values = {
        "greeting": phrase(language, "greeting_name", name=first)
        if first
        else phrase(language, "greeting"),
        "role": _role(details, language),
        "signature": profile.signature or profile.name,
        "name": profile.name,
        "recruiter_name": details.recruiter_name,
        "firm": details.firm,
        "position": details.position,
        "pitch": profile.pitch if decision.action == "schedule" else "",
    }
    if decision.action == "schedule":
        values["times"] = _times(profile, now, language)
        values["phone_line"] = _phone_line(profile, language)
        values["questions"] = _questions(mail, details, standing, language)
        values["cv_line"] = phrase(language, "cv_attached" if with_resume else "cv_offer")
    if decision.action == "decline":
        values["interests"] = _interests(profile, language)
    if decision.action in {"decline", "refer"}:
        values["referral"] = _referral(details, profile, language, decision.action)
    return values


def _role(details: Details, language: str) -> str:
    if not details.position:
        return phrase(language, "role_unnamed")
    if details.hiring_company:
        return phrase(
            language,
            "role_named_company",
            position=details.position,
            company=details.hiring_company,
        )
    return phrase(language, "role_named", position=details.position)


def _times(profile: Profile, now: datetime, language: str) -> str:
    lines = []
    slots = proposed_times(profile, now, language)
    if slots:
        lines.append(phrase(language, "times_intro", timezone=profile.timezone))
        lines += [f"- {slot}" for slot in slots]
    if profile.booking_link:
        lines.append(phrase(language, "booking", link=profile.booking_link))
    return "\n".join(lines)


def _phone_line(profile: Profile, language: str) -> str:
    if not profile.phone:
        return ""
    best = (
        phrase(language, "phone_best", times=profile.best_times_to_call)
        if profile.best_times_to_call
        else ""
    )
    return phrase(language, "phone", phone=profile.phone, best=best)


def _questions(mail: Mail, details: Details, standing: Standing, language: str) -> str:
    described = describes_the_job(mail)
    wanted = [
        ("q_confidential" if details.confidential else "q_company", not details.hiring_company),
        ("q_description", not described),
        ("q_reporting", not details.reporting_to),
        ("q_compensation", not details.compensation),
        ("q_location", not details.location),
        (
            "q_retained",
            standing.firm is None and any(f.code == "unknown_firm" for f in standing.flags),
        ),
    ]
    questions = [f"- {phrase(language, key)}" for key, missing in wanted if missing]
    return "\n".join([phrase(language, "questions_intro"), *questions]) if questions else ""


def _interests(profile: Profile, language: str) -> str:
    if not profile.roles:
        return phrase(language, "interests_none")
    where = (
        phrase(language, "interests_where", locations=_join(profile.locations, language))
        if profile.locations
        else ""
    )
    return phrase(language, "interests", roles=_join(profile.roles, language), where=where)


def _referral(details: Details, profile: Profile, language: str, action: str) -> str:
    position = details.position.lower()
    names = [
        contact.name
        for contact in profile.contacts
        if contact.may_name and position and any(f.lower() in position for f in contact.functions)
    ]
    if names:
        return phrase(language, "refer_names", names=_join(names, language))
    offer = phrase(language, "refer_offer")
    return offer + (" " + phrase(language, "refer_market") if action == "refer" else "")


def _join(items: tuple[str, ...] | list[str], language: str) -> str:
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {phrase(language, 'and')} " + items[-1]


def quoted_original(mail: Mail, language: str = "en") -> str:
    """The original below the reply, each line behind "> ", headed in the reply's language."""
    when = format_datetime(mail.date) if mail.date else "?"
    who = mail.sender_name or mail.sender_address
    head = phrase(language, "quote_head", date=when, who=who)
    lines = []
    for line in mail.text.strip().splitlines()[:400]:
        lines += textwrap.wrap(line, 76, break_long_words=False, break_on_hyphens=False) or [""]
    body = "\n".join(f"> {line}".rstrip() for line in lines)
    return f"{head}\n{body}"


def build_draft(
    mail: Mail,
    decision: Decision,
    body: str,
    profile: Profile,
    now: datetime,
    resume: Attachment | None = None,
    language: str = "en",
) -> EmailMessage:
    """The threaded draft: Re: subject, In-Reply-To, References, To the Reply-To or From."""
    draft = EmailMessage(policy=DRAFT_POLICY)
    draft["From"] = f"{profile.name} <{profile.address}>"
    draft["To"] = reply_address(mail)
    draft["Subject"] = reply_subject(mail.subject).replace("=?", "= ?")
    draft["Date"] = format_datetime(now)
    draft["Message-ID"] = make_msgid(domain=profile.address.rpartition("@")[2] or None)
    if mail.message_id:
        draft["In-Reply-To"] = mail.message_id
        draft["References"] = " ".join([*mail.references[-20:], mail.message_id])
        draft[ORIGINAL_HEADER] = mail.message_id
    draft["X-Triage-Action"] = decision.action
    text = body + "\n" + quoted_original(mail, language) + "\n"
    readable = max((len(line.encode()) for line in text.splitlines()), default=0) <= 900
    draft.set_content(text, charset="utf-8", cte="8bit" if readable else "quoted-printable")
    if resume is not None:
        draft.add_attachment(
            resume.data, maintype=resume.maintype, subtype=resume.subtype, filename=resume.filename
        )
    return draft


def compose(
    mail: Mail,
    details: Details,
    standing: Standing,
    decision: Decision,
    profile: Profile,
    templates: Templates,
    now: datetime,
    resume: Attachment | None = None,
) -> EmailMessage | None:
    """The draft for a decision that calls for one, else None."""
    if not decision.drafts:
        return None
    language = language_of(mail)
    with_resume = resume is not None and decision.action == "schedule"
    values = draft_values(mail, details, standing, decision, profile, language, now, with_resume)
    body = fill(templates.text(decision.action, language), values)
    return build_draft(
        mail, decision, body, profile, now, resume if with_resume else None, language
    )
