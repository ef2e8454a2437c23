"""RFC 822/MIME parsing shared by every reader that meets an email (eml, mbox, text with headers).

The standard library's `email` package does MIME, transfer encodings and encoded words; this module
only turns its result into a `Message` and never raises on malformed headers: a forensic tool keeps
what it can read.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from email import errors, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from bs4 import BeautifulSoup
from charset_normalizer import from_bytes

from influence.quoting import split_quoted
from influence.types import Message

# Header names that, seen at the top of a text, mean the text is an email with headers.
KNOWN_HEADERS = {
    "from", "to", "cc", "bcc", "date", "sent", "subject", "message-id", "in-reply-to",
    "references", "reply-to", "return-path", "received", "mime-version", "content-type",
    "delivered-to", "sender", "importance", "x-mailer", "thread-topic", "attachments",
}  # fmt: skip
# Field names run long in real mail (X-MS-Exchange-Organization-MessageDirectionality: 48 chars).
HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]{0,100}):[ \t]*(.*)$")


def looks_like_headers(text: str) -> bool:
    """True when the text opens with at least two RFC 822 header lines, one of them well known.

    A header block that a stray unfolded line interrupts (a broken `References:` continuation, say)
    still counts when at least three header lines, two of them well known, came before it.
    """
    names: list[str] = []
    interrupted = False
    for line in text.lstrip("\ufeff\r\n").splitlines()[:40]:
        if not line.strip():
            break
        if line[:1] in " \t" and names:
            continue  # folded continuation
        m = HEADER_LINE.match(line)
        if not m:
            interrupted = True
            break
        names.append(m.group(1).lower())
    known = [n for n in names if n in KNOWN_HEADERS]
    if interrupted:
        return len(names) >= 3 and len(known) >= 2
    return len(names) >= 2 and bool(known)


def html_to_text(html: str) -> str:
    """The visible text of an HTML body; quoted replies (`<blockquote>`) come out as `> ` lines."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head"]):
        tag.decompose()
    for quote in reversed(soup.find_all("blockquote")):  # innermost first: nested quotes get "> > "
        lines = quote.get_text("\n").strip("\n").split("\n")
        quote.replace_with("\n" + "\n".join(f"> {line}".rstrip() for line in lines) + "\n")
    text = soup.get_text("\n")
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()


# Preferred when they read the bytes as cleanly as the detector's best guess: records released
# in the Americas and Western Europe are overwhelmingly Windows-1252, and the detector ranks by a
# language-coherence score that mostly measures how English the letters look, which turns
# Windows-1252 "Muñoz" into cp1250 "Muńoz" and "Cárdenas" into cp1257 "Cįrdenas".
_PREFERRED_GUESSES = ("utf_8", "cp1252", "latin_1")
_CHAOS_SLACK = 0.01


def guess_encoding(data: bytes) -> str | None:
    """The most likely encoding of bytes that are not UTF-8, or None when nothing fits."""
    results = list(from_bytes(data[:200_000]))
    if not results:
        return None
    best = results[0]
    clean = {r.encoding for r in results if r.chaos <= best.chaos + _CHAOS_SLACK}
    return next((e for e in _PREFERRED_GUESSES if e in clean), best.encoding)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode with the declared charset, else a detected one, else UTF-8 with replacement."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    for enc in (declared, "utf-8"):
        if not enc:
            continue
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            pass
    guess = guess_encoding(data)
    if guess is not None:
        return data.decode(guess, errors="replace")
    return data.decode("utf-8", errors="replace")


def _part_text(part: EmailMessage, unicode_source: bool = False) -> str:
    """A text part's content as str.

    The email package decodes with the declared charset and replaces what does not fit, and
    labels 8-bit text without a charset as ASCII; both turn accented letters into U+FFFD. Here
    the declared charset is tried strictly, then UTF-8, then detection. `unicode_source` is set
    when the message came from already decoded text (re-encoded as UTF-8 for parsing): then only
    base64 and quoted-printable parts still carry bytes in their declared charset.
    """
    try:
        payload = part.get_payload(decode=True) or b""
    except Exception:
        payload = b""
    if not isinstance(payload, bytes):
        return str(payload)
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if unicode_source and cte not in ("base64", "quoted-printable"):
        declared = "utf-8"
    elif declared in (None, "us-ascii", "ascii") and not payload.isascii():
        declared = None  # 8-bit bytes under a missing or ASCII label
    return decode_bytes(payload, declared)


