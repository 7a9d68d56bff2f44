"""Retraining on the person's own examples: prove the candidate is not worse, then install it.

The candidate is the bundled corpus plus the person's examples (theirs win where the same message
is in both, and count `weight` times as much). It is compared with the current model on the same
held-out folds of the person's examples: each fold's candidate is trained without that fold, and
the current model never saw any of them. The candidate is installed only when its macro-F1 on
those folds is at most 0.01 below the current model's, unless forced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage import classify, corpus, message
from triage.examples import Example, mirror_folder, source_counts
from triage.mailbox import Mailbox

MIN_OWN_PER_LABEL = 5
ALLOWED_DROP = 0.01
COLLECT_BATCH = 100


class TrainingRefused(ValueError):
    """The examples would give a lopsided model; the message says which labels lack examples."""


@dataclass(frozen=True)
class Changed:
    """A held-out example the candidate labels differently from the current model."""

    name: str
    truth: str
    current: str
    candidate: str


@dataclass(frozen=True)
class Comparison:
    current: classify.Evaluation
    candidate: classify.Evaluation
    labels: tuple[str, ...]  # the labels the person's examples have: the F1 averaged over
    changed: list[Changed] = field(default_factory=list)

    @property
    def current_f1(self) -> float:
        return macro_f1(self.current, self.labels)

    @property
    def candidate_f1(self) -> float:
        return macro_f1(self.candidate, self.labels)

    @property
    def not_worse(self) -> bool:
        return self.candidate_f1 >= self.current_f1 - ALLOWED_DROP


@dataclass(frozen=True)
class Retrained:
    model: classify.Model
    comparison: Comparison | None
    sources: dict[str, int]
    bundled_check: tuple[float, float] | None
    skipped: list[str]


@dataclass
class _Set:
    names: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def macro_f1(evaluation: classify.Evaluation, labels: tuple[str, ...]) -> float:
    scores = [evaluation.per_label[label].f1 for label in labels]
    return round(sum(scores) / len(scores), 4) if scores else 0.0


def check_own_examples(examples: list[Example]) -> None:
    """Refuse a label the person gave fewer than MIN_OWN_PER_LABEL examples of (but some)."""
    counts = Counter(example.label for example in examples)
    short = {label: count for label, count in counts.items() if count < MIN_OWN_PER_LABEL}
    if short:
        listed = ", ".join(f"{label} ({count})" for label, count in sorted(short.items()))
        raise TrainingRefused(
            f"Too few of your own examples for: {listed}. Give at least {MIN_OWN_PER_LABEL} "
            "per label you use (file more messages, or `triage label PATH LABEL`), so one "
            "label is not learnt from a handful of messages."
        )


def retrain(
    bundled_root: Path,
    examples: list[Example],
    current: classify.Model,
    *,
    weight: float = 2.0,
    folds: int = 5,
    check_bundled: bool = False,
    progress: classify.Progress | None = None,
) -> Retrained:
    """Compare a candidate trained with the person's examples against `current`, then fit it."""
    check_own_examples(examples)
    skipped: list[str] = []
    own = _parse([(str(e.path), e.read(), e.label) for e in examples], skipped)
    bundled_raw = corpus.read_corpus(bundled_root, classify.LABELS)
    bundled = _parse([(str(e.path), e.raw, e.label) for e in bundled_raw], skipped)
    bundled = _without(bundled, set(own.keys))
    comparison = _compare(bundled, own, current, weight, folds, progress) if own.texts else None
    checked = _bundled_check(bundled, own, weight, folds, progress) if check_bundled else None
    texts, labels = bundled.texts + own.texts, bundled.labels + own.labels
    classify.check_training_set(labels, MIN_OWN_PER_LABEL)
    weights = [1.0] * len(bundled.texts) + [weight] * len(own.texts)
    card = classify.make_card(
        labels,
        corpus_hash=corpus.corpus_hash(bundled_root, bundled_raw),
        trained_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        evaluation=None,
    )
    sources = {"bundled": len(bundled.texts), **source_counts(examples)}
    card.extra.update(_card_extra(sources, comparison, checked, weight))
    model = classify.fit(texts, labels, card, progress=progress, weights=weights)
    return Retrained(model, comparison, sources, checked, skipped)


def _parse(items: list[tuple[str, bytes, str]], skipped: list[str]) -> _Set:
    parsed = _Set()
    for name, raw, label in items:
        try:
            mail = message.parse(raw)
        except message.MailParseError as error:
            skipped.append(f"{name}: {error}")
            continue
        parsed.names.append(mail.subject or name)
        parsed.keys.append(mail.message_id or name)
        parsed.texts.append(message.model_text(mail))
        parsed.labels.append(label)
    return parsed


