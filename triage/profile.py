"""The person triage answers for: who they are, when they can talk, what interests them, whom
they can refer, and the rules they set. Frozen values, validated from the config's tables.

Pure code: `config.py` reads the TOML file and hands the tables here; every error names the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STANCES = ("active", "open", "not_looking")
ACTIONS = ("schedule", "decline", "refer", "review", "none")
RULE_CONDITIONS = ("label", "firm_kind", "aesc_member", "firm")
_WINDOW = re.compile(
    r"^(?P<day>[A-Za-z]{3})\w*\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


class ProfileError(ValueError):
    """A profile key is missing, unknown or has a wrong value; the message names the key."""


@dataclass(frozen=True)
class Window:
    """A weekly time the person can take a call, in their own time zone."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Contact:
    name: str
    functions: tuple[str, ...]
    seniority: str = ""
    may_name: bool = False


@dataclass(frozen=True)
class Rule:
    """When every condition given matches the message, take `action` (conditions are ANDed)."""

    action: str
    conditions: tuple[tuple[str, Any], ...]
    note: str = ""


@dataclass(frozen=True)
class Profile:
    name: str
    address: str
    signature: str = ""
    phone: str = ""
    best_times_to_call: str = ""
    timezone: str = "UTC"
    windows: tuple[Window, ...] = ()
    booking_link: str = ""
    stance: str = "open"
    roles: tuple[str, ...] = ()
    seniority: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    open_to_relocation: bool = False
    remote_ok: bool = True
    minimum_compensation: int = 0
    contacts: tuple[Contact, ...] = ()
    resume: str = ""
    pitch: str = ""
    rules: tuple[Rule, ...] = field(default=())
    confidence_threshold: float = 0.5

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else ""


_PROFILE_KEYS = {
    "name": str,
    "address": str,
    "signature": str,
    "phone": str,
    "best_times_to_call": str,
    "timezone": str,
    "availability": list,
    "booking_link": str,
    "stance": str,
    "resume": str,
    "pitch": str,
    "interests": dict,
    "network": list,
}
_INTEREST_KEYS = {
    "roles": list,
    "seniority": list,
    "industries": list,
    "locations": list,
    "open_to_relocation": bool,
    "remote_ok": bool,
    "minimum_compensation": int,
}


def profile_from_tables(
    profile: Mapping[str, Any], rules: list[Any], threshold: float, where: str
) -> Profile:
    """Build the Profile from the `[profile]` table and the `[[rules]]` list of a config file."""
    _check_keys(profile, _PROFILE_KEYS, f"{where} [profile]")
    for key in ("name", "address"):
        if not profile.get(key):
            raise ProfileError(f"{where} [profile] needs {key}.")
    interests = profile.get("interests", {})
    _check_keys(interests, _INTEREST_KEYS, f"{where} [profile.interests]")
    timezone = profile.get("timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ProfileError(
            f"{where} [profile] timezone {timezone!r} is not a known time zone (try Europe/London)."
        ) from error
    stance = profile.get("stance", "open")
    if stance not in STANCES:
        raise ProfileError(
            f"{where} [profile] stance {stance!r} must be one of {', '.join(STANCES)}."
        )
    if not 0.0 <= threshold <= 1.0:
        raise ProfileError(f"{where} [reply] confidence_threshold must be between 0 and 1.")
    return Profile(
        name=profile["name"],
        address=profile["address"],
        signature=profile.get("signature", ""),
        phone=profile.get("phone", ""),
        best_times_to_call=profile.get("best_times_to_call", ""),
        timezone=timezone,
        windows=tuple(
            _window(text, f"{where} [profile] availability")
            for text in profile.get("availability", [])
        ),
        booking_link=profile.get("booking_link", ""),
        stance=stance,
        roles=_strings(interests, "roles"),
        seniority=_strings(interests, "seniority"),
        industries=_strings(interests, "industries"),
        locations=_strings(interests, "locations"),
        open_to_relocation=interests.get("open_to_relocation", False),
        remote_ok=interests.get("remote_ok", True),
        minimum_compensation=interests.get("minimum_compensation", 0),
        contacts=tuple(
            _contact(entry, f"{where} [[profile.network]] {n}")
            for n, entry in enumerate(profile.get("network", []), 1)
        ),
        resume=profile.get("resume", ""),
        pitch=profile.get("pitch", ""),
        rules=tuple(_rule(entry, f"{where} [[rules]] {n}") for n, entry in enumerate(rules, 1)),
        confidence_threshold=threshold,
    )


def _check_keys(table: Mapping[str, Any], known: Mapping[str, type], where: str) -> None:
    for key, value in table.items():
        if key not in known:
            raise ProfileError(
                f"{where} has an unknown key {key!r}; known keys: {', '.join(known)}."
            )
        if not isinstance(value, known[key]) or (known[key] is int and isinstance(value, bool)):
            raise ProfileError(
                f"{where} {key} should be a {known[key].__name__}, not {type(value).__name__}."
            )


def _strings(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(str(item) for item in table.get(key, []))


def _window(text: str, where: str) -> Window:
    match = _WINDOW.match(str(text).strip())
    day = match.group("day").lower() if match else ""
    if not match or day not in DAYS:
        raise ProfileError(f'{where}: {text!r} should look like "Tue 09:00-11:00".')
    start, end = (
        time.fromisoformat(match.group("start").zfill(5)),
        time.fromisoformat(match.group("end").zfill(5)),
    )
    if end <= start:
        raise ProfileError(f"{where}: {text!r} ends before it starts.")
    return Window(DAYS.index(day), start, end)


def _contact(entry: Any, where: str) -> Contact:
    if not isinstance(entry, Mapping) or not entry.get("name"):
        raise ProfileError(f"{where} needs a name.")
    _check_keys(entry, {"name": str, "functions": list, "seniority": str, "may_name": bool}, where)
    return Contact(
        name=entry["name"],
        functions=_strings(entry, "functions"),
        seniority=entry.get("seniority", ""),
        may_name=entry.get("may_name", False),
    )


def _rule(entry: Any, where: str) -> Rule:
    if not isinstance(entry, Mapping) or entry.get("action") not in ACTIONS:
        raise ProfileError(f"{where} needs an action, one of {', '.join(ACTIONS)}.")
    conditions = {key: value for key, value in entry.items() if key not in ("action", "note")}
    unknown = set(conditions) - set(RULE_CONDITIONS)
    if unknown or not conditions:
        raise ProfileError(
            f"{where} takes conditions from {', '.join(RULE_CONDITIONS)} "
            f"(got {', '.join(sorted(unknown)) or 'none'})."
        )
    return Rule(
        action=entry["action"],
        conditions=tuple(sorted(conditions.items())),
        note=str(entry.get("note", "")),
    )
