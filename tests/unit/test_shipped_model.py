"""The committed model: trained on the committed corpus, and good on mail it never saw."""

from __future__ import annotations

import email
import email.policy
import json
from collections import Counter
from pathlib import Path

from tests.conftest import fixture_cases
from triage import classify, config, corpus, message

MODELS = config.bundled_model_dir()
CORPUS = MODELS / "corpus"


def test_the_committed_model_was_trained_on_the_committed_corpus() -> None:
    card = json.loads((MODELS / classify.CARD_FILE).read_text())
    examples = corpus.read_corpus(CORPUS, classify.LABELS)
    assert card["corpus_hash"] == corpus.corpus_hash(CORPUS, examples), (
        "models/corpus changed since the model was trained: run "
        "`triage train --corpus models/corpus --output models` and commit both."
    )
    assert card["counts"] == dict(Counter(example.label for example in examples))


def test_the_corpus_is_as_large_and_varied_as_promised() -> None:
    examples = corpus.read_corpus(CORPUS, classify.LABELS)
    counts = Counter(example.label for example in examples)
    assert all(counts[label] >= 80 for label in classify.RECRUITER_LABELS), counts
    assert counts["other"] >= 300, counts
    parsed = [email.message_from_bytes(e.raw, policy=email.policy.default) for e in examples]
    kinds = Counter(m.get_content_type() for m in parsed)
    assert kinds["text/html"] >= 30 and kinds["multipart/alternative"] >= 50, kinds
    assert kinds["multipart/mixed"] >= 30, kinds
    message_ids = [str(m["Message-ID"]) for m in parsed]
    assert len(set(message_ids)) == len(message_ids)


def test_the_shipped_model_labels_the_test_fixtures_well(shipped_model: classify.Model) -> None:
    cases = fixture_cases()
    texts = [message.model_text(message.parse(path.read_bytes())) for path, _ in cases]
    predictions = shipped_model.predict(texts)
    right = [
        p.label == expected["label"] for p, (_, expected) in zip(predictions, cases, strict=True)
    ]
    assert sum(right) / len(right) >= 0.8, [
        (path.name, p.label)
        for p, (path, e) in zip(predictions, cases, strict=True)
        if p.label != e["label"]
    ]
    flagged = [e["label"] for p, (_, e) in zip(predictions, cases, strict=True) if p.is_recruiter]
    assert flagged.count("other") <= 1


def test_no_corpus_message_is_copied_from_the_shared_test_corpora(shared_corpora: Path) -> None:
    shared_bodies = {
        path.read_bytes().strip()[-400:]
        for path in shared_corpora.rglob("*")
        if path.is_file() and path.suffix not in {".md", ".jsonl", ".tsv"}
    }
    copied = [
        e.path.name
        for e in corpus.read_corpus(CORPUS, classify.LABELS)
        if e.raw.strip()[-400:] in shared_bodies
    ]
    assert copied == []


HOLDOUT = Path(__file__).resolve().parents[1] / "fixtures" / "holdout"


def holdout_examples() -> list[tuple[Path, str]]:
    return [
        (path, label)
        for label in classify.LABELS
        for path in sorted((HOLDOUT / label).glob("*.eml"))
    ]


def test_the_holdout_set_is_not_part_of_the_training_corpus() -> None:
    def message_id(raw: bytes) -> str:
        return str(email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"])

    trained = {message_id(e.raw) for e in corpus.read_corpus(CORPUS, classify.LABELS)}
    held = [message_id(path.read_bytes()) for path, _ in holdout_examples()]
    assert len(held) >= 100
    assert trained.isdisjoint(held)


def test_the_shipped_model_labels_the_holdout_set_well(shipped_model: classify.Model) -> None:
    examples = holdout_examples()
    texts = [message.model_text(message.parse(path.read_bytes())) for path, _ in examples]
    predicted = [p.label for p in shipped_model.predict(texts)]
    evaluation = classify.evaluate([label for _, label in examples], predicted)
    assert evaluation.macro_f1 >= 0.90, evaluation.summary()
    assert evaluation.recruiter_precision >= 0.92, evaluation.summary()
