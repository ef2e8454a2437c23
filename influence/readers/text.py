"""Plain text files: one message; a text that opens with header lines is parsed as email."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from influence.readers.rfc822 import decode_bytes, looks_like_headers, parse_text
from influence.types import Message

NAME = "text"
EXTENSIONS = {".txt", ".text", ".md"}


def match(head: bytes, path: Path) -> int:
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 0  # binary; UTF-16 text (Windows "Unicode" exports) is full of NULs but has a BOM
    return 20 if path.suffix.lower() in EXTENSIONS else 10


def read(path: Path, source: str) -> Iterator[Message]:
    text = decode_bytes(path.read_bytes())
    if looks_like_headers(text):
        yield parse_text(text, id=source, source=source)
    else:
        yield Message(id=source, source=source, body=text.strip())
