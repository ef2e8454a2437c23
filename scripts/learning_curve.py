"""Learning curve: test-split average precision against the number of training messages.

Trains the default pipeline on growing, thread-grouped samples of the train split (never the test
split) and scores the fixed test split, so we know whether more labels still help.

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
    from sklearn.metrics import average_precision_score

    from influence.corpus import load_corpus
    from influence.metrics import recall_at_precision
    from influence.model import TARGET, build_pipeline
    from influence.nlp import default_nlp, docs_for

    corpus = load_corpus([ROOT / "corpora" / "labeled"])
    train, test = corpus.where("train"), corpus.where("test")
    nlp = default_nlp()
    train_docs = list(docs_for(nlp, [e.message for e in train]))
    test_docs = list(docs_for(nlp, [e.message for e in test]))
    y_test = np.array([e.labels[TARGET] for e in test])
    groups = sorted({e.group for e in train})
    print("| training messages | positives | test average precision | test recall at precision 0.9 |")
    print("|---|---|---|---|")
    for frac in FRACTIONS:
        aps, recalls, sizes, pos = [], [], [], []
        for r in range(args.repeats if frac < 1 else 1):
            chosen = set(random.Random(r).sample(groups, max(2, round(frac * len(groups)))))
            idx = [i for i, e in enumerate(train) if e.group in chosen]
            y = np.array([train[i].labels[TARGET] for i in idx])
            if y.sum() < 5:
                continue
            model = build_pipeline().fit([train_docs[i] for i in idx], y)
            p = model.predict_proba(test_docs)[:, 1]
            aps.append(average_precision_score(y_test, p))
            recalls.append(recall_at_precision(y_test, p, 0.9))
            sizes.append(len(idx))
            pos.append(int(y.sum()))
        print(f"| {np.mean(sizes):.0f} | {np.mean(pos):.0f} | {np.mean(aps):.3f} | {np.mean(recalls):.3f} |",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
