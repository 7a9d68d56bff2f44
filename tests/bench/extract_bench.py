"""Extraction figures: per-field share of recruiter messages where the field is right. Prints only.

    .venv/bin/python tests/bench/extract_bench.py [--corpora ../shared/corpora] [--misses FIELD]

Sets: the test fixtures (tests/fixtures/mail/*.json), the annotated corpus sample
(tests/fixtures/details/*.jsonl) and the Enron recruiter mail (labels.jsonl). A field matches when,
ignoring case, punctuation and extra words around the value, one contains the other; an empty
expectation matches only an empty value. Extraction throughput is printed beside the classifier's.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

from triage import classify, config, extract, message
from triage.firms import FirmDirectory

FIELDS = (
    "firm",
    "recruiter_name",
    "position",
    "hiring_company",
    "confidential",
    "location",
    "compensation",
    "reporting_to",
    "phone",
)
TARGETS = {
    "recruiter_name": 0.90,
    "firm": 0.85,
    "position": 0.80,
    "hiring_company": 0.80,
    "confidential": 0.90,
    "location": 0.75,
    "compensation": 0.80,
    "reporting_to": 0.75,
    "phone": 0.90,
}
CHECKOUT = Path(__file__).resolve().parents[2]


def normal(value: object) -> str:
    return re.sub(r"[\W_]+", " ", str(value).casefold()).strip()


def matches(field: str, expected: object, got: object) -> bool:
    if field == "confidential":
        return bool(expected) == bool(got)
    want, have = normal(expected), normal(got)
    if not want:
        return not have
    return bool(have) and (want in have or have in want)


def fixture_cases() -> Iterator[tuple[str, str, dict[str, object]]]:
    for sidecar in sorted((CHECKOUT / "tests/fixtures/mail").glob("*.json")):
        data = json.loads(sidecar.read_text())
        if data.get("details"):
            yield str(sidecar.with_suffix(".eml")), data["label"], data["details"]


def holdout_cases() -> Iterator[tuple[str, str, dict[str, object]]]:
    for sidecar in sorted((CHECKOUT / "tests/fixtures/holdout").rglob("*.json")):
        data = json.loads(sidecar.read_text())
        if data.get("details"):
            yield str(sidecar.with_suffix(".eml")), data["label"], data["details"]


def annotated_cases() -> Iterator[tuple[str, str, dict[str, object]]]:
    for jsonl in sorted((CHECKOUT / "tests/fixtures/details").glob("*.jsonl")):
        for line in jsonl.read_text().splitlines():
            row = json.loads(line)
            yield str(CHECKOUT / row["file"]), jsonl.stem, row


def enron_cases(corpora: Path) -> Iterator[tuple[str, str, dict[str, object]]]:
    root = corpora / "enron_recruiter"
    for line in (root / "labels.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["label"] != "other":
            yield str(root / row["file"]), row["label"], row


def score(
    name: str,
    cases: list[tuple[str, str, dict[str, object]]],
    directory: FirmDirectory,
    misses: str,
) -> None:
    right = dict.fromkeys(FIELDS, 0)
    start = time.perf_counter()
    results = []
    for path, label, expected in cases:
        mail = message.parse(Path(path).read_bytes())
        results.append((path, expected, extract.extract(mail, directory, label)))
    seconds = time.perf_counter() - start
    for path, expected, details in results:
        for field in FIELDS:
            ok = matches(field, expected.get(field, ""), getattr(details, field))
            right[field] += ok
            if not ok and field == misses:
                print(
                    f"   {Path(path).name:<45} want {expected.get(field)!r:<40} got {getattr(details, field)!r}"
                )
    print(
        f"\n== {name}: {len(cases)} recruiter messages, {len(cases) / seconds:.0f} msg/s (parse + extract)"
    )
    for field in FIELDS:
        share = right[field] / len(cases)
        flag = "" if share >= TARGETS[field] else "  below target"
        print(f"  {field:<15} {share:6.1%}   (target {TARGETS[field]:.0%}){flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=CHECKOUT.parent / "shared" / "corpora")
    parser.add_argument("--misses", default="", help="print the misses of this field")
    args = parser.parse_args()
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)
    directory = config.load_firm_directory(None)
    score("test fixtures", list(fixture_cases()), directory, args.misses)
    score("annotated corpus sample", list(annotated_cases()), directory, args.misses)
    if list(holdout_cases()):
        score("holdout (never trained on)", list(holdout_cases()), directory, args.misses)
    if (args.corpora / "enron_recruiter").is_dir():
        score("enron_recruiter", list(enron_cases(args.corpora)), directory, args.misses)
    model = classify.load(config.bundled_model_dir())
    texts = [message.model_text(message.parse(Path(p).read_bytes())) for p, _, _ in fixture_cases()]
    start = time.perf_counter()
    for _ in range(20):
        model.predict(texts)
    print(
        f"\nclassifier alone on the fixtures: {20 * len(texts) / (time.perf_counter() - start):.0f} msg/s"
    )


if __name__ == "__main__":
    main()
