"""Training, persistence and the integrity check of the model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sklearn.base import clone

from influence.corpus import load_corpus
from influence.errors import CorpusError, ModelError
from influence.features import DocFeatures
from influence.model import TARGET, build_pipeline, load_model, text_key
from influence.nlp import default_nlp, docs_for
from influence.settings import settings
from influence.training import train
from influence.types import Message
from tests.conftest import labeled_rows


def test_model_card_matches_artifact(small_model: Path) -> None:
    card = json.loads((small_model / "card.json").read_text())
    model = load_model(small_model)
    assert model.card["sha256"] == card["sha256"]
    assert 0 < model.threshold < 1
    assert set(model.pipelines) == {TARGET, "gift_offer", "promotion_request"}
    assert card["metrics"]["cross_validation"]["n"] == card["training_data"]["train_rows"]
    assert card["target_scorer"] == "window"  # the default: scored by its strongest sentences
    assert card["versions"]["scikit-learn"]
    # The card says whether the whole-message scorer reads a focus, as the fitted model does.
    scorer = model.pipelines[TARGET].steps[-1][1]
    focused = scorer.message_ is not None
    assert (card["focus"] is not None) == focused == model.passes.endswith("their focus")
    if focused:
        assert (card["focus"]["radius"], card["focus"]["top"]) == tuple(scorer.focus_)
        assert "reads only each message's focus" in (small_model / "README.md").read_text()


def test_recorded_evaluations_join_the_card_and_its_readme(tmp_path: Path, small_model: Path) -> None:
    from influence.card import record

    d = tmp_path / "m"
    shutil.copytree(small_model, d)
    figures = {"n": 440, "positives": 150, "average_precision": 0.91, "recall_at_precision_90": 0.8}
    record(d, "holdout split", {**figures, "threshold": 0.5, "labels": {}}, "`make holdout`")
    record(d, "holdout split", {**figures, "average_precision": 0.93}, "`make holdout`, again")
    card = json.loads((d / "card.json").read_text())
    assert list(card["evaluations"]) == ["holdout split"]  # the same name is replaced, not repeated
    assert card["evaluations"]["holdout split"]["metrics"]["average_precision"] == 0.93
    assert "labels" not in card["evaluations"]["holdout split"]["metrics"]
    readme = (d / "README.md").read_text()
    assert "| holdout split | 440 | 150 | 0.9300 |" in readme and "`make holdout`, again" in readme
    load_model(d)  # the artifact still passes its integrity check


def test_missing_card_or_changed_card_refused(tmp_path: Path, small_model: Path) -> None:
    d = tmp_path / "m"
    shutil.copytree(small_model, d)
    card = json.loads((d / "card.json").read_text())
    card["sha256"] = "0" * 64
    (d / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="does not match the sha256"):
        load_model(d)
    (d / "card.json").unlink()
    with pytest.raises(ModelError, match="cannot be verified"):
        load_model(d)


def test_older_model_files_load_and_count_characters_the_fast_way(tmp_path: Path, small_model: Path) -> None:
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer

    from influence.model import _vectorizers, sha256_file
    from influence.ngrams import CharTfidf

    model = load_model(small_model)
    mail = [Message(id="a", source="t", body="Ten sign-ups with your code earn the unit a free camera.")]
    before = model.predict(list(docs_for(default_nlp(), mail)))[TARGET]
    assert any(type(v) is CharTfidf for v in _vectorizers(model.pipelines))
    for vec in _vectorizers(model.pipelines):  # as a model saved before CharTfidf holds them
        if type(vec) is CharTfidf:
            vec.__class__ = TfidfVectorizer
    d = tmp_path / "old"
    shutil.copytree(small_model, d)
    joblib.dump({"format": 1, "pipelines": model.pipelines, "thresholds": model.thresholds, "train_keys": [],
                 "rerank": None}, d / "model.joblib", compress=3)  # fmt: skip
    card = json.loads((d / "card.json").read_text())
    (d / "card.json").write_text(json.dumps({**card, "sha256": sha256_file(d / "model.joblib")}))
    old = load_model(d)
    assert all(type(v) is CharTfidf for v in _vectorizers(old.pipelines) if v.analyzer == "char_wb")
    assert abs(old.predict(list(docs_for(default_nlp(), mail)))[TARGET][0] - before[0]) < 1e-9
    joblib.dump({"format": 99}, d / "model.joblib")
    (d / "card.json").write_text(json.dumps({**card, "sha256": sha256_file(d / "model.joblib")}))
    with pytest.raises(ModelError, match="model format 99"):
        load_model(d)


def test_predictions_rank_a_clear_offer_over_routine_mail(small_model: Path) -> None:
    model = load_model(small_model)
    msgs = [
        Message(id="a", source="t", subject="Your code", from_="rep@ring.com",
                body="Great news: once your discount code reaches 10 uses the department earns "
                     "Gold status and we ship 5 free doorbells for your community team."),
        Message(id="b", source="t", subject="Range", body="Range closed Friday for repairs."),
    ]  # fmt: skip
    probs = model.predict(list(docs_for(default_nlp(), msgs)))
    assert probs[TARGET][0] > probs[TARGET][1]


def test_test_split_is_never_trained_on(tmp_path: Path, small_corpus: Path) -> None:
    rows = [json.loads(line) for line in small_corpus.read_text().splitlines()]
    held = rows[0]
    held["split"] = "test"
    data = tmp_path / "c.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    card = train([data], tmp_path / "m", folds=3)
    assert card["training_data"]["test_rows"] == 1
    model = load_model(tmp_path / "m")
    examples = load_corpus([data]).examples
    held_key = text_key(next(e for e in examples if e.split == "test").message.text)
    assert held_key not in model.train_keys
    assert {text_key(e.message.text) for e in examples if e.split == "train"} <= model.train_keys


def test_training_needs_both_classes(tmp_path: Path) -> None:
    data = tmp_path / "c.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": f"note {i}", "promotion_for_gifts": 0}) + "\n"
                            for i in range(10)))  # fmt: skip
    with pytest.raises(CorpusError, match="both 0 and 1"):
        train([data], tmp_path / "m")


def test_bad_label_value_is_named(tmp_path: Path) -> None:
    data = tmp_path / "c.jsonl"
    data.write_text(json.dumps({"id": "1", "text": "x y z", "promotion_for_gifts": 2}) + "\n")
    with pytest.raises(CorpusError, match="must be 0 or 1"):
        train([data], tmp_path / "m")


def test_estimators_follow_the_sklearn_contract() -> None:
    pipe = build_pipeline()
    assert clone(pipe).get_params()["classifier__method"] == "sigmoid"
    feats = DocFeatures()
    assert feats.fit([]) is feats and clone(feats).get_params() == {}


def test_shipped_model_card_agrees_with_the_corpus() -> None:
    import hashlib

    from influence.model import DEFAULT_MODEL_DIR
    from tests.conftest import ROOT

    card = json.loads((DEFAULT_MODEL_DIR / "card.json").read_text())
    files = {f["path"]: f for f in card["training_data"]["files"]}
    on_disk = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "corpora" / "labeled").glob("*.jsonl"))
    assert sorted(files) == on_disk, "retrain with `make model` after changing the corpus"
    for path, f in files.items():
        assert hashlib.sha256((ROOT / path).read_bytes()).hexdigest() == f["sha256"], path
    assert card["target_scorer"] == "window" and card["rerank"] is None  # scored by its strongest windows
    w = settings()["windows"]  # the shipped model is fitted with the shipped settings
    assert card["focus"] == ({"radius": w["focus_radius"], "top": w["focus_top"]} if w["message"] else None)
    # Real mail as background negatives, only the train half of each collection: the false-positive
    # figures (scripts/fpr.py, scripts/prevalence.py) read the other half.
    assert card["background"]["part"] == "train" and card["reproducible_from_corpora_alone"] is False
    for reported in card["test"].values():  # the card reports the held-out test split
        assert reported["n"] == card["training_data"]["test_rows"]
    assert card["training_data"]["test_rows"] > 0
    # The figures recorded when it shipped (issue 9: the card carries the headline) count the rows
    # the corpus holds now.
    rows = labeled_rows()
    recorded = card.get("evaluations") or {}
    assert "holdout split" in recorded and any(k.startswith("writer-grouped CV") for k in recorded)
    for split in ("holdout", "test"):
        if f"{split} split" in recorded:
            got = recorded[f"{split} split"]["metrics"]
            want = [r["promotion_for_gifts"] for r in rows if r["split"] == split]
            assert (got["n"], got["positives"]) == (len(want), sum(want)), split
    from influence.pipeline import pattern_drift

    shipped = load_model(DEFAULT_MODEL_DIR)  # the shipped artifact passes its own integrity check
    assert clone(shipped.pipelines[TARGET]).get_params()  # its estimators still take sklearn's contract
    assert pattern_drift(shipped) == [], "patterns changed: retrain with `make model`"
