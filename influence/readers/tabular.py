"""Rows from JSONL, CSV and Parquet: each row is exactly one message, whatever its text holds."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from influence.readers.rfc822 import (
    decode_bytes,
    guess_encoding,
    iso_date,
    looks_like_headers,
    parse_text,
)
from influence.types import ByteRange, Message

TEXT_COLUMNS = ("text", "body", "message", "content", "rawtext", "raw_text", "email")
ID_COLUMNS = ("id", "doc_id", "docid", "docnumber")
HEADER_COLUMNS = {
    "from_": ("from", "sender", "extractedfrom"),
    "to": ("to", "recipients", "extractedto"),
    "cc": ("cc", "extractedcc"),
    "date": ("date", "sent", "extractedsent", "datesent"),
    "subject": ("subject", "extractedsubject"),
    "message_id": ("message_id", "message-id", "messageid"),
    "in_reply_to": ("in_reply_to", "in-reply-to"),
    "references": ("references",),
    "source": ("source",),  # an `influence ingest` export names the file each message came from
    "page": ("page",),
    "bates": ("bates", "bates_number"),
}

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _pick(lower: dict[str, Any], names: Iterable[str]) -> Any:
    for name in names:
        value = lower.get(name)
        if value not in (None, ""):
            return value
    return None


def text_column(columns: Iterable[str]) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[n] for n in TEXT_COLUMNS if n in lower), None)


def row_to_message(row: dict[str, Any], *, source: str, index: int, line: int | None = None) -> Message:
    """Map one record to a `Message`; header lines at the top of its text fill missing fields."""
    lower = {str(k).lower(): v for k, v in row.items()}
    text = _pick(lower, TEXT_COLUMNS)
    rid = _pick(lower, ID_COLUMNS)
    mid = str(rid) if rid is not None else f"{source}:{index}"
    locator: dict[str, Any] = {"line": line}
    # `influence ingest` writes the author's words and the quoted history apart: read both back,
    # so that scoring its output scores what scoring the original files would
    quoted = lower.get("quoted")
    quoted = quoted.strip() if isinstance(quoted, str) else ""
    empty = any(lower.get(c) == "" for c in TEXT_COLUMNS)  # written, but empty: not missing
    headed = any(_pick(lower, HEADER_COLUMNS[k]) for k in ("from_", "date", "subject"))
    if text is None and (quoted or (empty and headed and not lower.get("error"))):
        text = ""  # a message with no words of its own (a forward, a subject-only note)
    if text is None:
        error = lower.get("error")
        origin = _pick(lower, HEADER_COLUMNS["source"])
        return Message(id=mid, source=str(origin or source), error=str(error) if error else "row has no text",
                       **locator)  # fmt: skip
    text = str(text)
    if looks_like_headers(text):
        msg = parse_text(text, id=mid, source=source, **locator)
    else:
        msg = Message(id=mid, source=source, body=text.strip(), **locator)
    if quoted:
        msg.quoted = f"{msg.quoted}\n\n{quoted}" if msg.quoted else quoted
    for attr, names in HEADER_COLUMNS.items():
        value = _pick(lower, names)
        if value is None:
            continue
        if attr == "page":
            try:
                value = int(value)
            except (TypeError, ValueError):
                continue
        elif attr == "date":
            # Parquet and JSON loaders hand over real dates; str() of an aware datetime
            # ("2020-01-02 03:04:05+00:00") is not a format iso_date knows
            value = value.isoformat() if isinstance(value, date) else iso_date(str(value))
        else:
            value = str(value)
        setattr(msg, attr, value)
    return msg


def _guarded(rows: Iterator[tuple[int, int | None, Any]], source: str) -> Iterator[Message]:
    for index, line, row in rows:
        if isinstance(row, Exception):
            yield Message(id=f"{source}:{index}", source=source, line=line, error=f"unreadable row: {row}")
            continue
        if not isinstance(row, dict):
            yield Message(
                id=f"{source}:{index}",
                source=source,
                line=line,
                error="row is not an object with a text field",
            )
            continue
        try:
            yield row_to_message(row, source=source, index=index, line=line)
        except Exception as exc:
            yield Message(id=f"{source}:{index}", source=source, line=line, error=f"unreadable row: {exc}")


class JsonLines:
    NAME = "jsonl"
    EXTENSIONS = {".jsonl", ".ndjson", ".json"}

    @staticmethod
    def match(head: bytes, path: Path) -> int:
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0].strip()
        if first.startswith(b"{") and (first.endswith(b"}") or len(first) > 4000):
            return 80
        return 0

    @staticmethod
    def split(path: Path, every: int) -> list[ByteRange]:
        """Cut the file into ranges of about `every` bytes at line starts (one scan, no parsing)."""
        cuts = [ByteRange(0, None, 0, 1)]
        index = offset = 0
        with path.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if offset - cuts[-1].start >= every and raw.strip():
                    cuts.append(ByteRange(offset, None, index, lineno))
                index += bool(raw.strip())
                offset += len(raw)
        return [ByteRange(c.start, n.start, c.index, c.line) for c, n in zip(cuts, cuts[1:])] + [cuts[-1]]

    @staticmethod
    def read(path: Path, source: str, span: ByteRange | None = None) -> Iterator[Message]:
        def rows() -> Iterator[tuple[int, int | None, Any]]:
            index = span.index if span else 0
            with path.open("rb") as fh:
                fh.seek(span.start if span else 0)
                offset = span.start if span else 0
                for lineno, raw in enumerate(fh, span.line if span else 1):
                    if span and span.end is not None and offset >= span.end:
                        return
                    offset += len(raw)
                    if not raw.strip():
                        continue
                    index += 1
                    try:
                        try:
                            row = json.loads(raw)
                        except UnicodeDecodeError:  # a Latin-1/cp1252 line in a UTF-8 file
                            row = json.loads(decode_bytes(raw))
                        yield index, lineno, row
                    except ValueError as exc:
                        yield index, lineno, ValueError(f"invalid JSON on line {lineno} ({exc})")

        yield from _guarded(rows(), source)


class Csv:
    NAME = "csv"
    EXTENSIONS = {".csv", ".tsv"}

    @staticmethod
    def match(head: bytes, path: Path) -> int:
        if path.suffix.lower() in Csv.EXTENSIONS:
            return 60
        first = head.split(b"\n", 1)[0].decode("latin-1").lower()
        cells = [c.strip(' "\r') for c in first.replace("\t", ",").split(",")]
        return 55 if len(cells) > 1 and any(c in TEXT_COLUMNS for c in cells) else 0

    @staticmethod
    def read(path: Path, source: str) -> Iterator[Message]:
        with path.open("rb") as fh:
            head = fh.read(65536)
        encoding = "utf-8-sig"
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut at the buffer's end
                encoding = guess_encoding(head) or "cp1252"
        sample = decode_bytes(head)
        delimiter = (
            "\t"
            if path.suffix.lower() == ".tsv"
            or sample.split("\n")[0].count("\t") > sample.split("\n")[0].count(",")
            else ","
        )  # noqa: E501
        with io.TextIOWrapper(path.open("rb"), encoding=encoding, errors="replace", newline="") as fh:
            reader = csv.DictReader(fh, delimiter=delimiter)
            if not reader.fieldnames or text_column(reader.fieldnames) is None:
                cols = ", ".join(reader.fieldnames or []) or "none"
                names = ", ".join(TEXT_COLUMNS)
                yield Message(
                    id=source,
                    source=source,
                    error=(f"CSV has no text column (found: {cols}); name one of: {names}"),
                )
                return

            def rows() -> Iterator[tuple[int, int | None, Any]]:
                index = 0
                while True:
                    line = reader.line_num + 1
                    try:
                        row = next(reader)
                    except StopIteration:
                        return
                    except csv.Error as exc:
                        index += 1
                        yield index, line, exc
                        return
                    index += 1
                    yield index, line, row

            yield from _guarded(rows(), source)


class Parquet:
    NAME = "parquet"
    EXTENSIONS = {".parquet", ".pq"}

    @staticmethod
    def match(head: bytes, path: Path) -> int:
        return 100 if head.startswith(b"PAR1") else 0

    @staticmethod
    def read(path: Path, source: str) -> Iterator[Message]:
        import pyarrow.parquet as pq

        with path.open("rb") as fh:
            pf = pq.ParquetFile(fh)
            if text_column(pf.schema_arrow.names) is None:
                yield Message(
                    id=source,
                    source=source,
                    error=(f"Parquet file has no text column (found: {', '.join(pf.schema_arrow.names)})"),
                )
                return

            def rows() -> Iterator[tuple[int, int | None, Any]]:
                index = 0
                for batch in pf.iter_batches(batch_size=1024):
                    for row in batch.to_pylist():
                        index += 1
                        yield index, None, row

            yield from _guarded(rows(), source)
