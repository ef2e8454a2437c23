"""Learning curve: test-split average precision against the number of training messages.

Trains the default pipeline on growing, thread-grouped samples of the train split (never the test
split) and scores the fixed test split, so we know whether more labels still help. With the
`embed` extra installed it also fits the second pass on each sample (first-pass features plus
sentence embeddings, computed once per message) and scores every test message with it.

    python scripts/learning_curve.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FRACTIONS = (0.1, 0.25, 0.5, 0.75, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import scipy.sparse as sp
    from sklearn.metrics import average_precision_score

    from influence.corpus import load_corpus
    from influence.embeddings import SentenceEmbeddings, available
    from influence.metrics import recall_at_precision
    from influence.model import TARGET, build_classifier, build_features
    from influence.nlp import default_nlp, docs_for
    from influence.settings import settings

    corpus = load_corpus([ROOT / "corpora" / "labeled"])
    train, test = corpus.where("train"), corpus.where("test")
    nlp = default_nlp()
    train_docs = list(docs_for(nlp, [e.message for e in train]))
    test_docs = list(docs_for(nlp, [e.message for e in test]))
    y_test = np.array([e.labels[TARGET] for e in test])
    two_pass = available()
    if two_pass:
        embed = SentenceEmbeddings(settings()["rerank"]["embed_weight"])
        E_train, E_test = embed.transform(train_docs), embed.transform(test_docs)
    groups = sorted({e.group for e in train})

    def scores(p: np.ndarray) -> tuple[float, float]:
        return average_precision_score(y_test, p), recall_at_precision(y_test, p, 0.9)

    head = "| training messages | positives | test average precision | test recall at precision 0.9 |"
    if two_pass:
        head += " both passes: average precision | both passes: recall at precision 0.9 |"
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for frac in FRACTIONS:
        results, sizes, pos = [], [], []
        for r in range(args.repeats if frac < 1 else 1):
            chosen = set(random.Random(r).sample(groups, max(2, round(frac * len(groups)))))
            idx = [i for i, e in enumerate(train) if e.group in chosen]
            y = np.array([train[i].labels[TARGET] for i in idx])
            if y.sum() < 5:
                continue
            features = build_features().fit([train_docs[i] for i in idx])
            X, X_test = features.transform([train_docs[i] for i in idx]), features.transform(test_docs)
            row = scores(build_classifier().fit(X, y).predict_proba(X_test)[:, 1])
            if two_pass:
                X2 = sp.hstack([X, sp.csr_matrix(E_train[idx])]).tocsr()
                X2_test = sp.hstack([X_test, sp.csr_matrix(E_test)]).tocsr()
                row += scores(build_classifier().fit(X2, y).predict_proba(X2_test)[:, 1])
            results.append(row)
            sizes.append(len(idx))
            pos.append(int(y.sum()))
        cells = " | ".join(f"{v:.3f}" for v in np.mean(results, axis=0))
        print(f"| {np.mean(sizes):.0f} | {np.mean(pos):.0f} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
