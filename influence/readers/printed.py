"""Printed email threads: split the text of a printed or scanned records production into messages.

The input is a stream of pages (the text layer of a PDF page, or one form-feed page of pdftotext
output); the output is one `Message` per printed email. It is streaming: pages are pulled as they
are needed and a message is handed on as soon as the next one starts, so memory stays flat however
long the production is. Page furniture is removed first (`furniture`); header blocks are found by
`headerblocks`; this module decides which of them start a message.

**Which header blocks start a new message** (everything else belongs to the current message):

1. the first header block of the document;
2. a header block at the top of a page of a Bates-stamped production, or of a page whose State
   Department `Doc No.` differs from the current message's: productions print each email on fresh
   pages, while a reply's quoted history simply runs on;
3. each message header of a Gmail conversation print (`Name <address>  date` under the subject).

A block is never a new message when it is quoted: right after `-----Original Message-----`,
`---------- Forwarded message ---------`, `Begin forwarded message:`, `----- Forwarded by`, an
`On … wrote:` line, or on `>`-quoted lines; nor when pdftotext ran its labels into one line
(`From: X Sent: Y To: Z`), which happens to quoted headers of HTML mail, never to a printed
message's own header. So a State Department document (its top message and the thread it replies
to) is one message, and a production of 2,000 printed emails is 2,000 messages.

**Body and quoted**: after a message's header, `body` is what its author wrote, up to the first
quote marker or quoted header block; `quoted` is the rest (the forwarded or replied-to history).
Text before the first header of a document is its own message when it is more than a title line
(a letter, or the tail of a message begun in the previous file), and is dropped as print furniture
otherwise (an Outlook print's mailbox owner, a Gmail print's account line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from influence.readers.furniture import BATES_DATED, STAMP_HINTS, Page, clean_page, normalise
from influence.readers.headerblocks import (
    LOOKAHEAD,
    Header,
    Line,
    is_quote_marker,
    label_of,
    next_nonblank,
    parse_gmail_header,
    parse_header,
    printed_date,
)
from influence.readers.headerblocks import split_glued as split_glued  # tests call printed.split_glued
from influence.types import Message

NOTHING_LEFT = "no message text: only page stamps, markings and redactions"
N_MESSAGES = re.compile(r"^\d+ messages?$")


class _Stream:
    """Lines pulled page by page from an iterator of `Page`s, with lookahead and release."""

    def __init__(self, pages: Iterable[Page]) -> None:
        self._pages = iter(pages)
        self.lines: list[Line] = []
        self.done = False
        self.gmail_subject: str | None = None
        self.skipped: list[Page] = []  # image-only pages, reported by the caller

    def fill(self, upto: int) -> None:
        while not self.done and len(self.lines) <= upto:
            page = next(self._pages, None)
            if page is None:
                self.done = True
                break
            if page.image_only:
                self.skipped.append(page)
                continue
            if page.gmail_subject and self.gmail_subject is None and page.number == 1:
                self.gmail_subject = page.gmail_subject
            top = True
            title: Line | None = None
            for text in page.lines:
                glued = text.startswith("\x00")
                macmail = text.startswith("\x01")
                text = text.lstrip("\x00\x01")
                line = Line(text, page.number, page.bates, page.doc, top and bool(text.strip()))
                line.glued, line.macmail = glued, macmail
                if text.strip():
                    if title is not None:
                        line.near_top = True
                        title = None
                    elif (
                        top
                        and len(text.strip()) <= 50
                        and not re.search(r"[.:;,!?]$|@", text.strip())
                        and not label_of(text)
                    ):
                        title = line
                    top = False
                self.lines.append(line)

    def get(self, i: int) -> Line | None:
        self.fill(i + LOOKAHEAD)
        return self.lines[i] if i < len(self.lines) else None

    def release(self, upto: int) -> None:
        del self.lines[:upto]


@dataclass
class _Draft:
    lines: list[Line]
    header: Header | None


def split_pages(pages: Iterable[Page], source: str) -> Iterator[Message | Page]:
    """Messages of a printed production, in order. Image-only pages are passed through as `Page`s
    where they fall, for the caller to report."""
    stream = _Stream(pages)
    i = 0
    start = 0
    header: Header | None = None
    seen_header = False
    gmail_pending = True
    while True:
        line = stream.get(i)
        if line is None:
            break
        text = line.text.strip()
        if not text:
            i += 1
            continue
        block: Header | None = None
        if stream.gmail_subject and not seen_header:
            if gmail_pending:
                _skip_gmail_title(stream.lines, i, stream.gmail_subject)
                gmail_pending = False
                continue
            block = parse_gmail_header(stream.lines, i, True, stream.gmail_subject)
        elif stream.gmail_subject:
            block = parse_gmail_header(stream.lines, i, False, stream.gmail_subject)
            if block and _quoted_here(stream.lines, start, i):
                block = None
        if block is None and label_of(line.text):
            block = parse_header(stream.lines, i)
            if block and seen_header and not _starts_message(stream.lines, start, i, header, block):
                block = None
        if block is None:
            i += 1
            continue
        if line.near_top and seen_header:
            owner = max(k for k in range(start, i) if stream.lines[k].text.strip())
            stream.lines[owner].text = ""  # the mailbox owner's name over an Outlook print
        if i > start:
            draft = _Draft(stream.lines[start:i], header)
            if header is not None or _keep_preamble(draft.lines):
                yield build(draft, source)
        yield from _scans_before(stream, stream.lines[i].page)
        block.end -= i
        stream.release(i)
        i, start = block.end, 0
        header = block
        seen_header = True
        gmail_pending = False
    if stream.lines[start:]:
        draft = _Draft(stream.lines[start:], header)
        if header is not None or _keep_preamble(draft.lines) or not seen_header:
            if any(x.text.strip() for x in draft.lines):
                yield build(draft, source)
    yield from stream.skipped


def _scans_before(stream: _Stream, page: int) -> Iterator[Page]:
    """Scanned pages before `page`, reported once the message they follow is out."""
    due = [p for p in stream.skipped if p.number < page]
    stream.skipped = [p for p in stream.skipped if p.number >= page]
    yield from due


def _skip_gmail_title(lines: list[Line], i: int, subject: str) -> None:
    """Blank a Gmail print's account line, subject line and "N messages" line."""
    seen = 0
    for k in range(i, min(len(lines), i + 12)):
        text = lines[k].text.strip()
        if not text:
            continue
        seen += 1
        if text == subject:
            for x in lines[i : k + 1]:
                x.text = ""
            nxt = next_nonblank(lines, k + 1, 2)
            if nxt is not None and N_MESSAGES.match(lines[nxt].text.strip()):
                lines[nxt].text = ""
            return
        if seen >= 4:
            return


