"""mbox files, read as a stream: a 2 GB archive never sits in memory, one message at a time does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from influence.readers.rfc822 import parse_bytes
from influence.types import ByteRange, Message

NAME = "mbox"
EXTENSIONS = {".mbox", ".mbx"}
_FROM_LINE = re.compile(rb"^From \S+")
_QUOTED_FROM = re.compile(rb"^>+From ")
# What follows a real `From_` separator: the message's first header line.
_HEADER_START = re.compile(rb"^[A-Za-z][A-Za-z0-9_.-]*[ \t]*:")


def match(head: bytes, path: Path) -> int:
    head = head.lstrip(b"\xef\xbb\xbf\r\n")
    first, _, rest = head.partition(b"\n")
    # "From the desk of the Mayor" opening a memo is not an mbox: a header line must follow
    if _FROM_LINE.match(first) and _HEADER_START.match(rest):
        return 90
    return 0


def _lines(path: Path, span: ByteRange | None) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, line) from the whole file or from one range of it."""
    start, end, lineno = (span.start, span.end, span.line) if span else (0, None, 1)
    with path.open("rb") as fh:
        fh.seek(start)
        offset = start
        for line in fh:
            if end is not None and offset >= end:
                return
            yield lineno, offset, line
            lineno += 1
            offset += len(line)


def iter_chunks(path: Path, span: ByteRange | None = None) -> Iterator[tuple[int, int, bytes]]:
    """Yield (line, byte offset, raw message) for each message; `From_` lines split messages.

    A `From_` line only splits when it follows a blank line (or opens the file) and a header line
    comes right after it, so an unescaped "From here on..." paragraph stays in its message's body.
    `line` and `offset` point at the message's first header line, just after its `From_` line.
    """
    buf: list[bytes] = []
    start_line = start_offset = 0
    prev_blank = True
    pending: tuple[int, int, bytes] | None = None  # a `From_` candidate waiting for the next line
    for lineno, offset, line in _lines(path, span):
        size = len(line)
        if offset == 0 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if pending is not None:
            p_lineno, p_end, p_line = pending
            pending = None
            if _HEADER_START.match(line):
                if any(b.strip() for b in buf):
                    yield start_line, start_offset, b"".join(buf)
                buf = []
                start_line, start_offset = p_lineno + 1, p_end
            else:
                buf.append(p_line)
        if prev_blank and _FROM_LINE.match(line):
            pending = (lineno, offset + size, line)
        else:
            if _QUOTED_FROM.match(line):
                line = line[1:]
            buf.append(line)
        prev_blank = not line.strip()
    if pending is not None:
        buf.append(pending[2])
    if any(b.strip() for b in buf):
        yield start_line, start_offset, b"".join(buf)


def split(path: Path, every: int) -> list[ByteRange]:
    """Cut an mbox into ranges of about `every` bytes, each starting at a `From_` line, by the same
    rule as `iter_chunks` (a blank line before, a header line after); one scan, no parsing."""
    cuts: list[ByteRange] = []
    messages = 0
    prev_blank, content = True, False
    candidate: tuple[int, int] | None = None  # (offset, line) of a `From_` line
    last_cut = 0
    for lineno, offset, line in _lines(path, None):
        if candidate is not None:
            c_offset, c_line = candidate
            candidate = None
            if _HEADER_START.match(line):
                messages += content  # the chunk before this separator had text: it was a message
                content = False
                if c_offset - last_cut >= every and cuts:
                    cuts.append(ByteRange(c_offset, None, messages, c_line))
                    last_cut = c_offset
                elif not cuts:
                    cuts.append(ByteRange(0, None, 0, 1))
            else:
                content = True
        if prev_blank and _FROM_LINE.match(line):
            candidate = (offset, lineno)
        elif line.strip():
            content = True
        prev_blank = not line.strip()
    if not cuts:
        return [ByteRange(0, None, 0, 1)]
    return [ByteRange(c.start, n.start, c.index, c.line) for c, n in zip(cuts, cuts[1:])] + [cuts[-1]]


def read(path: Path, source: str, span: ByteRange | None = None) -> Iterator[Message]:
    first = span.index + 1 if span else 1
    for n, (line, offset, raw) in enumerate(iter_chunks(path, span), first):
        mid = f"{source}#{n}"
        try:
            yield parse_bytes(raw, id=mid, source=source, line=line, offset=offset)
        except Exception as exc:  # one bad message never sinks the archive
            yield Message(
                id=mid, source=source, line=line, offset=offset, error=f"unreadable message in mbox: {exc}"
            )
