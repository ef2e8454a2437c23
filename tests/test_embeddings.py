"""Sentence-embedding features: pooling over sentences, bounds on the work, and the real encoder
when the `embed` extra is installed."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from influence import embeddings
from influence.embeddings import DIM, MAX_SENTENCES, SentenceEmbeddings, available, doc_vectors
from influence.nlp import default_nlp, docs_for
from influence.types import Message

needs_encoder = pytest.mark.skipif(not available(), reason="the embed extra is not installed")


class FakeEncoder:
    """Stands in for MiniLM: a fixed unit vector per text, and a record of what was encoded."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        self.seen += texts
        rng = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=DIM) for t in texts]
        return np.array([v / np.linalg.norm(v) for v in rng], dtype=np.float32)


def _docs(*bodies: str) -> list:
    messages = [Message(id=str(i), source="t", body=b) for i, b in enumerate(bodies)]
    return list(docs_for(default_nlp(), messages))


def test_vectors_pool_sentences_and_add_the_linked_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeEncoder()
    monkeypatch.setattr(embeddings, "encoder", lambda: fake)
    docs = _docs(
        "Range is closed Friday. Qualification moves to Monday.",
        "Share the code with residents. Once it reaches 10 uses we ship 5 free doorbells to the unit.",
    )
    X = doc_vectors(docs)
    assert X.shape == (2, 3 * DIM)
    first = FakeEncoder().encode(["Range is closed Friday.", "Qualification moves to Monday."])
    assert np.allclose(X[0, :DIM], first.mean(axis=0), atol=1e-6)
    assert np.allclose(X[0, DIM : 2 * DIM], first.max(axis=0), atol=1e-6)
    # No linked sentence in routine mail: the opening of the text stands in for it.
    assert "Range is closed Friday. Qualification moves to Monday." in fake.seen
    # the linked sentence (gift and promotion meet) is embedded, once though it is also a sentence
    assert sum("free doorbells" in t and "10 uses" in t for t in fake.seen) == 1
    assert doc_vectors([]).shape == (0, 3 * DIM)


def test_each_distinct_sentence_is_encoded_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reply in a thread quotes the history again: its sentences are not encoded again, and
    the vectors are those a fresh encoding gives."""
    fake = FakeEncoder()
    monkeypatch.setattr(embeddings, "encoder", lambda: fake)
    history = "On Monday the vendor offered ten cameras. The chief asked for a quote first."
    first = doc_vectors(_docs(f"Thanks, see below. {history}"))
    seen = len(fake.seen)
    again = doc_vectors(_docs(f"Agreed, see below. {history}", f"Thanks, see below. {history}"))
    assert len(fake.seen) - seen == 2  # the new opening sentence, and that reply's own stand-in
    assert np.allclose(again[1], first[0]) and not np.allclose(again[0], first[0])


def test_a_long_dump_is_embedded_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeEncoder()
    monkeypatch.setattr(embeddings, "encoder", lambda: fake)
    body = " ".join(f"Line {i} of the printed thread says nothing much." for i in range(3 * MAX_SENTENCES))
    doc_vectors(_docs(body))
    assert len(fake.seen) == MAX_SENTENCES + 1  # sentences, then the stand-in for linked text


def test_estimator_is_stateless_and_pickles_without_the_encoder() -> None:
    est = SentenceEmbeddings(weight=0.3)
    assert clone(est).get_params() == {"weight": 0.3}
    assert est.fit([]) is est
    assert len(pickle.dumps(est)) < 1000


@needs_encoder
def test_real_encoder_puts_paraphrases_closer_than_unrelated_mail() -> None:
    X = doc_vectors(_docs(
        "If your officers share the referral code, we will send the department free cameras.",
        "We'll give your agency complimentary cameras when officers promote our referral link.",
        "The range will be closed Friday for berm repairs.",
    ))  # fmt: skip
    linked = X[:, 2 * DIM :]
    assert np.allclose(np.linalg.norm(linked, axis=1), 1, atol=1e-4)
    assert linked[0] @ linked[1] > linked[0] @ linked[2] + 0.2
