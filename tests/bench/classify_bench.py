"""Classifier figures on the shared real-mail corpora. Prints; asserts nothing; not run by pytest.

    .venv/bin/python tests/bench/classify_bench.py [--corpora ../shared/corpora] [--skip-train]

Prints: macro-F1, per-label scores and confusion on enron_recruiter (labels.jsonl); the share of
ordinary mail (easy_ham, hard_ham, enron ordinary) labelled anything but `other`; parse+classify
throughput from raw bytes on one core beside mail-parser alone and the standard library's parser
alone, measured in the same run; peak RSS; model file size; training time on models/corpus.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one core, as the figures promise

import argparse  # noqa: E402
import email  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import mailparser  # noqa: E402

from triage import classify, config, message, pipeline  # noqa: E402

ORDINARY = ("spamassassin/easy_ham", "spamassassin/hard_ham", "enron_recruiter/ordinary")
NOT_MAIL = {".md", ".jsonl", ".tsv"}


def mail_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix not in NOT_MAIL)


def predict_files(model: classify.Model, raws: list[bytes]) -> list[classify.Prediction]:
    texts = [message.model_text(message.parse(raw)) for raw in raws]
    return model.predict(texts)


def enron_scores(model: classify.Model, corpora: Path) -> None:
    root = corpora / "enron_recruiter"
    rows = [json.loads(line) for line in (root / "labels.jsonl").read_text().splitlines()]
    predictions = predict_files(model, [(root / row["file"]).read_bytes() for row in rows])
    truth = [row["label"] for row in rows]
    evaluation = classify.evaluate(truth, [p.label for p in predictions])
    print(f"\n== enron_recruiter ({len(rows)} labelled real messages)")
    print(f"{'label':<11} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}")
    for label, score in evaluation.per_label.items():
        print(
            f"{label:<11} {score.precision:>9.3f} {score.recall:>7.3f} "
            f"{score.f1:>6.3f} {score.support:>4}"
        )
    print(
        f"macro-F1 {evaluation.macro_f1:.3f}  accuracy {evaluation.accuracy:.3f}  "
        f"recruiter precision {evaluation.recruiter_precision:.3f}  "
        f"recall {evaluation.recruiter_recall:.3f}"
    )
    print("confusion (rows true, columns predicted):", " ".join(classify.LABELS))
    for label, row in zip(classify.LABELS, evaluation.confusion, strict=True):
        print(f"  {label:<11}" + "".join(f"{n:>6}" for n in row))


def holdout_scores(model: classify.Model) -> None:
    """Scores on tests/fixtures/holdout: messages written apart from the corpus, never trained on."""
    root = config.CHECKOUT_DIR / "tests" / "fixtures" / "holdout"
    rows = [
        (path, label) for label in classify.LABELS for path in sorted((root / label).glob("*.eml"))
    ]
    if not rows:
        return
    predictions = predict_files(model, [path.read_bytes() for path, _ in rows])
    evaluation = classify.evaluate([label for _, label in rows], [p.label for p in predictions])
    print(f"\n== holdout ({len(rows)} messages written apart from the training corpus)")
    for label, score in evaluation.per_label.items():
        print(
            f"{label:<11} p {score.precision:.3f} r {score.recall:.3f} f1 {score.f1:.3f} n {score.support}"
        )
    print(
        f"macro-F1 {evaluation.macro_f1:.3f}  recruiter precision {evaluation.recruiter_precision:.3f}"
        f"  recall {evaluation.recruiter_recall:.3f}"
    )
    for (path, label), prediction in zip(rows, predictions, strict=True):
        if prediction.label != label:
            print(
                f"    {path.name:<12} {label:<11} -> {prediction.label:<11} {prediction.confidence:.2f}"
            )


def ordinary_false_positives(model: classify.Model, corpora: Path) -> list[bytes]:
    print("\n== ordinary mail labelled as recruiter mail (target <= 1%)")
    every: list[bytes] = []
    flagged_total = 0
    for folder in ORDINARY:
        files = mail_files(corpora / folder)
        raws = [path.read_bytes() for path in files]
        every.extend(raws)
        predictions = predict_files(model, raws)
        flagged = [(f, p) for f, p in zip(files, predictions, strict=True) if p.is_recruiter]
        flagged_total += len(flagged)
        print(f"{folder:<26} {len(flagged):>4} / {len(files):<5} {len(flagged) / len(files):7.2%}")
        for path, prediction in flagged[:8]:
            print(f"    {path.name:<40} {prediction.label:<11} {prediction.confidence:.2f}")
    print(f"{'all':<26} {flagged_total:>4} / {len(every):<5} {flagged_total / len(every):7.2%}")
    return every


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:8.0f} msg/s"


def best_seconds(works: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Each work's fastest run over `rounds` rounds, the works taking turns within a round, so
    that a busy spell on the machine does not fall on one of them only."""
    best = dict.fromkeys(works, float("inf"))
    for _ in range(rounds):
        for name, work in works.items():
            start = time.perf_counter()
            work()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def throughput(model: classify.Model, raws: list[bytes], batch: int = 256, rounds: int = 3) -> None:
    print(f"\n== throughput on one core, {len(raws)} ordinary messages from raw bytes")
    print(f"   (best of {rounds} interleaved rounds each)")

    def stdlib() -> None:
        for raw in raws:
            email.message_from_bytes(raw)

    def mail_parser() -> None:
        for raw in raws:
            mailparser.parse_from_bytes(raw)

    def ours() -> None:
        for first in range(0, len(raws), batch):
            predict_files(model, raws[first : first + batch])

    seconds = best_seconds({"stdlib": stdlib, "mail-parser": mail_parser, "ours": ours}, rounds)
    print(f"stdlib email.message_from_bytes {rate(len(raws), seconds['stdlib'])}")
    print(f"mail-parser alone               {rate(len(raws), seconds['mail-parser'])}")
    print(f"triage parse + classify         {rate(len(raws), seconds['ours'])}")
    print(
        f"parse+classify / mail-parser    {seconds['mail-parser'] / seconds['ours']:8.0%}   (target >= 60%)"
    )


def training_time() -> None:
    with tempfile.TemporaryDirectory() as output:
        start = time.perf_counter()
        report = pipeline.train_model(config.bundled_corpus_dir(), Path(output))
        seconds = time.perf_counter() - start
    total = sum(report.card.counts.values())
    print(f"\n== training on models/corpus ({total} messages, 5-fold CV + final fit)")
    print(f"time {seconds:.1f} s (target <= 60 s); CV macro-F1 {report.evaluation.macro_f1:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = config.CHECKOUT_DIR.parent / "shared" / "corpora"
    parser.add_argument("--corpora", type=Path, default=default)
    parser.add_argument("--skip-train", action="store_true")
    args = parser.parse_args()
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)
    model_dir = config.bundled_model_dir()
    model = classify.load(model_dir)
    size = (model_dir / classify.MODEL_FILE).stat().st_size
    print(f"model {model_dir / classify.MODEL_FILE}: {size / 2**20:.2f} MB (target <= 20 MB)")
    holdout_scores(model)
    enron_scores(model, args.corpora)
    raws = ordinary_false_positives(model, args.corpora)
    throughput(model, raws)
    if not args.skip_train:
        training_time()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
