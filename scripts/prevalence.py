"""Figures at 1% prevalence: held-out positives mixed into real mail the model never trained on.

    python scripts/prevalence.py [--split holdout test] [--shared ../shared/corpora/real] [-m MODEL]

The corpus holds about a third positives; a real dump holds far fewer. Every real message of the
background (the Clinton and Pruitt releases and the eml/mbox fixtures, only the files a model
trained on background never saw) is kept as a negative, and each split's positives are drawn down
to the prevalence, 20 times. Its negatives are left out: they were written to be hard, and at 1%
the real mail is what the positives must be found in. Skips when `../shared` is absent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKGROUND = ("clinton-state-dept-foia-text", "pruitt-oklahoma-ag-foia-text", "fixtures-eml", "fixtures-mbox",
              "enron")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="*", default=[str(ROOT / "corpora" / "labeled")])
    ap.add_argument("--split", nargs="+", default=["holdout", "test"])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "corpora" / "real"))
    ap.add_argument("-m", "--model", default=None, help="model directory (default: the shipped model)")
    ap.add_argument("--prevalence", type=float, default=0.01)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--record", action="store_true", help="add the figures to the model's card (it ships)")
    args = ap.parse_args()
    if "train" in args.split or "validation" in args.split:
        ap.error("figures are measured on held-out splits only")
    shared = Path(args.shared)
    if not shared.is_dir():
        print(f"skipped: {shared} is not present (the real collections live beside the checkout)")
        return 0
    from influence.background import heldout_for
    from influence.corpus import load_corpus
    from influence.metrics import at_prevalence
    from influence.model import TARGET, load_model
    from influence.readers import iter_messages
    from influence.robustness import scores

    model = load_model(args.model)
    inputs, which = heldout_for(model.card, [shared / n for n in BACKGROUND if (shared / n).exists()])
    background = [m for m in iter_messages(inputs) if m.error is None and m.body.strip()]
    neg = scores(model, background)
    print(f"model threshold {model.threshold:.4f} ({model.passes}); background: {len(neg)} real messages "
          f"({which}), {int((neg >= model.threshold).sum())} flagged")  # fmt: skip
    corpus = load_corpus(args.corpus)
    print("| split | positives drawn | of | AP | recall at precision 0.9 | precision at threshold | "
          "recall at threshold | false alarms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for split in args.split:
        pos_ex = [e for e in corpus.where(split) if e.labels[TARGET] == 1]
        if not pos_ex:
            continue
        pos = scores(model, [e.message for e in pos_ex])
        r = at_prevalence(pos, neg, model.threshold, args.prevalence, args.seeds)
        cells = {k: f"{v['mean']:.3f} (worst {v['worst']:.3f})" for k, v in r.items() if isinstance(v, dict)}
        print(f"| {split} | {r['positives']} | {len(pos)} | {cells['average_precision']} | "
              f"{cells['recall_at_precision_90']} | {cells['precision']} | {cells['recall']} | "
              f"{r['false_alarms']['mean']:.1f} (worst {r['false_alarms']['worst']:.0f}) |")  # fmt: skip
        if args.record:
            from influence.card import record
            from influence.model import DEFAULT_MODEL_DIR

            means = {k: v["mean"] for k, v in r.items() if isinstance(v, dict)}
            how = (f"`scripts/prevalence.py --record`: {r['positives']} of the {len(pos)} positives drawn "
                   f"{args.seeds} times among {len(neg)} real messages the model never trained on ({which}); "
                   f"means over the draws, {r['false_alarms']['mean']:.1f} false alarms at the threshold")
            record(args.model or DEFAULT_MODEL_DIR, f"{split} split at {r['prevalence']:.0%} prevalence",
                   {"n": r["positives"] + r["negatives"], "positives": r["positives"], **means}, how)
    print(f"\n{args.seeds} draws at {r['prevalence']:.2%} prevalence; means, worst draw in brackets.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
