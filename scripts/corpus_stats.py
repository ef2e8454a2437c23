"""Counts for the dataset card (corpora/README.md): by label, split, pattern, vendor and form.

python scripts/corpus_stats.py   # prints Markdown to paste into the card
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER_STARTS = ("from:", "date:", "to:", "subject:", "message-id:", "received:", "sent:")


def rows() -> list[dict]:
    return [json.loads(line) for f in sorted((ROOT / "corpora" / "labeled").glob("*.jsonl"))
            for line in f.read_text().splitlines() if line.strip()]  # fmt: skip


def totals(data: list[dict]) -> str:
    pos = sum(r["promotion_for_gifts"] for r in data)
    return f"Total: {len(data)} messages, {pos} positives"


def main() -> None:
    data = rows()
    print(totals(data))
    print()
    print("| split | messages | promotion_for_gifts | gift_offer | promotion_request |")
    print("|---|---|---|---|---|")
    for split in ("train", "validation", "test", "holdout"):
        part = [r for r in data if r["split"] == split]
        counts = [sum(r[k] for r in part) for k in ("promotion_for_gifts", "gift_offer", "promotion_request")]
        print(f"| {split} | {len(part)} | " + " | ".join(map(str, counts)) + " |")
    triples = Counter((r["gift_offer"], r["promotion_request"], r["promotion_for_gifts"]) for r in data)
    print("\n| gift_offer / promotion_request / promotion_for_gifts | messages |\n|---|---|")
    for t, n in sorted(triples.items(), reverse=True):
        print(f"| {t[0]} / {t[1]} / {t[2]} | {n} |")
    later = [r for r in data if r.get("writer")]  # round 3 and the new-writer holdout
    print("\n| writer | split | messages | positives | median words | longest |\n|---|---|---|---|---|---|")
    for w in sorted({r["writer"] for r in later}):
        part = [r for r in later if r["writer"] == w]
        lengths = sorted(len(r["text"].split()) for r in part)
        splits = "/".join(sorted({r["split"] for r in part}))
        print(f"| {w} | {splits} | {len(part)} | {sum(r['promotion_for_gifts'] for r in part)} | "
              f"{lengths[len(lengths) // 2]} | {lengths[-1]} |")  # fmt: skip
    first = [r for r in data if not r.get("writer")]  # later writers name a scenario per message
    print("\n| pattern (rounds 1-2) | messages | positives |\n|---|---|---|")
    pats = Counter(r["pattern"] for r in first)
    for pat, n in sorted(pats.items()):
        print(f"| {pat} | {n} | {sum(r['promotion_for_gifts'] for r in first if r['pattern'] == pat)} |")
    vendors = Counter(r["vendor"] or "(none)" for r in data)
    vpos = Counter(r["vendor"] or "(none)" for r in data if r["promotion_for_gifts"])
    print(f"\nVendors named: {len([v for v in vendors if v != '(none)'])}; "
          f"vendors among positives: {len([v for v in vpos if v != '(none)'])}.\n")  # fmt: skip
    print("| vendor | messages | positives |\n|---|---|---|")
    for v, n in sorted(vendors.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"| {v} | {n} | {vpos[v]} |")
    with_headers = sum(r["text"].lstrip().lower().startswith(HEADER_STARTS) for r in data)
    words = sorted(len(r["text"].split()) for r in data)
    print(f"\nForm: {with_headers} with RFC 822 headers, {len(data) - with_headers} bodies only; "
          f"length {words[0]}–{words[-1]} words, median {words[len(words) // 2]}.")  # fmt: skip


if __name__ == "__main__":
    main()
