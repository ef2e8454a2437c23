"""Labeled data: files or folders of `.jsonl`/`.csv`/`.parquet`, loaded with `datasets`."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from influence.env import set_offline
from influence.errors import CorpusError
from influence.readers.tabular import row_to_message
from influence.types import Message

BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
TARGET = "promotion_for_gifts"
LABEL_FIELDS = ("promotion_for_gifts", "gift_offer", "promotion_request")


@dataclass
class Example:
    message: Message
    labels: dict[str, int | None]
    group: str
    split: str
    pattern: str | None
    vendor: str | None
    # The words that carry the exchange (positives; from `rationale` offsets into the row's text).
    rationale: list[str] = field(default_factory=list)
    # Who wrote the row (the `writer` field; else the file it came from, one writer per file).
    writer: str = ""


@dataclass
class Corpus:
    examples: list[Example]
    files: list[dict[str, Any]]

    @property
    def sha256(self) -> str:
        h = hashlib.sha256()
        for f in sorted(self.files, key=lambda f: f["sha256"]):
            h.update(f["sha256"].encode())
        return h.hexdigest()

    def where(self, *splits: str) -> list[Example]:
        return [e for e in self.examples if e.split in splits]


def corpus_files(paths: list[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix.lower() in BUILDERS)
        elif p.exists():
            files.append(p)
        else:
            raise CorpusError(f"No such file or folder: {p}")
    if not files:
        raise CorpusError(f"No labeled .jsonl, .csv or .parquet files in {', '.join(map(str, paths))}")
    bad = [str(f) for f in files if f.suffix.lower() not in BUILDERS]
    if bad:
        raise CorpusError(f"Unsupported labeled file type: {', '.join(bad)} (use .jsonl, .csv or .parquet)")
    return files


def _label(value: Any, field: str, where: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        v = int(float(value))
    except (TypeError, ValueError):
        v = -1
    if v not in (0, 1):
        raise CorpusError(f"{where}: {field} must be 0 or 1, got {value!r}")
    return v


def _rationale(row: dict[str, Any], where: str) -> list[str]:
    spans = row.get("rationale") or []
    text = str(row.get("text") or "")
    out = []
    for span in spans:
        try:
            start, end = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            raise CorpusError(f"{where}: rationale must be [[start, end], ...], got {spans!r}") from None
        if not 0 <= start < end <= len(text):
            raise CorpusError(f"{where}: rationale [{start}, {end}] is outside the text ({len(text)} chars)")
        out.append(text[start:end])
    return out


def load_corpus(paths: list[str | Path], require_target: bool = True) -> Corpus:
    """Read labeled files with `datasets` (offline) into examples grouped by thread."""
    set_offline()
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    examples: list[Example] = []
    files: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="influence-ds-") as cache:
        for path in corpus_files(paths):
            try:
                ds = datasets.load_dataset(
                    BUILDERS[path.suffix.lower()], data_files=str(path), split="train",
                    cache_dir=cache, keep_in_memory=True,
                )  # fmt: skip
            except Exception as exc:
                raise CorpusError(f"Cannot read labeled file {path}: {exc}") from exc
            if "text" not in ds.column_names:
                raise CorpusError(f"{path} has no 'text' column (columns: {', '.join(ds.column_names)})")
            if require_target and TARGET not in ds.column_names:
                raise CorpusError(f"{path} has no '{TARGET}' column with 0/1 labels")
            rows = ds.to_list()
            files.append(
                {
                    "path": str(path),
                    "rows": len(rows),
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                }
            )
            for i, row in enumerate(rows, 1):
                where = f"{path} row {i}"
                labels = {f: _label(row.get(f), f, where) for f in LABEL_FIELDS}
                if require_target and labels[TARGET] is None:
                    raise CorpusError(f"{where}: missing {TARGET} label")
                msg = row_to_message(row, source=str(path), index=i)
                msg.id = str(row.get("id") or f"{path.name}:{i}")
                examples.append(Example(
                    message=msg,
                    labels=labels,
                    group=str(row.get("thread_id") or msg.id),
                    split=str(row.get("split") or "train"),
                    pattern=row.get("pattern") or None,
                    vendor=row.get("vendor") or None,
                    rationale=_rationale(row, where),
                    writer=str(row.get("writer") or path.stem),
                ))  # fmt: skip
    return Corpus(examples, files)
