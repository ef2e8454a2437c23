"""The embedding second pass: which messages it re-scores, how its cutoff is set, and what a user
sees when its extra is missing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from influence import embeddings
from influence.embeddings import DIM, SentenceEmbeddings, available
from influence.errors import CorpusError
from influence.model import TARGET, load_model
from influence.nlp import default_nlp, docs_for
from influence.pipeline import score_paths
from influence.rerank import Reranker, choose_cutoff
from influence.training import train
from influence.types import Message
from tests.conftest import SAMPLE_DUMP, labeled_rows

needs_encoder = pytest.mark.skipif(not available(), reason="the embed extra is not installed")


class CountingEmbeddings(SentenceEmbeddings):
    """A stand-in for the encoder that records how many docs it was asked to embed."""

    def __init__(self, weight: float = 0.4) -> None:
        super().__init__(weight)
        self.calls: list[int] = []

    def transform(self, X: list) -> np.ndarray:
        self.calls.append(len(X))
        return np.ones((len(X), 3 * DIM)) * self.weight


def test_cutoff_keeps_the_share_of_positives_asked_for() -> None:
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 0])
    first = np.array([0.9, 0.8, 0.4, 0.05, 0.6, 0.3, 0.01, 0.02, 0.7, 0.2])
    assert choose_cutoff(y, first, 0.8, ceiling=1.0) == pytest.approx(0.4)  # 4 of 5 positives
    assert choose_cutoff(y, first, 1.0, ceiling=1.0) == pytest.approx(0.05)
    assert choose_cutoff(y, first, 0.5, ceiling=0.3) == pytest.approx(0.3)  # never above the ceiling
    assert choose_cutoff(np.zeros(3), first[:3], 0.9, ceiling=0.5) == 0.5


def test_only_candidates_are_rescored() -> None:
    rng = np.random.default_rng(0)
    X_first = rng.random((6, 5))
    embed = CountingEmbeddings()
    clf = LogisticRegression().fit(np.hstack([rng.random((20, 5)), np.ones((20, 3 * DIM))]), [0, 1] * 10)
    rr = Reranker(clf, embed, cutoff=0.5, threshold=0.5)
    first = np.array([0.1, 0.7, 0.2, 0.9, 0.49, 0.5])
    out = rr.rescore(X_first, list("abcdef"), first)
    assert embed.calls == [3]  # 0.7, 0.9 and 0.5 reach the cutoff
    assert np.array_equal(out[[0, 2, 4]], first[[0, 2, 4]])
    assert not np.allclose(out[[1, 3, 5]], first[[1, 3, 5]])
    none = rr.rescore(X_first, list("abcdef"), np.zeros(6))
    assert embed.calls == [3] and not none.any()


@pytest.fixture(scope="module")
def two_pass_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train and validation rows of the shipped corpus, thinned out so training stays quick."""
    rows = labeled_rows()
    train, val = ([r for r in rows if r["split"] == s] for s in ("train", "validation"))
    keep = train[::5] + val[::3]
    path = tmp_path_factory.mktemp("corpus2") / "two_pass.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in keep))
    return path


def test_asking_for_the_second_pass_without_its_extra_is_a_clear_error(
    tmp_path: Path, two_pass_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embeddings, "available", lambda: False)
    with pytest.raises(CorpusError, match=r"influence\[embed\]"):
        train([two_pass_corpus], tmp_path / "m", folds=3, rerank=True, target_scorer="message")


@needs_encoder
def test_two_pass_model_trains_scores_and_falls_back(
    tmp_path: Path, two_pass_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = train([two_pass_corpus], tmp_path / "m", folds=3, rerank=True, target_scorer="message")
    rr = card["rerank"]
    assert rr["encoder"] == "all-MiniLM-L6-v2"
    assert 0 < rr["cutoff"] <= card["thresholds"][TARGET]
    assert rr["validation"]["n"] == card["training_data"]["validation_rows"]
    assert "Second pass" in (tmp_path / "m" / "README.md").read_text()

    model = load_model(tmp_path / "m")
    assert model.reranking and model.threshold == pytest.approx(rr["threshold"], abs=1e-6)
    msgs = [
        Message(id="a", source="t", subject="Your code", from_="rep@ring.com",
                body="Great news: once your discount code reaches 10 uses the department earns "
                     "Gold status and we ship 5 free doorbells for your community team."),
        Message(id="b", source="t", subject="9 lot owners", body="9 lot owners signed. you said 10 for "
                "the free camera, getting the last one tmrw so send it over"),
        Message(id="c", source="t", subject="Range", body="Range closed Friday for berm repairs."),
    ]  # fmt: skip
    docs = list(docs_for(default_nlp(), msgs))
    two = model.predict(docs)[TARGET]
    assert two[0] > two[2]
    model.use_rerank = False
    first = model.predict(docs)[TARGET]
    assert model.threshold == pytest.approx(card["thresholds"][TARGET], abs=1e-6)
    above = first >= rr["cutoff"]
    assert above[0] and not above[2]
    assert np.array_equal(two[~above], first[~above])  # below the cutoff: the first pass is final
    assert not np.allclose(two[above], first[above])

    # Without the extra installed: first pass only, its own threshold, and a note saying why.
    monkeypatch.setattr(embeddings, "available", lambda: False)
    model = load_model(tmp_path / "m")
    assert not model.reranking
    summary = score_paths([SAMPLE_DUMP], str(tmp_path / "s.csv"), model=model, workers=1)
    assert summary.threshold == pytest.approx(card["thresholds"][TARGET], abs=1e-6)
    assert any("influence[embed]" in n for n in summary.notes)
