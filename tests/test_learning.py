"""Retraining on a project's labels: what trains a version, what may judge it, what it stores."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from influence import project as proj
from influence.learning import (
    Learner,
    LearningError,
    corpus_paths,
    load_project_model,
    project_check,
    retrain,
)
from influence.model import load_model
from influence.review import init
from tests.conftest import CORPUS, SAMPLE_DUMP, labeled_rows


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Learner]:
    model = load_model()
    model.use_rerank = False
    path = tmp_path_factory.mktemp("learn") / "p.db"
    init(path, [SAMPLE_DUMP], model=model, workers=1)
    return path, Learner(corpus_paths([CORPUS]))


def _scores(db: sqlite3.Connection, version: int) -> dict[str, float]:
    q = "SELECT m.id, s.score FROM scores s JOIN messages m ON m.seq = s.message_seq WHERE s.version = ?"
    return dict(db.execute(q, (version,)).fetchall())


def test_a_retrain_learns_the_reviewers_labels_and_stores_a_whole_version(reviewed) -> None:
    path, learner = reviewed
    with proj.open_project(path) as db:
        before = _scores(db, 1)
        ranked = sorted(before, key=before.get)
        # the reviewer disagrees with the shipped model at both ends of its ranking
        low, high = ranked[:3], ranked[-3:]
        for mid in low:
            proj.add_label(db, mid, "positive", "dana")
        for mid in high:
            proj.add_label(db, mid, "negative", "dana")
        proj.add_label(db, ranked[5], "unsure", "dana")  # unsure trains nothing
        version = retrain(db, learner)
        after = _scores(db, version)
        assert set(after) == set(before)  # every readable message has a score in the new version
        gained = [after[m] - before[m] for m in low]
        lost = [after[m] - before[m] for m in high]
        assert min(gained) > 0 and max(lost) < 0
        card = json.loads(
            db.execute("SELECT card FROM model_versions WHERE version = ?", (version,)).fetchone()[0]
        )
        assert (
            card["training_data"]["project_labels"] == 6 and card["training_data"]["project_positives"] == 3
        )
        assert "test" not in json.dumps(card["threshold_source"])  # threshold from the validation split
        train_rows = sum(r["split"] == "train" for r in labeled_rows())
        assert card["training_data"]["corpus_train_rows"] == train_rows  # no validation, test or holdout row
        model = load_project_model(db, version)
        assert model.thresholds["promotion_for_gifts"] == pytest.approx(
            card["thresholds"]["promotion_for_gifts"]
        )
        # only labels made after the model was trained may judge it
        assert project_check(db) is None
        proj.add_label(db, ranked[10], "negative", "dana")
        check = project_check(db)
        assert check["labels"] == 1 and check["version"] == version


def test_a_tampered_model_is_refused(reviewed, tmp_path: Path) -> None:
    path, learner = reviewed
    copy = tmp_path / "copy.db"
    with sqlite3.connect(path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    with proj.open_project(copy) as db:
        if db.execute("SELECT COUNT(*) FROM model_files").fetchone()[0] == 0:
            retrain(db, learner)
        db.execute("UPDATE model_files SET model = x'00'")
        with pytest.raises(LearningError, match="sha256"):
            load_project_model(db)


def test_retraining_without_a_corpus_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(LearningError, match="--corpus"):
        corpus_paths([tmp_path / "nowhere"])
