"""Fixed train/validation/test splits for the labeled corpus, grouped so near-duplicates cannot
cross: messages of one thread stay together, and threads whose texts are near-duplicates of each
other are merged into one group first (word 3-gram Jaccard >= 0.5). Groups are spread over
splits within each pattern, so every scenario appears in the test split.

Run: python -m influence.splits corpora/labeled   (fills in missing `split` fields in place)
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

SHINGLE = 3
NEAR_DUPLICATE = 0.5  # Jaccard similarity of word 3-gram shingles
FRACTIONS = {"test": 0.2, "validation": 0.15}


def shingles(text: str, k: int = SHINGLE) -> set[int]:
    words = re.findall(r"\w+", text.lower())
    if len(words) < k:
        return {hash(" ".join(words))}
    return {hash(" ".join(words[i : i + k])) for i in range(len(words) - k + 1)}


def near_duplicate_pairs(texts: list[str], threshold: float = NEAR_DUPLICATE) -> list[tuple[int, int]]:
    """Index pairs whose shingle sets overlap at least `threshold` (Jaccard), via an inverted index."""
    sets = [shingles(t) for t in texts]
    index: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for h in s:
            index[h].append(i)
    pairs = []
    for i, s in enumerate(sets):
        shared: dict[int, int] = defaultdict(int)
        for h in s:
            for j in index[h]:
                if j > i:
                    shared[j] += 1
        for j, n in shared.items():
            if n / (len(s) + len(sets[j]) - n) >= threshold:
                pairs.append((i, j))
    return pairs


def _find(parent: dict[str, str], x: str) -> str:
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def thread_groups(rows: list[dict]) -> list[str]:
    """Each row's group: its thread, merged with every thread it shares a near-duplicate with, so
    that no split can hold a message and its near-copy apart."""
    parent: dict[str, str] = {}
    for r in rows:
        _find(parent, r["thread_id"])
    for i, j in near_duplicate_pairs([r["text"] for r in rows]):
        a, b = _find(parent, rows[i]["thread_id"]), _find(parent, rows[j]["thread_id"])
        if a != b:
            parent[max(a, b)] = min(a, b)
    return [_find(parent, r["thread_id"]) for r in rows]


def assign_splits(rows: list[dict], seed: str = "influence-v1") -> list[str]:
    """A split per row: groups = threads merged through near-duplicate texts. Existing splits are
    kept; only groups with none are assigned."""
    group_of = thread_groups(rows)
    # Rows that already have a split keep it (the test split stays fixed as the corpus grows), and
    # so does the rest of their group.
    split_of: dict[str, str] = {}
    for r, g in zip(rows, group_of):
        if r.get("split") in ("train", "validation", "test", "holdout"):
            split_of.setdefault(g, r["split"])
    # New groups: stratified by the pattern and label of the group's first row.
    strata: dict[tuple[str, int], list[str]] = defaultdict(list)
    seen: set[str] = set(split_of)
    for r, g in zip(rows, group_of):
        if g not in seen:
            seen.add(g)
            strata[(r.get("pattern") or "", int(r["promotion_for_gifts"]))].append(g)
    for _key, groups in sorted(strata.items()):
        groups.sort(key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())
        n = len(groups)
        n_test = round(n * FRACTIONS["test"])
        n_val = round(n * FRACTIONS["validation"])
        for k, g in enumerate(groups):
            split_of[g] = "test" if k < n_test else "validation" if k < n_test + n_val else "train"
    return [split_of[g] for g in group_of]


def load_rows(files: Iterable[Path]) -> list[tuple[Path, dict]]:
    return [(f, json.loads(line)) for f in files for line in f.read_text().splitlines() if line.strip()]


def main(folder: str) -> None:
    files = sorted(Path(folder).glob("*.jsonl"))
    pairs = load_rows(files)
    splits = assign_splits([r for _, r in pairs])
    out: dict[Path, list[str]] = defaultdict(list)
    for (f, r), s in zip(pairs, splits):
        r["split"] = s
        out[f].append(json.dumps(r, ensure_ascii=False))
    for f, lines in out.items():
        f.write_text("\n".join(lines) + "\n")
    counts: dict[str, int] = defaultdict(int)
    for s in splits:
        counts[s] += 1
    print(dict(counts))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "corpora/labeled")
