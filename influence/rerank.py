"""The optional second pass: re-score the plausible messages with sentence embeddings added.

The first pass (TF-IDF, character n-grams and rule features) scores every message cheaply. Only
messages at or above `cutoff` get the slower embeddings (see `influence.embeddings`); their score
becomes that of a classifier trained on the first pass's features plus the embeddings. Messages
below the cutoff keep their first-pass score. The cutoff is set at training time so that nearly
every held-out positive reaches the second pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from spacy.tokens import Doc

from influence.embeddings import SentenceEmbeddings


@dataclass
class Reranker:
    classifier: CalibratedClassifierCV
    embed: SentenceEmbeddings
    cutoff: float  # first-pass scores below this are final
    threshold: float  # decision threshold on the two-pass score

    def candidates(self, first: np.ndarray) -> np.ndarray:
        return np.flatnonzero(first >= self.cutoff)

    def features(self, X_first: Any, docs: list[Doc]) -> Any:
        return sp.hstack([sp.csr_matrix(X_first), sp.csr_matrix(self.embed.transform(docs))]).tocsr()

    def rescore(self, X_first: Any, docs: list[Doc], first: np.ndarray) -> np.ndarray:
        """Two-pass scores: the candidates re-scored, the rest as the first pass left them."""
        out = np.array(first, dtype=float)
        cand = self.candidates(out)
        if len(cand):
            X = self.features(X_first[cand], [docs[i] for i in cand])
            out[cand] = self.classifier.predict_proba(X)[:, 1]
        return out


def choose_cutoff(y: np.ndarray, first: np.ndarray, min_recall: float, ceiling: float) -> float:
    """The highest first-pass score that still sends `min_recall` of the held-out positives to the
    second pass, and never above `ceiling` (the first pass's own threshold)."""
    pos = np.sort(first[y == 1])[::-1]
    if not len(pos):
        return ceiling
    k = max(1, int(np.ceil(min_recall * len(pos))))
    return float(min(ceiling, pos[k - 1]))
