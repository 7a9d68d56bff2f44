"""Draft figures on the holdout set, checked draft by draft. Prints only; not run by pytest.

    .venv/bin/python tests/bench/draft_bench.py

For every holdout message: the action; for `other` and scam mail that no draft was made; for every
draft: In-Reply-To and To, a single "Re:", no unfilled placeholder, the position named when one was
extracted, the recruiter greeted by name when known, a question about the job description when the
mail gave none, and the mail's language (as `reply.language_of` reads it) for French, German and Spanish mail.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from triage import classify, config, message, pipeline, reply, standing

CHECKOUT = Path(__file__).resolve().parents[2]
GREETINGS = {"en": ("Dear", "Hello"), "fr": ("Bonjour",), "de": ("Guten Tag",), "es": ("Hola",)}
JD_QUESTION = {
    "en": "job description",
    "fr": "description du poste",
    "de": "Stellenbeschreibung",
    "es": "descripción del puesto",
}


def main() -> None:
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)
    root = CHECKOUT / "tests" / "fixtures" / "holdout"
    paths = sorted(root.rglob("*.eml"))
    settings = config.load_settings(config.bundled_config_dir() / "triage.example.toml")
    context = pipeline.Context(
        classify.load(config.bundled_model_dir()),
        config.load_firm_directory(),
        settings,
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    )
    start = time.perf_counter()
    results = list(pipeline.classify_files(paths, context))
    seconds = time.perf_counter() - start
    checks: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    for path, result in zip(paths, results, strict=True):
        truth = json.loads(path.with_suffix(".json").read_text())["label"]
        mail = message.parse(path.read_bytes())
        actions[result.action] += 1
        if truth == "other" or "scam_signs" in result.flags:
            totals["no draft for other or scam"] += 1
            checks["no draft for other or scam"] += result.draft is None
        if truth != "other":
            totals["recruiter mail gets an action"] += 1
            checks["recruiter mail gets an action"] += bool(result.action)
        draft = result.draft
        if draft is None:
            continue
        body_part = draft.get_body(("plain",))
        text = body_part.get_content().split("\n> ")[0] if body_part else ""
        language = reply.language_of(mail)

        def check(name: str, ok: bool) -> None:
            totals[name] += 1
            checks[name] += ok

        check(
            "In-Reply-To and To right",
            draft["In-Reply-To"] == mail.message_id
            and draft["To"] == (mail.reply_to or mail.sender_address),
        )
        check("a single Re:", not re.match(r"(?i)re:\s*re:", str(draft["Subject"])))
        check("no unfilled placeholder", "{{" not in text and "}}" not in text)
        if result.details.get("position"):
            check("names the position", result.details["position"] in text)
        first = result.details.get("recruiter_name", "").split()[:1]
        if first:
            check("greets the recruiter by name", first[0] in text.splitlines()[0])
        if result.action == "schedule" and not standing.describes_the_job(mail):
            check("asks for the job description", JD_QUESTION[language] in text)
        greeting = text.splitlines()[0] if text else ""
        check(
            f"written in the mail's language ({language})",
            greeting.startswith(GREETINGS[language]),
        )
    print(
        f"holdout: {len(paths)} messages, {len(paths) / seconds:.0f} msg/s (classify, extract, decide, draft)"
    )
    print("actions:", dict(actions))
    for name in totals:
        print(f"  {name:<38} {checks[name]:>3} / {totals[name]:<3}")


if __name__ == "__main__":
    main()
