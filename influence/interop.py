"""Labels out of a review project and back in: the corpus JSONL that `influence train` reads,
Prodigy's JSONL and Label Studio's JSON tasks, so that labels made in either tool come in too.

Every format carries the message's project id, which is how an import finds the message again;
a record whose id the project does not hold is counted and skipped, never guessed at.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from influence.project import LABELS, ProjectError, add_label, current_labels, message_of
from influence.types import Message

FORMATS = ("corpus", "prodigy", "label-studio")
PRODIGY_LABEL = "PROMOTION_FOR_GIFTS"
_ANSWERS = {"positive": "accept", "negative": "reject", "unsure": "ignore"}
_FROM_ANSWER = {v: k for k, v in _ANSWERS.items()}


def _labelled(db: sqlite3.Connection) -> Iterator[tuple[Message, str, sqlite3.Row, sqlite3.Row | None]]:
    """(message, standing label, its latest label row, its latest score) in reading order."""
    for mid, label in current_labels(db).items():
        row = db.execute("SELECT * FROM messages WHERE id = ?", (mid,)).fetchone()
        last = db.execute(
            "SELECT * FROM labels WHERE message_seq = ? AND label != 'undo' ORDER BY n DESC LIMIT 1",
            (row["seq"],),
        ).fetchone()
        score = db.execute(
            "SELECT * FROM scores WHERE message_seq = ? ORDER BY version DESC LIMIT 1", (row["seq"],)
        ).fetchone()
        yield message_of(row), label, last, score


def export(db: sqlite3.Connection, fmt: str, out: str | Path) -> int:
    """Write the project's standing labels in `fmt`; returns the number of records written."""
    if fmt not in FORMATS:
        raise ProjectError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    records = [_record(fmt, *item) for item in _labelled(db)]
    records = [r for r in records if r is not None]
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "label-studio":
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return len(records)


def _record(fmt: str, m: Message, label: str, last: sqlite3.Row, score: sqlite3.Row | None) -> dict | None:
    spans = json.loads(score["evidence"]) if score is not None and score["evidence"] else []
    meta = {"id": m.id, "source": m.source, "page": m.page, "bates": m.bates, "reviewer": last["reviewer"],
            "note": last["note"]}  # fmt: skip
    if fmt == "corpus":
        if label == "unsure":
            return None  # not a training label
        # the columns an `influence ingest` export has, which the corpus reader takes back as is
        return {"id": m.id, "text": m.body, "quoted": m.quoted, "from": m.from_, "to": m.to, "cc": m.cc,
                "date": m.date, "subject": m.subject, "promotion_for_gifts": int(label == "positive"),
                "split": "train", "writer": f"review:{m.source}", "thread_id": m.thread_id,
                "reviewer": last["reviewer"], "note": last["note"]}  # fmt: skip
    text = m.text  # the string evidence offsets refer to
    if fmt == "prodigy":
        return {"text": text, "label": PRODIGY_LABEL, "answer": _ANSWERS[label], "meta": meta,
                "spans": [{"start": s["start"], "end": s["end"], "label": s["label"]}
                          for s in spans]}  # fmt: skip
    return {
        "data": {"text": text, "message_id": m.id, "source": m.source, "page": m.page, "bates": m.bates},
        "annotations": [{"result": [{"from_name": "label", "to_name": "text", "type": "choices",
                                     "value": {"choices": [label]}}],
                         "completed_by": last["reviewer"]}],
        "predictions": [] if score is None else [{
            "model_version": str(score["version"]), "score": score["score"],
            "result": [{"from_name": "evidence", "to_name": "text", "type": "labels",
                        "value": {"start": s["start"], "end": s["end"], "text": s["text"],
                                  "labels": [s["label"]]}}
                       for s in spans],
        }],
    }  # fmt: skip


def import_labels(db: sqlite3.Connection, path: str | Path, reviewer: str | None = None) -> tuple[int, int]:
    """Read labels from a corpus, Prodigy or Label Studio file (told apart by their fields) into
    the project; returns (labels added, records whose message the project does not hold)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProjectError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    stripped = text.lstrip()
    try:
        records = json.loads(stripped) if stripped.startswith("[") else [
            json.loads(line) for line in text.splitlines() if line.strip()
        ]  # fmt: skip
    except ValueError as exc:
        raise ProjectError(f"{path} is not JSON or JSONL: {exc}") from exc
    known = {r[0] for r in db.execute("SELECT id FROM messages")}
    added = missing = 0
    for record in records:
        found = _read_record(record)
        if found is None:
            continue
        mid, label, who, note = found
        if mid not in known:
            missing += 1
            continue
        add_label(db, mid, label, reviewer or who or f"import:{path.name}", note)
        added += 1
    return added, missing


def _read_record(r: dict[str, Any]) -> tuple[str, str, str | None, str | None] | None:
    if not isinstance(r, dict):
        return None
    if "answer" in r:  # Prodigy
        meta = r.get("meta") or {}
        label = _FROM_ANSWER.get(r["answer"])
        if not label or "id" not in meta:
            return None
        return str(meta["id"]), label, meta.get("reviewer"), meta.get("note")
    if "data" in r:  # Label Studio
        data, annotations = r["data"], r.get("annotations") or []
        if "message_id" not in data or not annotations:
            return None
        ann = annotations[-1]
        choices = [c for res in ann.get("result", []) if res.get("type") == "choices"
                   for c in res.get("value", {}).get("choices", [])]  # fmt: skip
        label = next((c for c in reversed(choices) if c in LABELS), None)
        who = ann.get("completed_by")
        return (str(data["message_id"]), label, str(who) if who else None, None) if label else None
    if "promotion_for_gifts" in r and "id" in r:  # the corpus format
        value = r["promotion_for_gifts"]
        if value not in (0, 1, "0", "1", True, False):
            return None
        return str(r["id"]), "positive" if int(value) else "negative", r.get("reviewer"), r.get("note")
    return None
