"""Zip archives, read in place: each member goes through the same sniff and readers as a file.

Nothing is extracted: a member's bytes are copied into a spooled temporary file (memory up to
`SPOOL_BYTES`, then an unnamed temporary file that the system removes) and handed to the readers
as a `Member`, which offers the few `Path` methods readers use (`name`, `suffix`, `open("rb")`,
`read_bytes()`, `stat()`). A member's name is never used as a file-system path.

Zip bombs are refused with error rows, before anything is decompressed: more than `MAX_MEMBERS`
files, more than `MAX_TOTAL_BYTES` declared uncompressed (over the archive and every archive nested
in it), a member compressed more than `MAX_RATIO` times, or archives nested deeper than
`MAX_DEPTH`. The declared sizes bind: the zipfile module stops a member at its declared size.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import IO, Any

from influence.types import Message

NAME = "zip"
EXTENSIONS = {".zip"}

MAX_MEMBERS = 100_000
MAX_TOTAL_BYTES = 16 * 2**30
MAX_RATIO = 200  # deflate gives ~10x on mail, ~100x on very repetitive logs; bombs 1,000x and more
RATIO_FLOOR = 2**20  # members smaller than this are never called bombs, whatever their ratio
MAX_DEPTH = 3  # an archive inside an archive inside an archive
SPOOL_BYTES = 32 * 2**20

# Zip containers that are documents, not archives of mail.
_DOCUMENT_MARKERS = {
    "[Content_Types].xml": "an Office Open XML document (.docx, .xlsx, .pptx)",
    "mimetype": "an OpenDocument or EPUB file",
    "META-INF/MANIFEST.MF": "a Java archive",
}


def match(head: bytes, path: Path) -> int:
    return 95 if head.startswith((b"PK\x03\x04", b"PK\x05\x06")) else 0


@dataclass
class Budget:
    """Uncompressed bytes still allowed for one archive and everything nested in it."""

    remaining: int = field(default_factory=lambda: MAX_TOTAL_BYTES)


class _View(io.RawIOBase):
    """An independent read position over a member's spooled bytes."""

    def __init__(self, spool: IO[bytes], size: int) -> None:
        self._spool, self._size, self._pos = spool, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._spool.seek(self._pos)
        data = self._spool.read(len(buffer))
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos


class Member:
    """One archive member's bytes, readable like a file: what readers get instead of a `Path`."""

    def __init__(self, name: str, spool: IO[bytes], size: int, depth: int, budget: Budget) -> None:
        self.member_name = name
        self.name = PurePosixPath(name).name
        self.suffix = PurePosixPath(name).suffix
        self.depth = depth  # how many archives hold this member
        self.budget = budget
        self._spool, self._size = spool, size

    def open(self, mode: str = "rb") -> IO[bytes]:
        if mode != "rb":
            raise ValueError("archive members are read-only and binary")
        return io.BufferedReader(_View(self._spool, self._size))

    def read_bytes(self) -> bytes:
        with self.open() as fh:
            return fh.read()

    def stat(self) -> SimpleNamespace:
        return SimpleNamespace(st_size=self._size)

    def __repr__(self) -> str:
        return f"Member({self.member_name!r})"


def _hidden(name: str) -> bool:
    """Folders' hidden files are skipped, and so are their archived twins (`__MACOSX/` forks)."""
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") and p not in (".", "..") or p == "__MACOSX" for p in parts)


def _order(info: zipfile.ZipInfo) -> tuple:
    """Folder order: a folder's own files first, then its sub-folders, each sorted by name."""
    *folders, name = PurePosixPath(info.filename).parts
    return (*((1, f) for f in folders), (0, name))


def _refusal(infos: list[zipfile.ZipInfo], names: set[str], budget: Budget) -> str | None:
    for marker, what in _DOCUMENT_MARKERS.items():
        if marker in names:
            return f"{what}, not an archive of emails; not supported"
    if len(infos) > MAX_MEMBERS:
        return (
            f"zip archive has {len(infos):,} files, more than the limit of {MAX_MEMBERS:,} "
            "(a zip bomb?); unzip it and pass the folder"
        )
    total = sum(i.file_size for i in infos)
    if total > budget.remaining:
        return (
            f"zip archive would unpack to {total:,} bytes, more than the {budget.remaining:,} allowed "
            f"(limit {MAX_TOTAL_BYTES:,} per archive, nested archives included; a zip bomb?)"
        )
    return None


def _member_refusal(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x1:
        return "encrypted (password-protected) file in zip archive; decrypt it first"
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        return (
            f"file compressed {ratio:,.0f} times in zip archive, more than the limit of {MAX_RATIO} "
            "(a zip bomb?)"
        )
    return None


def _read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, depth: int, budget: Budget
) -> Iterator[Message]:
    from influence.readers import read_file

    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        with zf.open(info) as src:
            shutil.copyfileobj(src, spool, 2**20)
        size = spool.tell()
        member = Member(info.filename, spool, size, depth, budget)
        yield from read_file(member, source)  # type: ignore[arg-type]


def read(path: Path, source: str) -> Iterator[Message]:
    depth = getattr(path, "depth", 0) + 1  # a Member knows how many archives hold it
    budget = getattr(path, "budget", None) or Budget()
    if depth > MAX_DEPTH:
        yield Message(
            id=source,
            source=source,
            error=f"zip archive nested more than {MAX_DEPTH} deep; unzip it and pass the folder",
        )
        return
    with path.open("rb") as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            yield Message(id=source, source=source, error=f"unreadable zip archive: {exc}")
            return
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            refusal = _refusal(infos, {i.filename for i in infos}, budget)
            if refusal:
                yield Message(id=source, source=source, error=refusal)
                return
            infos = sorted((i for i in infos if not _hidden(i.filename)), key=_order)
            if not infos:
                yield Message(id=source, source=source, error="zip archive holds no files")
                return
            budget.remaining -= sum(i.file_size for i in infos)
            for info in infos:
                member_source = f"{source}!{info.filename}"
                refusal = _member_refusal(info)
                if refusal:
                    yield Message(id=member_source, source=member_source, error=refusal)
                    continue
                count = 0
                try:
                    for message in _read_member(zf, info, member_source, depth, budget):
                        count += 1
                        yield message
                except Exception as exc:  # a damaged member (bad CRC, unknown compression)
                    yield Message(
                        id=f"{member_source}#error" if count else member_source,
                        source=member_source,
                        error=f"unreadable file in zip archive: {exc}",
                    )