def _keep_preamble(lines: list[Line]) -> bool:
    texts = [" ".join(x.text.split()) for x in lines if x.text.strip()]
    if not texts:
        return False
    return len(texts) >= 3 or any(len(t) >= 40 for t in texts) or lines[0].page < lines[-1].page


def _quoted_here(lines: list[Line], start: int, i: int) -> bool:
    """The line i follows a quote marker (within the two lines before it) or is `>`-quoted."""
    if lines[i].text.lstrip().startswith(">"):
        return True
    back = [x.text for x in lines[start:i] if x.text.strip() and not (lines[i].near_top and x.top)][-3:]
    if any(is_quote_marker(t) for t in back[-2:]):
        return True
    joined = " ".join(t.strip() for t in back)
    return joined.endswith("wrote:") and " On " in f" {joined}"


def _starts_message(lines: list[Line], start: int, i: int, current: Header | None, block: Header) -> bool:
    line = lines[i]
    if line.glued or _quoted_here(lines, start, i):
        return False
    if not (line.top or line.near_top):
        return False
    if line.doc and lines[start].doc and line.doc != lines[start].doc:
        return True
    return line.bates is not None and line.doc is None


def _quote_start(lines: list[Line]) -> int | None:
    """Index of the first line of the quoted history, or None."""
    for k, line in enumerate(lines):
        text = line.text.strip()
        if not text:
            continue
        if text.startswith(">") and k + 1 < len(lines) and lines[k + 1].text.lstrip().startswith(">"):
            return k
        if is_quote_marker(text):
            return k
        if text.startswith("On ") and not text.endswith("wrote:"):
            tail = " ".join(x.text.strip() for x in lines[k + 1 : k + 4])
            if re.search(r"\bwrote:\s*$", tail.split(" wrote:")[0] + " wrote:") and " wrote:" in tail:
                if len(text) + len(tail) < 300:
                    return k
        if text.startswith("[Quoted text hidden]"):
            return k
        if label_of(text) and label_of(text)[0] == "from" and parse_header(lines, k):
            return k
    return None


