"""Add evidence spans to labeled messages: `rationale` offsets from annotators' quoted substrings.

    python scripts/add_rationales.py SPANS.jsonl [SPANS.jsonl ...] [--corpus corpora/labeled]

Annotators write one line per positive, `{"id": "pa-0001", "spans": ["exact words", ...]}`
(copying the words is easier and safer than counting characters). Each span is located in the
row's `text` and stored as `rationale: [[start, end], ...]` (character offsets, in text order).
A span that does not occur in its row's text, or an id that is not a positive, stops the run
with the list of problems and changes nothing. Rows keep their order and every other field.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def locate(text: str, spans: list[str]) -> list[list[int]] | str:
    """Offsets of each span (the first occurrence), or what went wrong."""
    found = []
    for span in spans:
        at = text.find(span)
        if at < 0 or not span.strip():
            return f"span not in text: {span[:60]!r}"
        found.append([at, at + len(span)])
    return sorted(found)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("spans", nargs="+", type=Path)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpora" / "labeled")
    args = ap.parse_args()
    wanted: dict[str, list[str]] = {}
    for path in args.spans:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                wanted[row["id"]] = row["spans"]
    problems: list[str] = []
    updates: dict[Path, list[dict]] = {}
    for path in sorted(args.corpus.glob("*.jsonl")):
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        touched = False
        for row in rows:
            if row["id"] not in wanted:
                continue
            if not row["promotion_for_gifts"]:
                problems.append(f"{row['id']}: not a positive")
                continue
            got = locate(row["text"], wanted.pop(row["id"]))
            if isinstance(got, str):
                problems.append(f"{row['id']}: {got}")
                continue
            row["rationale"] = got
            touched = True
        if touched:
            updates[path] = rows
    problems += [f"{k}: no such id in {args.corpus}" for k in wanted]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    for path, rows in updates.items():
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{path}: {sum('rationale' in r for r in rows)} rows with a rationale")
    return 0


if __name__ == "__main__":
    sys.exit(main())
