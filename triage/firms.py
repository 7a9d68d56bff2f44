"""The firm directory: known recruiting firms, their mail domains, kind and standing facts.

Pure lookups over values; reading `config/firms.toml` (and the person's additions) is config's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("retained", "contingency", "research", "rpo")
REQUIRED_KEYS = ("name", "domains", "kind", "source")


class FirmDirectoryError(ValueError):
    """An entry of the firm directory is missing a key or has a wrong value."""


@dataclass(frozen=True)
class Firm:
    name: str
    domains: tuple[str, ...]
    kind: str
    source: str
    aliases: tuple[str, ...] = ()
    aesc_member: bool | None = None
    founded: int | None = None
    hq: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "domains": list(self.domains),
            "aesc_member": self.aesc_member,
            "founded": self.founded,
            "source": self.source,
        }


def firm_from_entry(entry: Mapping[str, Any], where: str) -> Firm:
    """One `[[firm]]` table, checked; `where` names it in errors ("firms.toml entry 3")."""
    missing = [key for key in REQUIRED_KEYS if not entry.get(key)]
    if missing:
        raise FirmDirectoryError(f"{where} lacks {', '.join(missing)}")
    if entry["kind"] not in KINDS:
        raise FirmDirectoryError(
            f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}"
        )
    unknown = set(entry) - {*REQUIRED_KEYS, "aliases", "aesc_member", "founded", "hq"}
    if unknown:
        raise FirmDirectoryError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    return Firm(
        name=str(entry["name"]),
        domains=tuple(str(d).lower() for d in entry["domains"]),
        kind=str(entry["kind"]),
        source=str(entry["source"]),
        aliases=tuple(str(a) for a in entry.get("aliases", [])),
        aesc_member=entry.get("aesc_member"),
        founded=entry.get("founded"),
        hq=str(entry.get("hq", "")),
    )


class FirmDirectory:
    """Find a firm by the domain a mail comes from, or by its name written in the text."""

    def __init__(self, firms: Iterable[Firm] = ()) -> None:
        self.firms = tuple(firms)
        self._by_domain = {domain: firm for firm in self.firms for domain in firm.domains}
        names = sorted(
            (
                (name, firm)
                for firm in self.firms
                for name in (firm.name, *firm.aliases)
                if len(name) >= 3
            ),
            key=lambda pair: -len(pair[0]),
        )
        self._by_name = {name.lower(): firm for name, firm in names}
        pattern = "|".join(re.escape(name) for name, _ in names)
        self._names = (
            re.compile(rf"(?<![\w&])(?:{pattern})(?![\w&])", re.IGNORECASE) if names else None
        )

    def __len__(self) -> int:
        return len(self.firms)

    def by_domain(self, domain: str) -> Firm | None:
        """The firm owning `domain` or a parent of it (mail.heidrick.com -> heidrick.com)."""
        pieces = domain.lower().split(".")
        for start in range(len(pieces) - 1):
            firm = self._by_domain.get(".".join(pieces[start:]))
            if firm:
                return firm
        return None

    def named_in(self, text: str) -> Firm | None:
        """The first firm whose name or alias appears in `text` (whole words)."""
        if self._names is None:
            return None
        match = self._names.search(text)
        return self._by_name.get(match.group(0).lower()) if match else None

    def extended(self, firms: Iterable[Firm]) -> FirmDirectory:
        """A directory with `firms` added; an added firm replaces a shipped one of the same name."""
        added = tuple(firms)
        replaced = {firm.name.lower() for firm in added}
        return FirmDirectory(
            [f for f in self.firms if f.name.lower() not in replaced] + list(added)
        )
