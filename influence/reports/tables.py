"""Row outputs a reporter can open in a spreadsheet or load in pandas.

The suffix of the output path picks the format; `-` is JSONL on stdout. Files are written under a
temporary name and renamed at the end, so an interrupted run never leaves a half file that looks
whole.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from influence.errors import OutputError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def output_format(out: str) -> str:
    if out == "-":
        return "jsonl"
    fmt = FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise OutputError(f"Cannot tell the output format of {out}: use a name ending in "
                          ".csv, .jsonl or .parquet, or - for JSONL on stdout")  # fmt: skip
    return fmt


@contextmanager
def atomic_path(out: str) -> Iterator[Path]:
    target = Path(out)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"Cannot write {out}: {exc.strerror or exc}") from exc
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; outputs get the usual mode
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        if value and all(isinstance(v, str) for v in value):
            return "; ".join(value)
        return json.dumps(value, ensure_ascii=False) if value else ""
    if value is None:
        return ""
    return value


def _write_jsonl(rows: Iterable[dict[str, Any]], fh: IO[str]) -> int:
    n = 0
    for row in rows:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


def _write_csv(rows: Iterable[dict[str, Any]], fh: IO[str], columns: list[str]) -> int:
    writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
        n += 1
    return n


def _write_parquet(rows: Iterable[dict[str, Any]], path: Path, columns: list[str]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 0
    writer = None
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal writer
        table = pa.Table.from_pylist(
            [{k: (json.dumps(r.get(k), ensure_ascii=False) if isinstance(r.get(k), (list, dict))
                  else r.get(k)) for k in columns} for r in batch]
        )  # fmt: skip
        table = table.cast(pa.schema([(c, _arrow_type(c)) for c in columns]))
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        batch.clear()

    for row in rows:
        batch.append(row)
        n += 1
        if len(batch) >= 2048:
            flush()
    if batch or writer is None:
        flush()
    assert writer is not None
    writer.close()
    return n


def _arrow_type(column: str) -> Any:
    import pyarrow as pa

    if column in ("score", "gift_offer", "promotion_request"):
        return pa.float64()
    if column in ("page", "line", "offset"):
        return pa.int64()
    if column == "flagged":
        return pa.bool_()
    return pa.string()


def write_rows(rows: Iterable[dict[str, Any]], out: str, columns: list[str]) -> int:
    """Write rows to `out` (format from its suffix); returns the number of rows written."""
    fmt = output_format(out)
    if out == "-":
        return _write_jsonl(rows, sys.stdout)
    with atomic_path(out) as tmp:
        if fmt == "parquet":
            return _write_parquet(rows, tmp, columns)
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            if fmt == "csv":
                return _write_csv(rows, fh, columns)
            return _write_jsonl(rows, fh)
