"""Single RFC 822 files (.eml, .emlx, maildir entries, misnamed .msg that are really email)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from influence.readers.rfc822 import (
    HEADER_LINE,
    KNOWN_HEADERS,
    looks_like_headers,
    parse_bytes,
)
from influence.types import Message

NAME = "eml"
EXTENSIONS = {".eml", ".emlx", ".rfc822"}
_EMLX_LENGTH = re.compile(rb"^\s*\d+\s*\n")


def match(head: bytes, path: Path) -> int:
    text = head.lstrip(b"\xef\xbb\xbf")
    if _EMLX_LENGTH.match(text):  # Apple Mail .emlx: a byte count, then the message
        text = text.split(b"\n", 1)[1]
    decoded = text.decode("latin-1")
    if looks_like_headers(decoded):
        return 70
    first = HEADER_LINE.match(decoded.split("\n", 1)[0].rstrip("\r"))
    if path.suffix.lower() in EXTENSIONS and first and first.group(1).lower() in KNOWN_HEADERS:
        return 40  # a one-header .eml ("Subject: ...", blank line, body) is still an email
    return 0


def read(path: Path, source: str) -> Iterator[Message]:
    data = path.read_bytes()
    m = _EMLX_LENGTH.match(data)
    # match() accepts the byte-count line whatever the name, so read() must drop it whatever the
    # name too (an .emlx renamed .eml would otherwise lose all its headers to the body)
    rest = data[m.end() : m.end() + 8192] if m else b""
    if m and (path.suffix.lower() == ".emlx" or looks_like_headers(rest.decode("latin-1"))):
        length = int(m.group().strip())
        data = data[m.end() : m.end() + length]
    yield parse_bytes(data, id=source, source=source)