def _leaf_parts(part: EmailMessage, top: bool = True) -> Iterator[EmailMessage]:
    """The non-multipart parts, in order; an attached message (message/rfc822) is one leaf.

    `Message.walk()` would descend into an attached email, so its body would join this message's
    body and its attachments this message's list, with nothing saying whose they are.
    """
    if not top and part.get_content_type() == "message/rfc822":
        yield part
        return
    if part.is_multipart():
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            yield from _leaf_parts(sub, top=False)
        return
    yield part


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words inside an otherwise already decoded string."""
    text = re.sub(r"(?<=\?=)\s+(?==\?)", "", text)  # adjacent encoded words join without space

    def one(m: re.Match[str]) -> str:
        try:
            return str(make_header(decode_header(m.group())))
        except Exception:
            return m.group()

    return _ENCODED_WORD.sub(one, text)


def _raw_header(part: EmailMessage, name: str) -> str | None:
    return next((v for k, v in part.raw_items() if k.lower() == name.lower()), None)


def _raw_param(part: EmailMessage, header: str, param: str) -> str | None:
    """An unquoted parameter exactly as written, spaces and encoded words included."""
    raw = _raw_header(part, header)
    if not raw:
        return None
    m = re.search(rf"(?i)(?:^|;)\s*{param}\s*=\s*(?!\")([^;]+)", " ".join(raw.split()))
    if not m or not m.group(1).strip():
        return None
    return _decode_words(_unescape_raw(m.group(1).strip()))


def _filename(part: EmailMessage) -> str | None:
    """The attachment name; the email package cuts unquoted names at the first space and leaves
    unquoted encoded words (`filename==?utf-8?B?...?=`) out, so the raw header is checked too."""
    try:
        name = part.get_filename()
    except Exception:
        name = None
    raw = _raw_param(part, "Content-Disposition", "filename") or _raw_param(part, "Content-Type", "name")
    if raw and (not name or (len(raw) > len(name) and raw.startswith(name))):
        return raw
    return name or None


def _body_and_attachments(msg: EmailMessage, unicode_source: bool = False) -> tuple[str, list[str]]:
    attachments: list[str] = []
    plain: list[str] = []
    html: list[str] = []
    for part in _leaf_parts(msg):
        ctype = part.get_content_type()
        filename = _filename(part)
        try:
            disposition = part.get_content_disposition()
        except Exception:
            disposition = None
        if ctype == "message/rfc822":
            attachments.append(filename or "forwarded-message.eml")
            continue
        if filename or disposition == "attachment":
            attachments.append(filename or f"unnamed.{part.get_content_subtype()}")
            continue
        if ctype == "text/plain":
            plain.append(_part_text(part, unicode_source))
        elif ctype == "text/html":
            html.append(_part_text(part, unicode_source))
    if html and not any(p.strip() for p in plain):  # HTML-only, or an empty plain alternative
        body = "\n\n".join(html_to_text(h) for h in html)
    else:
        body = "\n\n".join(p.strip("\n") for p in plain)
    return body.replace("\r\n", "\n").strip(), attachments


def _unescape_raw(raw: str) -> str:
    """Raw 8-bit header bytes (kept by the email package as surrogate escapes) decoded as UTF-8,
    else Windows-1252, else Latin-1."""
    if not any("\udc80" <= c <= "\udcff" for c in raw):
        return raw
    data = raw.encode("utf-8", "surrogateescape")
    for enc in ("utf-8", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _header(msg: EmailMessage, name: str) -> str | None:
    raw = _raw_header(msg, name)
    try:
        value = msg.get(name)
    except Exception:  # malformed header: fall back to the raw value
        value = None if raw is None else _decode_words(raw)
    if value is not None and raw is not None and _unescape_raw(raw) != raw:
        # unencoded 8-bit bytes in the header (Subject: Formação): the email package shows them
        # as U+FFFD, so decode the raw bytes ourselves
        value = _decode_words(_unescape_raw(raw))
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


_AM_PM = re.compile(r"\d\s*[AaPp]\.?[Mm]\.?(?:\s|$)")


def iso_date(raw: str | None) -> str | None:
    """ISO 8601 for any date an email client wrote; the raw string when it cannot be parsed."""
    if not raw:
        return None
    # The RFC 822 parser reads the "PM" of Outlook's "Monday, March 4, 2024 3:02 PM" as an
    # unknown time zone and returns 03:02; 12-hour times go to the formats below instead.
    if not _AM_PM.search(raw):
        try:
            return parsedate_to_datetime(raw).isoformat()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    from datetime import datetime

    cleaned = re.sub(r"\s+", " ", raw.replace(" at ", " ")).strip()
    for fmt in (
        "%A, %B %d, %Y %I:%M %p", "%B %d, %Y %I:%M %p", "%A, %B %d, %Y %H:%M",
        "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M", "%m/%d/%Y",
        "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%B %d, %Y", "%a, %b %d, %Y %I:%M %p",
        "%A, %B %d, %Y %I:%M:%S %p", "%B %d, %Y %I:%M:%S %p", "%a, %d %b %Y %I:%M:%S %p",
        "%a, %d %b %Y %I:%M %p", "%d %B %Y %I:%M %p",
    ):  # fmt: skip
        try:
            return datetime.strptime(cleaned, fmt).isoformat()
        except (ValueError, OverflowError):
            continue
    return raw


def header_fields(msg: EmailMessage) -> dict[str, str | None]:
    """The `Message` fields that come from headers, keyed by field name."""
    return {
        "from_": _header(msg, "From"),
        "to": _header(msg, "To"),
        "cc": _header(msg, "Cc"),
        "date": iso_date(_header(msg, "Date") or _header(msg, "Sent")),
        "subject": _header(msg, "Subject"),
        "message_id": _header(msg, "Message-ID"),
        "in_reply_to": _header(msg, "In-Reply-To"),
        "references": _header(msg, "References"),
    }


def parse_headers(text: str) -> EmailMessage:
    """A header block alone (Outlook's transport headers, say) as an `EmailMessage`."""
    return _parse(text.lstrip("\ufeff\r\n").encode("utf-8", errors="replace"))


def message_from_email(
    msg: EmailMessage, *, id: str, source: str, unicode_source: bool = False, **locator
) -> Message:
    body, attachments = _body_and_attachments(msg, unicode_source)
    body, quoted = split_quoted(body)
    return Message(
        id=id,
        source=source,
        **header_fields(msg),
        body=body,
        quoted=quoted,
        attachments=attachments,
        **locator,
    )


# `boundary=----=_Part_1.2` (unquoted, with "=") is common from Outlook and Java mailers; the
# email package's default policy cuts it at the "=" and then finds no parts at all.
_UNQUOTED_BOUNDARY = re.compile(rb"""(?i)(;\s*boundary=)([^"\s;]+)""")


def _lost_boundary(msg: EmailMessage) -> bool:
    return any(
        isinstance(d, (errors.StartBoundaryNotFoundDefect, errors.CloseBoundaryNotFoundDefect))
        for part in msg.walk()
        for d in part.defects
    )


def _parse(data: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(data)
    if _lost_boundary(msg):
        fixed = _UNQUOTED_BOUNDARY.sub(lambda m: m.group(1) + b'"' + m.group(2) + b'"', data)
        if fixed != data:
            msg = BytesParser(policy=policy.default).parsebytes(fixed)
    return msg  # type: ignore[return-value]


def parse_bytes(data: bytes, *, id: str, source: str, **locator) -> Message:
    return message_from_email(_parse(data), id=id, source=source, **locator)


def parse_text(text: str, *, id: str, source: str, **locator) -> Message:
    """A text that begins with header lines: headers to fields, the rest to the body.

    Parsed as UTF-8 bytes: the email package's str parser hands non-ASCII body text back as
    U+FFFD and `\\uXXXX` escapes.
    """
    data = text.lstrip("\ufeff\r\n").encode("utf-8", errors="replace")
    return message_from_email(_parse(data), id=id, source=source, unicode_source=True, **locator)
