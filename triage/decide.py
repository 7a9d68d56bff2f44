"""What to do with one message, and why: schedule, decline, refer, review or none.

Pure code. Safety comes first (no draft for `other`, low confidence, scam signs or a sender a mail
reply cannot reach), then the person's own rules, then the default: does the approach match what
the profile says would interest them?
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.extract import Details
from triage.profile import Profile, Rule
from triage.standing import Standing

_AMOUNT = re.compile(r"(\d{1,3}(?:[.,  ]\d{3})+|\d+(?:[.,]\d+)?)\s*([kK]|m\b|M\b)?")


@dataclass(frozen=True)
class Decision:
    action: str
    reasons: tuple[str, ...]

    @property
    def drafts(self) -> bool:
        return self.action in {"schedule", "decline", "refer"}


def decide(
    label: str, confidence: float, details: Details, standing: Standing, profile: Profile
) -> Decision:
    """The action for one message with the reasons a person can read."""
    if label == "other":
        return Decision("none", ("Not recruiter mail.",))
    if confidence < profile.confidence_threshold:
        return Decision(
            "none",
            (
                f"Confidence {confidence:.2f} is below the threshold "
                f"{profile.confidence_threshold:.2f}.",
            ),
        )
    if standing.scam:
        return Decision("none", ("Scam signs: no reply should be drafted.",))
    if standing.unreachable:
        return Decision("none", ("A reply by mail cannot reach the sender.",))
    for rule in profile.rules:
        if rule_matches(rule, label, details, standing):
            return Decision(rule.action, (f"Your rule: {describe(rule)}.",))
    if label == "sourcing":
        return Decision("refer", ("A request for names or insight, not a pitch to you.",))
    return _candidate_decision(details, profile)


def rule_matches(rule: Rule, label: str, details: Details, standing: Standing) -> bool:
    firm = standing.firm
    facts = {
        "label": label,
        "firm_kind": firm.kind if firm else "",
        "aesc_member": bool(firm and firm.aesc_member),
        "firm": (firm.name if firm else details.firm).lower(),
    }
    for key, wanted in rule.conditions:
        if facts.get(key) != (wanted.lower() if isinstance(wanted, str) else wanted):
            return False
    return True


def describe(rule: Rule) -> str:
    conditions = " and ".join(f"{key} = {value}" for key, value in rule.conditions)
    note = f" ({rule.note})" if rule.note else ""
    return f"when {conditions}, {rule.action}{note}"


def _candidate_decision(details: Details, profile: Profile) -> Decision:
    if profile.stance == "not_looking":
        return Decision("decline", ("Your profile says you are not looking.",))
    checks = [role_fits(details, profile), place_fits(details, profile), pay_fits(details, profile)]
    good = [reason for fit, reason in checks if fit is True]
    bad = [reason for fit, reason in checks if fit is False]
    if good and bad:
        return Decision("review", ("Mixed evidence:", *good, *bad))
    if bad:
        return Decision("decline", tuple(bad))
    if good:
        return Decision("schedule", tuple(good))
    if profile.stance == "active":
        return Decision(
            "schedule", ("You are actively looking; the mail says too little to rule it out.",)
        )
    return Decision("review", ("The mail says too little to tell whether it fits your interests.",))


def role_fits(details: Details, profile: Profile) -> tuple[bool | None, str]:
    if not details.position or not profile.roles:
        return None, ""
    position = details.position.lower()
    hit = next((role for role in profile.roles if role.lower() in position), "")
    if hit:
        return True, f"The role ({details.position}) matches your interest in {hit}."
    return (
        False,
        f"The role ({details.position}) is not among the roles you want "
        f"({', '.join(profile.roles)}).",
    )


def place_fits(details: Details, profile: Profile) -> tuple[bool | None, str]:
    if not details.location or not profile.locations:
        return None, ""
    location = details.location.lower()
    if any(place.lower() in location for place in profile.locations):
        return True, f"It is based in {details.location}, where you want to work."
    if profile.remote_ok and "remote" in location:
        return True, f"It is remote ({details.location}), which suits you."
    if profile.open_to_relocation:
        return None, ""
    return False, f"It is based in {details.location}, and you are not open to relocation."


def pay_fits(details: Details, profile: Profile) -> tuple[bool | None, str]:
    if not profile.minimum_compensation or not details.compensation:
        return None, ""
    amount = highest_amount(details.compensation)
    if amount is None or amount < 1000:
        return None, ""
    if amount < profile.minimum_compensation:
        return (
            False,
            f"The pay ({details.compensation}) is below your floor of "
            f"{profile.minimum_compensation:,}.",
        )
    return True, f"The pay ({details.compensation}) meets your floor."


def highest_amount(text: str) -> int | None:
    """The largest annual-looking figure in a pay text ("€120-140k" -> 140000); None if none."""
    amounts = []
    for number, suffix in _AMOUNT.findall(text):
        digits = re.sub(r"[.,  ](?=\d{3}\b)", "", number).replace(",", ".")
        try:
            value = float(digits)
        except ValueError:
            continue
        value *= {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(suffix, 1)
        amounts.append(int(value))
    if re.search(r"/\s?(?:day|hr|h|hour)|per (?:day|hour)|par jour|pro Tag|al día", text, re.I):
        return None
    return max(amounts) if amounts else None
