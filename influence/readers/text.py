"""Plain text files: one message; a text that opens with header lines is parsed as email.

Text extracted from printed productions (pdftotext or OCR output: form feeds, Bates or page
stamps, quoted header blocks, Lotus Notes label columns) goes to `printed`, which splits it into
one message per printed email, streaming.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from influence.readers import printed
from influence.readers.rfc822 import HEADER_LINE, decode_bytes, guess_encoding, looks_like_headers, parse_text
from influence.types import Message

NAME = "text"
EXTENSIONS = {".txt", ".text", ".md"}


def match(head: bytes, path: Path) -> int:
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 0  # binary; UTF-16 text (Windows "Unicode" exports) is full of NULs but has a BOM
    if _printed_dump(head, path):
        return 80  # before eml, which claims any text that opens with header lines
    return 20 if path.suffix.lower() in EXTENSIONS else 10


def _printed_dump(head: bytes, path: Path) -> bool:
    """pdftotext/OCR output of a printed production: stamps or form feeds anywhere; or, for a
    text file, the structure of a printed thread (see `printed.looks_printed`)."""
    text = (
        decode_bytes(head)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        else head.decode("utf-8", errors="replace")
    )
    if looks_like_headers(text) and _transport_headers(text):
        return False
    if "\f" in text or printed.STAMP_HINTS.search(text):
        return True
    return path.suffix.lower() in EXTENSIONS | {""} and printed.looks_printed(text)


# Headers that only a mail system writes: a text that opens with them is an RFC 822 message.
_TRANSPORT = ("received", "message-id", "mime-version", "content-type", "return-path", "delivered-to")
PRINTED_HEAD = 65536


def _transport_headers(text: str) -> bool:
    for line in text.lstrip("\ufeff\r\n").splitlines()[:60]:
        if not line.strip():
            return False
        m = HEADER_LINE.match(line)
        if m and (m.group(1).lower() in _TRANSPORT or m.group(1).lower().startswith("x-")):
            return True
    return False


def _encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the end of the head
            return "utf-8-sig"
    return guess_encoding(head) or "cp1252"


def read(path: Path, source: str) -> Iterator[Message]:
    with path.open("rb") as fh:
        head = fh.read(PRINTED_HEAD)
    head_text = decode_bytes(head)
    if not (looks_like_headers(head_text) and _transport_headers(head_text)) and printed.looks_printed(
        head_text
    ):
        with path.open(encoding=_encoding(head), errors="replace", newline=None) as fh:
            yield from printed.read_text(fh, source)
        return
    text = decode_bytes(path.read_bytes())
    if looks_like_headers(text):
        yield parse_text(text, id=source, source=source)
    else:
        yield Message(id=source, source=source, body=text.strip())
