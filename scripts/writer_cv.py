"""Writer-grouped cross-validation: every labeled row scored by a model that never saw its writer.

    python scripts/writer_cv.py [--scorer message|window|hybrid] [--folds 7] [--background DIR ...]
                                [--record MODEL_DIR] [corpus ...]

Each corpus file was written by one writer (or names its writer in a `writer` field), and files
are nearly pure in label, so a model can learn a writer's style in place of the label; grouping
folds by writer measures what a new writer's mail would get. This is the figure that decides
design questions (issue 9); the test split is never read here. Rows: train and validation splits.
`--background` adds the train half of real mail (`influence.background`) to every training fold,
as `make model` does; it is never scored here.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def cross_validate(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Out-of-fold scores of every train and validation row, folds grouped by writer."""
    from sklearn.model_selection import GroupKFold

    from influence.corpus import load_corpus
    from influence.model import TARGET, build_pipeline
    from influence.nlp import docs_for, load
    from influence.windows import WindowScorer, mark_rationale

    examples = load_corpus(args.corpus).where("train", "validation")
    docs = list(docs_for(load(), [e.message for e in examples]))
    for d, e in zip(docs, examples):
        mark_rationale(d, e.rationale)
        d.user_data["group"] = e.group
    y = np.array([e.labels[TARGET] for e in examples])
    writers = np.array([e.writer for e in examples])
    bg_docs: list = []
    if args.background:
        from influence.training import background_examples

        bg, _ = background_examples(args.background, part="train")
        bg_docs = list(docs_for(load(), [e.message for e in bg]))
        for d, e in zip(bg_docs, bg):
            d.user_data["group"] = e.group
        print(f"  {len(bg_docs)} background messages added to every training fold", file=sys.stderr)
    oof = np.zeros(len(y))
    folds = GroupKFold(n_splits=min(args.folds, len(set(writers))))
    for k, (tr, te) in enumerate(folds.split(docs, y, groups=writers)):
        t = time.time()
        if args.scorer == "message":
            model = build_pipeline()
        else:
            model = WindowScorer(message=args.scorer == "hybrid")
        model.fit([docs[i] for i in tr] + bg_docs, np.concatenate([y[tr], np.zeros(len(bg_docs), dtype=int)]))
        oof[te] = model.predict_proba([docs[i] for i in te])[:, 1]
        held = ", ".join(sorted(set(writers[te])))
        print(f"  fold {k + 1}: held out {held} ({time.time() - t:.0f} s)", file=sys.stderr)
    if args.save:
        np.savez(args.save, oof=oof, y=y, writers=writers, ids=np.array([e.message.id for e in examples]),
                 n_folds=folds.n_splits, n_background=len(bg_docs))
    return oof, y, writers, folds.n_splits, len(bg_docs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="*", default=[str(ROOT / "corpora" / "labeled")])
    ap.add_argument("--scorer", choices=("message", "window", "hybrid"), default="message",
                    help="message: the whole-message first pass; window: the window scorer; hybrid: the "
                         "window scorer with the whole-message scorer reading each focus")  # fmt: skip
    ap.add_argument("--folds", type=int, default=7)
    ap.add_argument("--save", type=Path, default=None, help="write the out-of-fold scores here (.npz)")
    ap.add_argument("--scores", type=Path, default=None, help="report (and --record) a --save file, no refit")
    ap.add_argument("--background", nargs="*", default=[], help="real mail folders (train half: negatives)")
    ap.add_argument("--record", type=Path, default=None,
                    help="model directory whose card gets the figures (the model built with these settings)")
    args = ap.parse_args()
    from influence.metrics import binary_metrics, choose_threshold

    if args.scores:  # figures from an earlier run's out-of-fold scores (--save), nothing refitted
        saved = np.load(args.scores)
        oof, y, writers = saved["oof"], saved["y"], saved["writers"]
        n_folds, n_bg = int(saved["n_folds"]), int(saved["n_background"])
    else:
        oof, y, writers, n_folds, n_bg = cross_validate(args)
    threshold = choose_threshold(y, oof, 0.9)
    m = binary_metrics(y, oof, threshold)
    print(f"{args.scorer} scorer, {len(y)} rows ({int(y.sum())} positive), {len(set(writers))} writers, "
          f"{n_folds} writer-grouped folds")  # fmt: skip
    print(f"average precision {m['average_precision']:.3f}  ROC AUC {m['roc_auc']:.3f}  "
          f"recall {m['recall']:.3f} at precision {m['precision']:.3f} (threshold {threshold:.3f})")
    if args.record:
        from influence.card import record

        bg = f", with {n_bg} background messages in every training fold" if n_bg else ""
        record(args.record, f"writer-grouped CV ({args.scorer} scorer)", m,
               f"`scripts/writer_cv.py --scorer {args.scorer} --record`: every train and validation row "
               f"scored by a model that never saw its writer ({len(set(writers))} writers, "
               f"{n_folds} folds{bg}); the figure that decides design questions")  # fmt: skip
    later = np.array([w.startswith(("round", "fresh")) for w in writers])  # round 3 and the first holdout
    if later.any() and (~later).any():  # is a new round helping the first rounds' rows, and how does it fare
        from influence.metrics import recall_at_precision

        for name, s in (("first rounds' rows", ~later), ("later rounds' rows", later)):
            ap = binary_metrics(y[s], oof[s], threshold)["average_precision"]
            print(f"  {name}: {s.sum()} rows, average precision {ap:.3f}, recall at precision 0.9 "
                  f"{recall_at_precision(y[s], oof[s], 0.9):.3f}")  # fmt: skip
    print(f"{'writer':22s} {'rows':>5s} {'pos':>5s} {'flagged':>8s}")
    for w in sorted(set(writers)):
        s = writers == w
        print(f"{w:22s} {s.sum():5d} {y[s].sum():5d} {(oof[s] >= threshold).sum():8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