def _join(lines: list[Line]) -> str:
    text = "\n".join(x.text.rstrip() for x in lines)
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text)
    return _dedent(text).strip("\n").strip()


def _dedent(text: str) -> str:
    lines = text.split("\n")
    widths = [len(x) - len(x.lstrip(" ")) for x in lines if x.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(x[cut:] for x in lines)


def build(draft: _Draft, source: str) -> Message:
    lines = draft.lines
    header = draft.header
    body_lines = lines[header.end :] if header else lines
    q = _quote_start(body_lines)
    body = _join(body_lines[:q] if q is not None else body_lines)
    quoted = _join(body_lines[q:]) if q is not None else ""
    f = header.fields if header else {}
    first = next((x for x in lines if x.text.strip()), lines[0])
    bates = first.bates or next((x.bates for x in lines if x.bates), None)
    attachments = [
        a.strip() for a in re.split(r"[;]|,\s+(?=\S+\.\w{2,4}\b)", f.get("attachments", "")) if a.strip()
    ]
    return Message(
        id=source,
        source=source,
        page=first.page,
        bates=bates,
        from_=f.get("from") or None,
        to=f.get("to") or None,
        cc=f.get("cc") or None,
        date=printed_date(f.get("date")),
        subject=f.get("subject") or None,
        body=body,
        quoted=quoted,
        attachments=attachments,
    )


def number_messages(rows: Iterable[Message], source: str) -> Iterator[Message]:
    """Ids `<source>#<n>` when a file gives several rows, the bare source for a single one; rows
    that already carry their own id (a scanned page's `<source>#p3`) keep it."""
    held: Message | None = None
    n = 0

    def named(row: Message) -> Message:
        nonlocal n
        if row.id == source:
            n += 1
            row.id = f"{source}#{n}"
        return row

    first = True
    for row in rows:
        if first:
            held, first = row, False
            continue
        if held is not None:
            yield named(held)
            held = None
        yield named(row)
    if held is not None:
        yield held


# ------------------------------------------------------------------------------ text dumps


def looks_printed(text: str) -> bool:
    """The text reads like a printed or scanned email production rather than one message with
    RFC 822 headers: form feeds, page or Bates stamps, quoted header blocks, Lotus label columns,
    or a header block that does not open the text."""
    if "\f" in text or STAMP_HINTS.search(text):
        return True
    lines = [Line(normalise(t), 1, None, None) for t in text.split("\n")[:400]]
    first = next((k for k, x in enumerate(lines) if x.text.strip()), None)
    blocks = 0
    for k, line in enumerate(lines):
        if is_quote_marker(line.text) and blocks:
            return True
        if label_of(line.text) and parse_header(lines, k):
            blocks += 1
            if k != first or blocks >= 2:
                return True
    return False


def read_text(fh: IO[str], source: str) -> Iterator[Message]:
    """Messages of a pdftotext/OCR text dump, numbered `<source>#<n>` when there are several."""
    rows = (m for m in split_pages(_paginate(fh), source) if isinstance(m, Message))
    count = 0
    for row in number_messages(rows, source):
        count += 1
        yield row
    if not count:
        yield Message(id=source, source=source, page=1, error=NOTHING_LEFT)


def _paginate(fh: IO[str]) -> Iterator[Page]:
    """Pages split at form feeds when the text has them, else after each Bates stamp."""
    number = 1
    buf: list[str] = []
    feeds = False
    after_stamp = False  # the last page ended at a Bates stamp: a form feed right after it is no page
    for raw in fh:
        parts = raw.rstrip("\n").split("\f")
        for part in parts[:-1]:
            buf.append(part)
            if not after_stamp or any(x.strip() for x in buf):
                yield clean_page(number, "\n".join(buf))
                number += 1
            buf, feeds, after_stamp = [], True, False
        line = parts[-1]
        buf.append(line)
        if line.strip():
            after_stamp = False
        if not feeds and BATES_DATED.search(line.strip()):
            yield clean_page(number, "\n".join(buf))
            number += 1
            buf, after_stamp = [], True
    if any(x.strip() for x in buf):
        yield clean_page(number, "\n".join(buf))
