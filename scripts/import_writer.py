"""Bring one independent writer's file into the labeled corpus.

    python scripts/import_writer.py STAGED.jsonl --name round3_terse            # train + validation
    python scripts/import_writer.py STAGED.jsonl --name fresh_t1 --split holdout  # new-writer test
    python scripts/import_writer.py STAGED.jsonl --name x --check                 # check only

Writers hand in JSONL with the guide's fields plus `evidence`: the exact words (1 to 3 strings)
that carry the exchange on each positive. Those become `rationale` offsets (as
`scripts/add_rationales.py` does for annotators). The writer's name is stored on every row, and
every row gets its split here, never from `influence.splits`:

- `--split holdout`: the whole file is held out (a writer who wrote nothing else, evaluated once);
- otherwise its threads (merged through near-duplicates) go 80/20 to train and validation, so a
  new writer's rows never land in the test split their style could leak into.

Checks, all before anything is written: fields and 0/1 labels, ids unique here and in the corpus,
evidence found verbatim and short enough to be evidence, none on negatives.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from influence.splits import thread_groups  # noqa: E402

LABELS = ("gift_offer", "promotion_request", "promotion_for_gifts")
MAX_SPAN = 600


def check(rows: list[dict], known_ids: set[str]) -> list[str]:
    problems = []
    seen: set[str] = set()
    for r in rows:
        rid = r.get("id", "?")
        if not r.get("text") or not r.get("thread_id") or rid in seen or rid in known_ids:
            problems.append(f"{rid}: missing text or thread_id, or a duplicate id")
        seen.add(rid)
        if any(r.get(k) not in (0, 1) for k in LABELS):
            problems.append(f"{rid}: labels must be 0/1")
        evidence = r.get("evidence") or []
        if bool(evidence) != bool(r.get("promotion_for_gifts")):
            problems.append(f"{rid}: evidence on a negative, or a positive without evidence")
        for span in evidence:
            if not span.strip() or span not in r["text"]:
                problems.append(f"{rid}: evidence not in the text: {span[:60]!r}")
            elif len(span) > MAX_SPAN:
                problems.append(f"{rid}: evidence of {len(span)} characters is more than a sentence or two")
    return problems


def splits_for(rows: list[dict], holdout: bool, seed: str) -> list[str]:
    if holdout:
        return ["holdout"] * len(rows)
    groups = thread_groups(rows)
    # stratified by the label of the group's first row: 20% of each to validation
    first: dict[str, int] = {}
    for r, g in zip(rows, groups):
        first.setdefault(g, r["promotion_for_gifts"])
    split_of: dict[str, str] = {}
    for label in (0, 1):
        members = sorted((g for g, y in first.items() if y == label),
                         key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())  # fmt: skip
        n_val = round(0.2 * len(members))
        for k, g in enumerate(members):
            split_of[g] = "validation" if k < n_val else "train"
    return [split_of[g] for g in groups]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("staged", type=Path)
    ap.add_argument("--name", required=True, help="writer name and file stem in corpora/labeled")
    ap.add_argument("--split", choices=["holdout"], default=None)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpora" / "labeled")
    ap.add_argument("--check", action="store_true", help="only check the staged file; write nothing")
    args = ap.parse_args()
    out = args.corpus / f"{args.name}.jsonl"
    if out.exists():
        print(f"{out} exists; refusing to overwrite a corpus file", file=sys.stderr)
        return 1
    rows = [json.loads(x) for x in args.staged.read_text(encoding="utf-8").splitlines() if x.strip()]
    known = {json.loads(x)["id"] for f in args.corpus.glob("*.jsonl")
             for x in f.read_text(encoding="utf-8").splitlines() if x.strip()}  # fmt: skip
    problems = check(rows, known)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    if args.check:
        positives = sum(r["promotion_for_gifts"] for r in rows)
        print(f"{args.staged}: {len(rows)} rows, {positives} positive, no problems")
        return 0
    splits = splits_for(rows, args.split == "holdout", seed=f"influence-{args.name}")
    lines = []
    for r, split in zip(rows, splits):
        spans = sorted([r["text"].find(s), r["text"].find(s) + len(s)] for s in r.get("evidence") or [])
        row = {"id": r["id"], "text": r["text"], **{k: r[k] for k in LABELS}, "vendor": r.get("vendor") or "",
               "pattern": r.get("pattern") or "", "thread_id": r["thread_id"], "split": split,
               "writer": args.name}  # fmt: skip
        if spans:
            row["rationale"] = spans
        lines.append(json.dumps(row, ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = {s: splits.count(s) for s in sorted(set(splits))}
    print(f"{out}: {len(rows)} rows, {sum(r['promotion_for_gifts'] for r in rows)} positive, {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
