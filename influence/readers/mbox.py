"""mbox files, read as a stream: a 2 GB archive never sits in memory, one message at a time does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from influence.readers.rfc822 import parse_bytes
from influence.types import Message

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


def iter_chunks(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """Yield (line, byte offset, raw message) for each message; `From_` lines split messages.

    A `From_` line only splits when it follows a blank line (or opens the file) and a header line
    comes right after it, so an unescaped "From here on..." paragraph stays in its message's body.
    `line` and `offset` point at the message's first header line, just after its `From_` line.
    """
    buf: list[bytes] = []
    start_line = start_offset = 0
    offset = 0
    prev_blank = True
    pending: tuple[int, int, bytes] | None = None  # a `From_` candidate waiting for the next line
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            size = len(line)
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
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
            offset += size
    if pending is not None:
        buf.append(pending[2])
    if any(b.strip() for b in buf):
        yield start_line, start_offset, b"".join(buf)


def read(path: Path, source: str) -> Iterator[Message]:
    for n, (line, offset, raw) in enumerate(iter_chunks(path), 1):
        mid = f"{source}#{n}"
        try:
            yield parse_bytes(raw, id=mid, source=source, line=line, offset=offset)
        except Exception as exc:  # one bad message never sinks the archive
            yield Message(
                id=mid, source=source, line=line, offset=offset, error=f"unreadable message in mbox: {exc}"
            )
