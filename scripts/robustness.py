"""Invariance figures of a model on held-out labeled rows (see influence/robustness.py).

    python scripts/robustness.py [--split test] [--shared ../shared/corpora/real] [-m MODEL]
                                 [--first-pass-only]

Exit status 1 when a check misses its target (skipped checks do not count).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="*", default=[str(ROOT / "corpora" / "labeled")])
    ap.add_argument("--split", default="test", help="held-out split to measure on (never a training split)")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "corpora" / "real"))
    ap.add_argument("-m", "--model", default=None, help="model directory (default: the shipped model)")
    ap.add_argument("--first-pass-only", action="store_true", help="skip the embedding second pass")
    args = ap.parse_args()
    if args.split == "train":
        ap.error("robustness is measured on held-out rows, not the training split")
    from influence.corpus import load_corpus
    from influence.model import load_model
    from influence.robustness import run

    model = load_model(args.model)
    model.use_rerank = not args.first_pass_only
    examples = load_corpus(args.corpus).where(args.split)
    passes = model.passes
    print(f"model threshold {model.threshold:.4f} ({passes}); {args.split} split, {len(examples)} messages")
    checks = run(model, examples, Path(args.shared), say=lambda m: print(f"  .. {m}", file=sys.stderr))
    for c in checks:
        print(c.line())
    return 1 if any(c.passed is False for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