def _without(examples: _Set, keys: set[str]) -> _Set:
    kept = _Set()
    for row in zip(examples.names, examples.keys, examples.texts, examples.labels, strict=True):
        if row[1] not in keys:
            for column, value in zip(
                (kept.names, kept.keys, kept.texts, kept.labels), row, strict=True
            ):
                column.append(value)
    return kept


def _fold_count(labels: list[str], folds: int) -> int:
    return max(2, min(folds, min(Counter(labels).values()), len(labels)))


def _compare(
    bundled: _Set,
    own: _Set,
    current: classify.Model,
    weight: float,
    folds: int,
    progress: classify.Progress | None,
) -> Comparison:
    """Held-out folds of the person's examples: the current model vs a candidate per fold."""
    count = _fold_count(own.labels, folds)
    candidate = [""] * len(own.texts)
    for number, (train, test) in enumerate(classify.split_folds(own.labels, count), start=1):
        if progress:
            progress(f"your examples, fold {number}/{count}")
        texts = bundled.texts + [own.texts[i] for i in train]
        labels = bundled.labels + [own.labels[i] for i in train]
        weights = [1.0] * len(bundled.texts) + [weight] * len(train)
        found = classify.recipe_predictions(texts, labels, weights, [own.texts[i] for i in test])
        for row, label in zip(test, found, strict=True):
            candidate[row] = label
    now = [prediction.label for prediction in current.predict(own.texts)]
    changed = [
        Changed(own.names[i], own.labels[i], now[i], candidate[i])
        for i in range(len(own.texts))
        if now[i] != candidate[i]
    ]
    present = tuple(label for label in classify.LABELS if label in set(own.labels))
    return Comparison(
        classify.evaluate(own.labels, now, count),
        classify.evaluate(own.labels, candidate, count),
        present,
        changed,
    )


def _bundled_check(
    bundled: _Set, own: _Set, weight: float, folds: int, progress: classify.Progress | None
) -> tuple[float, float]:
    """Macro-F1 on held-out folds of the bundled corpus: without, then with the person's
    examples added to each fold's training set (so they do not make it worse elsewhere)."""
    without, with_own = [""] * len(bundled.texts), [""] * len(bundled.texts)
    for number, (train, test) in enumerate(classify.split_folds(bundled.labels, folds), start=1):
        if progress:
            progress(f"bundled corpus, fold {number}/{folds}")
        texts = [bundled.texts[i] for i in train]
        labels = [bundled.labels[i] for i in train]
        held_out = [bundled.texts[i] for i in test]
        for row, label in zip(
            test, classify.recipe_predictions(texts, labels, None, held_out), strict=True
        ):
            without[row] = label
        weights = [1.0] * len(texts) + [weight] * len(own.texts)
        found = classify.recipe_predictions(
            texts + own.texts, labels + own.labels, weights, held_out
        )
        for row, label in zip(test, found, strict=True):
            with_own[row] = label
    return (
        classify.evaluate(bundled.labels, without).macro_f1,
        classify.evaluate(bundled.labels, with_own).macro_f1,
    )


def _card_extra(
    sources: dict[str, int],
    comparison: Comparison | None,
    checked: tuple[float, float] | None,
    weight: float,
) -> dict[str, Any]:
    extra: dict[str, Any] = {"sources": sources, "own_weight": weight}
    if comparison is not None:
        extra["evaluation_on_own_examples"] = {
            "labels": list(comparison.labels),
            "current_macro_f1": comparison.current_f1,
            "candidate_macro_f1": comparison.candidate_f1,
            "current_accuracy": comparison.current.accuracy,
            "candidate_accuracy": comparison.candidate.accuracy,
            "allowed_drop": ALLOWED_DROP,
            "passed": comparison.not_worse,
        }
    if checked is not None:
        extra["bundled_cross_validation"] = {"without": checked[0], "with": checked[1]}
    return extra


def collect_from_mailbox(
    box: Mailbox,
    folders: dict[str, str],
    root: Path,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy every message filed in the label folders into the person's examples (BODY.PEEK),
    so a retrain can be repeated offline; returns how many per label.

    `progress(folder, n)` is told the size of each folder, then each batch fetched.
    """
    counts: dict[str, int] = {}
    for label, folder in folders.items():
        refs = box.folder_refs(folder)
        if progress:
            progress(folder, -len(refs))
        raws: list[bytes] = []
        for start in range(0, len(refs), COLLECT_BATCH):
            batch = refs[start : start + COLLECT_BATCH]
            raws += [item.raw for item in box.fetch_folder(folder, batch)]
            if progress:
                progress(folder, len(batch))
        counts[label] = mirror_folder(root, label, raws)
    return counts
