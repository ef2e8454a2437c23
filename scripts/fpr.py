"""False-positive rate of a model on real mail that holds no vendor gift-for-promotion exchange.

Reads the real public collections in ../shared/corpora/real (never copied into this repository) and
reports, per collection, how many messages the model flags at its threshold. Skips cleanly when the
folder is absent (a user's clone has none).

    python scripts/fpr.py [--shared ../shared/corpora/real] [-m MODEL] [--max-rate 0.005] [--first-pass-only]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = {
    "clinton": ["clinton-state-dept-foia-text"],
    "pruitt": ["pruitt-oklahoma-ag-foia-text"],
    "eml/mbox fixtures": ["fixtures-eml", "fixtures-mbox", "enron"],
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "corpora" / "real"))
    ap.add_argument("-m", "--model", default=None, help="model directory (default: the shipped model)")
    ap.add_argument("--max-rate", type=float, default=0.005, help="fail above this flag rate")
    ap.add_argument("--first-pass-only", action="store_true", help="skip the embedding second pass")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not shared.is_dir():
        print(f"skipped: {shared} is not present (the real collections live beside the checkout)")
        return 0
    import csv

    from influence.model import load_model
    from influence.pipeline import score_paths

    model = load_model(args.model)
    model.use_rerank = not args.first_pass_only
    total = flagged_total = 0
    passes = model.passes
    from influence.background import heldout_for

    print(f"model threshold {model.threshold:.4f} ({passes}); files: {heldout_for(model.card, [])[1]}")
    print(f"{'collection':20s} {'messages':>9s} {'errors':>7s} {'flagged':>8s} {'rate':>8s}")
    with tempfile.TemporaryDirectory(prefix="influence-fpr-") as tmp:
        for name, parts in COLLECTIONS.items():
            inputs, _ = heldout_for(model.card, [shared / p for p in parts if (shared / p).exists()])
            if not inputs:
                continue
            out = Path(tmp) / f"{name.replace('/', '_')}.csv"
            summary = score_paths(inputs, str(out), model=model)
            rate = summary.flagged / max(1, summary.scored)
            total += summary.scored
            flagged_total += summary.flagged
            print(f"{name:20s} {summary.scored:9d} {summary.errors:7d} {summary.flagged:8d} {rate:8.2%}")
            with out.open() as fh:
                for row in csv.DictReader(fh):
                    if row["flagged"] == "True":
                        print(f"    flagged {float(row['score']):.3f} {row['id']}")
    rate = flagged_total / max(1, total)
    verdict = "ok" if rate <= args.max_rate else "ABOVE TARGET"
    print(f"{'all':20s} {total:9d} {'':7s} {flagged_total:8d} {rate:8.2%}", end="  ")
    print(f"target <= {args.max_rate:.2%}: {verdict}")
    return 0 if rate <= args.max_rate else 1


if __name__ == "__main__":
    sys.exit(main())
