"""Turn paths (files or folders) into a stream of `Message`s, one reader per format.

Each reader module offers `NAME`, `EXTENSIONS`, `match(head, path) -> score` and
`read(path, source) -> Iterator[Message]`. The format is decided by content first (magic bytes,
header lines), the extension only breaks ties, so a misnamed file still finds its reader. Whatever
goes wrong in one file becomes an error row for that file and the run goes on.

`path` is a `Path` or a zip archive's `archive.Member`, so readers read only through `open("rb")`,
`read_bytes()`, `stat()`, `name` and `suffix`, never through the file system by name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from influence.errors import InputError
from influence.readers import archive, eml, mbox, msg, pdf, text
from influence.readers.tabular import Csv, JsonLines, Parquet
from influence.types import ByteRange, Message

HEAD_BYTES = 8192


READERS: list[Any] = [
    Parquet,
    mbox,
    JsonLines,
    eml,
    Csv,
    text,
    pdf,
    msg,
    msg.Pst,
    archive,
]


def sniff(path: Path, head: bytes | None = None) -> Any | None:
    """The reader that claims this file most strongly, or None for unreadable binary files."""
    if head is None:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    best, best_score = None, 0
    for reader in READERS:
        score = reader.match(head, path)
        if score and path.suffix.lower() in reader.EXTENSIONS:
            score += 5
        if score > best_score:
            best, best_score = reader, score
    return best


def iter_files(path: Path) -> Iterator[Path]:
    """Files under a folder, recursively, in a stable order; hidden files and folders skipped."""
    if path.is_file():
        yield path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def read_file(path: Path, source: str | None = None, span: ByteRange | None = None) -> Iterator[Message]:
    """Messages of one file (or of one `split` range of it); failures become error rows, never
    exceptions."""
    source = source or str(path)
    try:
        if path.stat().st_size == 0:
            yield Message(id=source, source=source, error="empty file")
            return
        reader = sniff(path)
    except OSError as exc:
        yield Message(id=source, source=source, error=f"cannot open file: {exc.strerror or exc}")
        return
    if reader is None:
        yield Message(
            id=source,
            source=source,
            error="unrecognised binary file; not an email, mbox, CSV, JSONL or Parquet file",
        )
        return
    count = 0
    try:
        for message in reader.read(path, source, span) if span else reader.read(path, source):
            count += 1
            yield message
    except Exception as exc:  # a reader failing mid-file: keep what it gave, report the rest
        what = f"after {count} messages" if count else "before any message"
        yield Message(
            id=(f"{source}@{span.start}" if span else source) + ("#error" if count else ""),
            source=source,
            error=f"{reader.NAME} reader failed {what}: {exc}",
        )


def split_file(path: Path, every: int) -> list[ByteRange | None]:
    """Ranges of about `every` bytes that separate workers can read, for the formats that can be
    cut between messages (mbox, JSONL); one range, the whole file, for every other file."""
    try:
        if path.stat().st_size <= every:
            return [None]
        reader = sniff(path)
    except OSError:
        return [None]  # read_file reports it
    cut = getattr(reader, "split", None)
    if cut is None:
        return [None]
    spans = cut(path, every)
    return [None] if len(spans) == 1 else list(spans)


def check_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    found = [Path(p) for p in paths]
    missing = [str(p) for p in found if not p.exists()]
    if missing:
        raise InputError(f"No such file or folder: {', '.join(missing)}")
    return found


def iter_messages(
    paths: Iterable[str | os.PathLike[str]],
    on_file: Callable[[Path], None] | None = None,
) -> Iterator[Message]:
    """Every message under the given paths, in input order, each exactly once."""
    for root in check_paths(paths):
        for path in iter_files(root):
            if on_file:
                on_file(path)
            yield from read_file(path)
