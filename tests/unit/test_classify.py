"""The train path on a tiny corpus, saving and loading, and the refusals that protect a user."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from triage import classify, corpus, message, pipeline


@pytest.fixture(scope="module")
def trained(tiny_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> pipeline.TrainingReport:
    return pipeline.train_model(tiny_corpus, tmp_path_factory.mktemp("model"), folds=2)


def corpus_texts(root: Path) -> list[str]:
    return [
        message.model_text(message.parse(example.raw))
        for example in corpus.read_corpus(root, classify.LABELS)
    ]


def test_training_writes_a_model_and_a_card_that_describes_it(
    trained: pipeline.TrainingReport, tiny_corpus: Path
) -> None:
    card = json.loads(trained.card_path.read_text())
    assert card["labels"] == list(classify.LABELS)
    assert sum(card["counts"].values()) == len(list(tiny_corpus.rglob("*.eml")))
    examples = corpus.read_corpus(tiny_corpus, classify.LABELS)
    assert card["corpus_hash"] == corpus.corpus_hash(tiny_corpus, examples)
    assert card["evaluation"]["per_label"].keys() == set(classify.LABELS)
    assert len(card["evaluation"]["confusion"]["matrix"]) == len(classify.LABELS)


def test_a_saved_model_predicts_exactly_what_it_did_before_saving(
    trained: pipeline.TrainingReport, tiny_corpus: Path
) -> None:
    texts = corpus_texts(tiny_corpus)
    loaded = classify.load(trained.model_path.parent)
    again = classify.load(trained.model_path.parent)
    assert loaded.predict(texts) == again.predict(texts)
    assert all(0.0 <= p.confidence <= 1.0 for p in loaded.predict(texts))


def test_training_twice_gives_identical_predictions(
    trained: pipeline.TrainingReport, tiny_corpus: Path, tmp_path: Path
) -> None:
    second = pipeline.train_model(tiny_corpus, tmp_path, folds=2)
    texts = corpus_texts(tiny_corpus)
    first_model = classify.load(trained.model_path.parent)
    assert first_model.predict(texts) == classify.load(second.model_path.parent).predict(texts)
    assert second.evaluation == trained.evaluation


def test_loading_refuses_a_model_from_another_scikit_learn(
    trained: pipeline.TrainingReport, tmp_path: Path
) -> None:
    model = classify.load(trained.model_path.parent)
    classify.save(replace(model, card=replace(model.card, sklearn_version="0.1")), tmp_path)
    with pytest.raises(classify.ModelError, match="triage train"):
        classify.load(tmp_path)


def test_loading_refuses_a_model_with_other_labels(
    trained: pipeline.TrainingReport, tmp_path: Path
) -> None:
    model = classify.load(trained.model_path.parent)
    classify.save(replace(model, card=replace(model.card, labels=("spam", "ham"))), tmp_path)
    with pytest.raises(classify.ModelError, match="labels spam, ham"):
        classify.load(tmp_path)


def test_loading_refuses_a_model_holding_foreign_types(
    trained: pipeline.TrainingReport, tmp_path: Path
) -> None:
    """A model file naming a type outside scikit-learn/NumPy/SciPy is refused, not imported."""
    source = trained.model_path
    target = tmp_path / classify.MODEL_FILE
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "schema.json":
                data = data.replace(b'"sklearn.svm._classes"', b'"os"', 1)
            new.writestr(item, data)
    (tmp_path / classify.CARD_FILE).write_text(trained.card_path.read_text())
    with pytest.raises(classify.ModelError, match="does not trust"):
        classify.load(tmp_path)


def test_a_missing_model_says_to_run_train(tmp_path: Path) -> None:
    with pytest.raises(classify.ModelError, match="Run `triage train`"):
        classify.load(tmp_path)


def test_a_label_with_too_few_examples_is_refused_by_name() -> None:
    labels = ["retained"] * 5 + ["contingent"] * 2 + ["in_house"] * 5 + ["sourcing"] * 5
    with pytest.raises(classify.ModelError, match=r"contingent \(2\), other \(0\)"):
        classify.check_training_set(labels + ["other"] * 0, minimum=5)


def test_unknown_labels_are_refused() -> None:
    with pytest.raises(classify.ModelError, match="Unknown labels in the corpus: spam"):
        classify.check_training_set(["spam"], minimum=1)


def test_evaluation_counts_recruiter_precision_over_all_four_recruiter_labels() -> None:
    truth = ["retained", "contingent", "other", "other", "sourcing"]
    predicted = ["contingent", "contingent", "in_house", "other", "other"]
    evaluation = classify.evaluate(truth, predicted)
    assert evaluation.recruiter_precision == round(2 / 3, 4)
    assert evaluation.recruiter_recall == round(2 / 3, 4)
    assert evaluation.accuracy == 0.4
    assert evaluation.confusion[0][1] == 1
