"""Reply templates: plain text with `{{placeholder}}` slots, filled without evaluating anything.

Values are pasted in as text: no format strings, no attribute access, no expressions, so a value
taken from a stranger's mail cannot reach into the program. Every placeholder is checked when the
templates load, so a typo fails at start-up rather than in a draft.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

ACTIONS_WITH_DRAFTS = ("schedule", "decline", "refer")
LANGUAGES = ("en", "fr", "de", "es")
PLACEHOLDERS = frozenset(
    {
        "greeting",
        "role",
        "times",
        "phone_line",
        "questions",
        "cv_line",
        "interests",
        "referral",
        "pitch",
        "signature",
        "name",
        "recruiter_name",
        "firm",
        "position",
    }
)
_SLOT = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class TemplateError(ValueError):
    """A template is missing or uses a placeholder triage does not fill."""


@dataclass(frozen=True)
class Templates:
    """One template text per (action, language)."""

    texts: Mapping[tuple[str, str], str]

    def text(self, action: str, language: str) -> str:
        return self.texts.get((action, language)) or self.texts[(action, "en")]


def check(text: str, where: str) -> None:
    """Raise TemplateError naming `where` for unknown placeholders or stray braces."""
    unknown = sorted({name for name in _SLOT.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        raise TemplateError(
            f"{where} uses unknown placeholders {', '.join(unknown)}; "
            f"known: {', '.join(sorted(PLACEHOLDERS))}."
        )
    leftover = _SLOT.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        raise TemplateError(
            f"{where} has an unclosed {{{{ or }}}}: write placeholders as {{{{name}}}}."
        )


def build(texts: Mapping[tuple[str, str], str], where: str) -> Templates:
    """Check every template and that each action has at least its English version."""
    for (action, language), text in texts.items():
        check(text, f"{where}/{action}.{language}.txt")
    missing = [f"{action}.en.txt" for action in ACTIONS_WITH_DRAFTS if (action, "en") not in texts]
    if missing:
        raise TemplateError(f"{where} lacks {', '.join(missing)}.")
    return Templates(dict(texts))


def fill(text: str, values: Mapping[str, str]) -> str:
    """Paste `values` into the slots. A line holding only an empty slot disappears."""
    kept = []
    for line in text.splitlines():
        slots = _SLOT.findall(line)
        if slots and not _SLOT.sub("", line).strip() and not any(values.get(s, "") for s in slots):
            continue
        kept.append(_SLOT.sub(lambda match: values.get(match.group(1), ""), line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip() + "\n"
