"""Printed email threads: split the text of a printed or scanned records production into messages.

The input is a stream of pages (the text layer of a PDF page, or one form-feed page of pdftotext
output); the output is one `Message` per printed email. It is streaming: pages are pulled as they
are needed and a message is handed on as soon as the next one starts, so memory stays flat however
long the production is. Page furniture is removed first (`furniture`); header blocks are found by
`headerblocks`; this module decides which of them start a message.

**Which header blocks start a new message** is decided from the cues a reader uses, never from a
list of layouts (`_starts_message`):

1. *Quote markers* make a block quoted history: right after `-----Original Message-----` (or its
   Spanish form), a forwarding line (`---------- Forwarded message ---------`, `Begin forwarded
   message:`, Notes' `----- Forwarded by …`), an `On … wrote:` line (Notes' `Name/ORG wrote on`,
   GroupWise's `>>> Name date >>>`), an Outlook rule of underscores, or on `>`-quoted lines; also
   when pdftotext ran its labels into one line (`From: X Sent: Y To: Z`), which happens to quoted
   headers of HTML mail, never to a printed message's own header.
2. *Marks of a fresh print* make it a new message: the first block of the document; a block at a
   page top in a Bates-stamped production (unless a `Page k of n` counter past 1 says the print
   job runs on and the block could be quoted, below, or the block reprints a message already
   printed, right under a reply to it from its recipient that shows no history yet: the reply's
   history carried over); a new State Department `Doc No.`; the
   mailbox owner's name line above it (an Outlook print of a mailbox); its own subject printed
   as a title above it (webmail and phone prints); the rule the document prints above every
   message; each message header of a Gmail conversation print.
3. *Otherwise* the block is quoted only when it could be: it is no later than the header it
   would be quoted in (history runs back in time; half a day's slack once it looks quoted, for
   senders' clocks), and it sits in quoted history already, or in a Bates production (which
   prints each email on fresh pages, so history runs on under a reply), or it is set apart from
   the message's own header: another layout (a client prints its own header aligned or stacked
   and writes `From: X` into replies), a deeper indent, an Outlook `[mailto:]`. A block that looks
   like the document's printed headers must also involve the sender it would be quoted under.
   Anything else after a body is a new printed message.

Page furniture goes before any of this, so a page break inside a header block is invisible:
stamps per page (`furniture`), and running headers and footers, the lines that repeat at the same
edge of neighbouring pages (the printing user and date, a title). So a State Department document
(its top message and the thread it replies to) is one message, and a production of 2,000 printed
emails is 2,000 messages.

**Body and quoted**: after a message's header, `body` is what its author wrote, up to the first
quote marker or quoted header block; `quoted` is the rest (the forwarded or replied-to history).
Text before the first header of a document is its own message when it is more than a title line
(the subject printed over the header, as Thunderbird and Apple Mail do, is always a title)
(a letter, or the tail of a message begun in the previous file), and is dropped as print furniture
otherwise (an Outlook print's mailbox owner, a Gmail print's account line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
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
    parse_owa_header,
    printed_date,
)
from influence.readers.headerblocks import split_glued as split_glued  # tests call printed.split_glued
from influence.threads import normalize_subject
from influence.types import Message

NOTHING_LEFT = "no message text: only page stamps, markings and redactions"
N_MESSAGES = re.compile(r"^\d+ messages?$")


class _Stream:
    """Lines pulled page by page from an iterator of `Page`s, with lookahead and release.

    A page is held until the next one is read, so that running headers and footers (the printing
    user and date, a title, the subject repeated on every page) are known from the pages on both
    sides and removed before any header block is looked for: a page break that falls inside a
    header block then leaves the block whole.
    """

    def __init__(self, pages: Iterable[Page]) -> None:
        self._pages = iter(pages)
        self._held: Page | None = None
        self._before: tuple[set[str], set[str]] = (set(), set())
        self.lines: list[Line] = []
        self.done = False
        self.gmail_subject: str | None = None
        self.owner: str | None = None  # an Outlook print's mailbox owner, above every message
        self.skipped: list[Page] = []  # image-only pages, reported by the caller

    def fill(self, upto: int) -> None:
        while not self.done and len(self.lines) <= upto:
            page = next(self._pages, None)
            if page is None:
                if self._held is not None:
                    self._add(self._held, None)
                    self._held = None
                self.done = True
                break
            if page.image_only:
                self.skipped.append(page)
                continue
            if page.gmail_subject and self.gmail_subject is None and page.number == 1:
                self.gmail_subject = page.gmail_subject
            if self._held is not None:
                self._add(self._held, page)
            self._held = page

    def _add(self, page: Page, after: Page | None) -> None:
        # A new print job may name its own owner; each line keeps its page's, as the splitter
        # reads far behind the pages being pulled
        name = _owner_line(page.lines)  # after the first page, Outlook's "Last, First", or a
        # name that stands over a header again on this page or the next (a binder's next print)
        if name and (not self.lines or _LAST_FIRST.match(name) or _over_headers(name, page, after) >= 2):
            self.owner = _key(name)
        top, bottom = _edges(page.lines, self.owner)
        nxt = _edges(after.lines, self.owner) if after is not None else ({}, {})
        running: set[int] = set()
        for edge, before, later in ((top, self._before[0], nxt[0]), (bottom, self._before[1], nxt[1])):
            for k, key in edge.items():  # from the edge inwards, while the lines repeat
                if key not in before and key not in later.values():
                    break
                running.add(k)
        self._before = (set(top.values()), set(bottom.values()))
        texts = [t for k, t in enumerate(page.lines) if k not in running]
        first = True
        title: Line | None = None
        for text in texts:
            glued = text.startswith("\x00")
            macmail = text.startswith("\x01")
            text = text.lstrip("\x00\x01")
            line = Line(text, page.number, page.bates, page.doc, first and bool(text.strip()))
            line.glued, line.macmail, line.sheet = glued, macmail, page.sheet
            line.gmail_subject, line.owner = page.gmail_subject, self.owner
            if text.strip():
                if title is not None and _rule(text):
                    pass  # the rule under an Outlook print's owner line
                elif title is not None:
                    line.near_top = True
                    title = None
                elif first and _title_like(text):
                    title = line
                first = False
            self.lines.append(line)

    def get(self, i: int) -> Line | None:
        self.fill(i + LOOKAHEAD)
        return self.lines[i] if i < len(self.lines) else None

    def release(self, upto: int) -> None:
        del self.lines[:upto]


def _title_like(text: str) -> bool:
    text = text.strip()
    return (len(text) <= 50 and not re.search(r"[.:;,!?]$|@", text) and not label_of(text)
            and not is_quote_marker(text))  # fmt: skip


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).lower())


def _edges(lines: list[str], owner: str | None) -> tuple[dict[int, str], dict[int, str]]:
    """Running-header keys of the first and last three lines with text, keyed by index. Only a
    run from the page's edge counts (a line only under lines that repeat too); header label lines
    and quote markers never do, nor the mailbox owner's line, nor at the foot a line without a
    number (a page count, a date) or with an address: a signature can end page after page of
    short emails."""
    nonblank = [k for k, t in enumerate(lines) if t.strip()]

    def keys(idx: list[int], foot: bool) -> dict[int, str]:
        out = {}
        for k in idx:
            text = lines[k].lstrip("\x00\x01")
            if len(text.strip()) < 5 or label_of(text) or is_quote_marker(text) or _key(text) == owner:
                break
            if foot and (not re.search(r"\d", text) or "@" in text):
                break
            out[k] = _key(text)
        return out

    return keys(nonblank[:3], False), keys(nonblank[-3:][::-1], True)


def _over_headers(name: str, page: Page, after: Page | None) -> int:
    """How often `name` is a line of its own right above a header label, here and on the next page."""
    if len(name.split()) < 2:
        return 0  # a first name alone is how a signature ends, not a mailbox
    n = 0
    for lines in (page.lines, after.lines if after is not None else []):
        texts = [t.lstrip("\x00\x01") for t in lines if t.strip() and not _rule(t)]
        n += sum(1 for a, b in zip(texts, texts[1:])
                 if a.strip() == name and (label_of(b) or ("",))[0] == "from")  # fmt: skip
    return n


def _owner_line(lines: list[str]) -> str | None:
    """The short name line an Outlook print puts above each message (and a rule under it), if
    the document opens so."""
    nonblank = [t for t in lines if t.strip() and not _rule(t)][:2]
    name = nonblank[0] if nonblank else ""
    below = nonblank[1].lstrip("\x00\x01") if len(nonblank) == 2 else ""
    if _title_like(name) and not re.search(r"\d", name) and label_of(below):
        return name.strip()
    return None


@dataclass
class _Draft:
    lines: list[Line]
    header: Header | None


@dataclass
class _Reading:
    """What the splitter knows about the message being read and the document around it."""

    header: Header | None = None
    last_from: str = ""  # sender and date of the latest header read, printed or quoted:
    last_date: str | None = None  # quoted history runs back in time, from recipient to sender
    quoting: bool = False  # a quote marker or a quoted header has been passed
    layouts: set[str] | None = None  # how this document prints its own headers
    indent: int = 0
    separator: str | None = None  # a rule printed above every message, the first one included
    history: set[tuple[frozenset[str], str]] = field(default_factory=set)  # headers read in this message
    prints: set[tuple[frozenset[str], str]] = field(default_factory=set)  # messages printed so far

    def remember(self, block: Header) -> None:
        if key := _header_key(block):
            self.history.add(key)

    def read_before(self, block: Header) -> bool:
        """The block repeats a header already read in this message (its own or a quoted one):
        history runs back in time, so the same message is not quoted twice in one chain."""
        key = _header_key(block)
        return key is not None and key in self.history

    def printed_before(self, block: Header) -> bool:
        """The block repeats a message this document has already printed as its own."""
        key = _header_key(block)
        return key is not None and key in self.prints

    def printed(self, block: Header, sure: bool) -> None:
        """A new message starts at `block`; `sure` when a mark of a fresh print said so, the only
        blocks this document's own header layout is learnt from."""
        self.header, self.quoting = block, False
        self.last_from, self.last_date = block.fields.get("from", ""), _iso(block)
        self.history = set()
        self.remember(block)
        if key := _header_key(block):
            self.prints.add(key)
        if self.layouts is None:
            self.layouts, self.indent = set(), block.indent
        if sure:
            self.layouts.add(block.layout)

    def quoted(self, block: Header) -> None:
        self.quoting = True
        self.last_from, self.last_date = block.fields.get("from", ""), _iso(block) or self.last_date
        self.remember(block)


def _header_key(block: Header) -> tuple[frozenset[str], str] | None:
    """Sender's names and the minute sent: the same header however its sender is written."""
    date = _iso(block)
    return (frozenset(_display_names(block.fields.get("from", ""))), date[:16]) if date else None


def _display_names(sender: str) -> set[str]:
    """The names a sender is printed with, without the address that one client adds and another
    leaves off (`Gresham, Tom <TGresham@city.gov>` and `Gresham, Tom` are one sender)."""
    bare = re.sub(r"<[^>]*>|\[\s*mailto:[^\]]*\]", " ", sender, flags=re.I)
    return _names(bare) or _names(sender)


def split_pages(pages: Iterable[Page], source: str) -> Iterator[Message | Page]:
    """Messages of a printed production, in order. Image-only pages are passed through as `Page`s
    where they fall, for the caller to report."""
    stream = _Stream(pages)
    i = 0
    start = 0
    reading = _Reading()
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
        subject = line.gmail_subject or stream.gmail_subject
        gmail = subject is not None  # a Gmail print: the whole document, or this print job's pages
        fresh = False
        if (
            gmail
            and seen_header
            and line.top
            and _skip_gmail_title(stream.lines, i, subject, counted=True)
        ):
            gmail_pending = True  # the next print of a Gmail message begins on this page
            continue
        if gmail and gmail_pending and seen_header:
            block = parse_gmail_header(stream.lines, i, True, subject)
            gmail_pending = block is None
            fresh = block is not None
        elif gmail and not seen_header:
            if gmail_pending:
                _skip_gmail_title(stream.lines, i, stream.gmail_subject)
                gmail_pending = False
                continue
            block = parse_gmail_header(stream.lines, i, True, stream.gmail_subject)
        elif gmail:
            block = parse_gmail_header(stream.lines, i, False, subject)
            if block and _quoted_here(stream.lines, start, i, reading):
                block = None
        if block is None and label_of(line.text):
            block = parse_header(stream.lines, i)
        elif block is None and not gmail:
            block = parse_owa_header(stream.lines, i)
        if block is not None and not seen_header:
            reading.separator = _rule_above(stream.lines, start, i)
        sure = not seen_header or fresh
        if block is not None and seen_header and not fresh:
            sure = _starts_message(stream, start, i, reading, block)
            if sure is False:
                reading.quoted(block)
                i = _past_block(stream.lines, i, block)
                continue
        if block is None:
            if seen_header and (is_quote_marker(text) or text.startswith(">")):
                reading.quoting = reading.quoting or _rule(text) != reading.separator
            i += 1
            continue
        owner = _line_above(stream.lines, start, i)
        if owner is not None and _rule(stream.lines[owner].text):
            stream.lines[owner].text = ""  # the rule over each message of an Outlook print
            owner = _line_above(stream.lines, start, owner)
        if owner is not None and (
            (seen_header and (_is_owner(stream, start, owner) or line.near_top))
            or _is_title(stream.lines[owner].text, block)
        ):
            stream.lines[owner].text = ""  # the mailbox owner's name over an Outlook print, a title
        if i > start:
            draft = _Draft(stream.lines[start:i], reading.header)
            if reading.header is not None or _keep_preamble(draft.lines):
                yield build(draft, source)
        yield from _scans_before(stream, stream.lines[i].page)
        block.end -= i
        stream.release(i)
        i, start = block.end, 0
        block.start = -1
        reading.printed(block, sure is True)
        seen_header = True
        gmail_pending = False
    if stream.lines[start:]:
        draft = _Draft(stream.lines[start:], reading.header)
        if reading.header is not None or _keep_preamble(draft.lines) or not seen_header:
            if any(x.text.strip() for x in draft.lines):
                yield build(draft, source)
    yield from stream.skipped


def _past_block(lines: list[Line], i: int, block: Header) -> int:
    """Where to look on after a quoted block: its end, or a From line inside its span (a block
    that began at a stray label can run into the next header)."""
    for k in range(i + 1, block.end):
        lab = label_of(lines[k].text)
        if lab and lab[0] == "from":
            return k
    return max(i + 1, block.end)


def _scans_before(stream: _Stream, page: int) -> Iterator[Page]:
    """Scanned pages before `page`, reported once the message they follow is out."""
    due = [p for p in stream.skipped if p.number < page]
    stream.skipped = [p for p in stream.skipped if p.number >= page]
    yield from due


def _skip_gmail_title(lines: list[Line], i: int, subject: str | None, counted: bool = False) -> bool:
    """Blank a Gmail print's account line, subject line and "N messages" line; False when the
    lines from i are not such a title (`counted`: only with the "N messages" line)."""
    seen = 0
    for k in range(i, min(len(lines), i + 12)):
        text = lines[k].text.strip()
        if not text:
            continue
        seen += 1
        if text == subject:
            nxt = next_nonblank(lines, k + 1, 2)
            if counted and (nxt is None or not N_MESSAGES.match(lines[nxt].text.strip())):
                return False
            for x in lines[i : k + 1]:
                x.text = ""
            nxt = next_nonblank(lines, k + 1, 2)
            if nxt is not None and N_MESSAGES.match(lines[nxt].text.strip()):
                lines[nxt].text = ""
            return True
        if seen >= 4:
            return False
    return False


def _keep_preamble(lines: list[Line]) -> bool:
    texts = [" ".join(x.text.split()) for x in lines if x.text.strip() and not _rule(x.text)]
    if not texts:
        return False
    return len(texts) >= 3 or any(len(t) >= 40 for t in texts) or lines[0].page < lines[-1].page


_LAST_FIRST = re.compile(r"^[A-Z][\w'-]+(?: [A-Z][\w'-]+)?, [A-Z][\w'.-]+(?: [A-Z][\w'.-]*)?$")


def _is_owner(stream: _Stream, start: int, k: int) -> bool:
    """Line k is a mailbox owner's name over a printed message: the document's own (the line
    it opens with), or another custodian's `Last, First` set off by a blank line above it."""
    lines = stream.lines
    text = lines[k].text.strip()
    if lines[k].owner and _key(text) == lines[k].owner:
        return True
    return bool(_LAST_FIRST.match(text)) and k > start and not lines[k - 1].text.strip()


def _line_above(lines: list[Line], start: int, i: int) -> int | None:
    for k in range(i - 1, max(start, i - 3) - 1, -1):
        if lines[k].text.strip():
            return k
    return None


def _is_title(text: str, block: Header) -> bool:
    """The line is the block's subject printed as a title over the message (webmail and phone
    prints); a print may shorten it with an ellipsis."""
    subject = " ".join(block.fields.get("subject", "").split())
    text = " ".join(text.split())
    if len(text) < 4 or not subject or label_of(text):
        return False
    cut = text.endswith(("...", "\u2026")) and subject.startswith(text.rstrip(".\u2026"))
    return text == subject or cut


def _rule(text: str) -> str | None:
    """`_`, `=`, `-` or `*` for a line that is only a rule, with its length class: Outlook draws a
    short rule (32 underscores) over the quoted header in a reply, while a print separates its
    messages with a rule across the page; the two are different marks."""
    m = re.match(r"^\s*(([_=*-])\2{9,})\s*$", text)
    if not m:
        return None
    return m.group(2) + ("long" if len(m.group(1)) >= 50 else "short")


def _rule_above(lines: list[Line], start: int, i: int) -> str | None:
    k = _line_above(lines, start, i)
    return _rule(lines[k].text) if k is not None else None


def _quoted_here(lines: list[Line], start: int, i: int, reading: _Reading) -> bool:
    """The line i follows a quote marker (within the two lines before it) or is `>`-quoted. A rule
    that the document prints above every message is a separator, not a quote marker."""
    if lines[i].text.lstrip().startswith(">"):
        return True
    back = [x.text for x in lines[start:i] if x.text.strip() and not (lines[i].near_top and x.top)][-3:]
    if any(is_quote_marker(t) and not (_rule(t) and _rule(t) == reading.separator) for t in back[-2:]):
        return True
    joined = " ".join(t.strip() for t in back)
    return joined.endswith("wrote:") and " On " in f" {joined}"


def _starts_message(
    stream: _Stream, start: int, i: int, reading: _Reading, block: Header
) -> bool | None:
    """Is the header block at line i a newly printed message (True) or quoted history (False)?
    None: a new message by elimination, with no mark of a fresh print.

    Quote markers decide first; then the marks of a fresh print (a page top in a Bates-stamped
    production, the mailbox owner's line, the subject as a title line, the document's own
    separator rule); a block with none of these is quoted only when it could be: it is no later
    than the header it would be quoted in (history runs back in time; half a day's slack for time
    zones once inside a history), and either it sits in
    quoted history already (whose inner markers are often lost), or it was sent to or by that
    header's sender and is set apart from the document's printed headers (another layout, a
    deeper indent, `[mailto:]`).
    """
    lines = stream.lines
    line = lines[i]
    above = _line_above(lines, start, i)
    if above is not None and _rule(lines[above].text):
        owner = _line_above(lines, start, above)
        if owner is not None and _is_owner(stream, start, owner):
            return True  # the owner's name and rule over each message of an Outlook print
    if line.glued or _quoted_here(lines, start, i, reading):
        return False
    if line.doc and lines[start].doc:
        return line.doc != lines[start].doc  # a State Department document is one message
    if line.bates is not None and (line.top or line.near_top):
        # a production prints each email on fresh pages, but a page counter past 1 says the
        # print job (one message and its history, or a whole thread) runs on; and a message the
        # production has printed already, at the top of the page after a reply to it, is that
        # reply's history carried over, not a third print
        if line.sheet and line.sheet > 1:
            if not _could_be_quoted(lines, i, reading, block, True):
                return True
        elif not (
            reading.printed_before(block)
            and _replies_to(reading.header, block)
            and not _history_begun(lines, start, i, reading)
            and _could_be_quoted(lines, i, reading, block)
        ):
            return True
    above = _line_above(lines, start, i)
    if above is not None:
        if _is_owner(stream, start, above):
            return True
        if _is_title(lines[above].text, block):
            return True
        rule = _rule(lines[above].text)
        if rule and (rule == reading.separator or rule in ("_long", "=long")):
            # the document's own separator, or a rule of underscores or equals signs across the
            # page (dashes are also how Notes fences its quoted headers)
            return True
    return False if _could_be_quoted(lines, i, reading, block) else None


def _could_be_quoted(
    lines: list[Line], i: int, reading: _Reading, block: Header, page_top: bool = False
) -> bool:
    if reading.read_before(block):
        return False  # a second copy of a header this message already holds: a print of its own
    here = reading.header
    raw = " ".join(x.text for x in lines[i : max(block.end, i + 1)])
    mailto = re.search(r"\[\s*mailto\s*:", raw, re.I) is not None  # how Outlook writes quoted senders
    apart = mailto or (
        here is not None and (block.layout != here.layout or block.indent > here.indent + 1)
    )
    date, before = _iso(block), reading.last_date
    if date and before and date > _later(before, 12 if reading.quoting or apart else 0):
        # later than the message it would be quoted in: history runs back in time. A quoted
        # header may show its sender's clock, up to half a day off
        return False
    if not reading.quoting and _other_topic(block, here):
        return False  # an unmarked header on another subject opens no history: a print of its own
    if reading.quoting or (lines[i].bates and not page_top):
        # inside quoted history already, where inner markers are often lost; or in a production
        # that prints each email on fresh pages, where history runs on under a reply
        return True
    if not apart:
        return False
    if block.layout in (reading.layouts or set()):  # looks like this document's printed headers:
        fields = block.fields  # quoted only from someone the message's sender wrote to or heard from
        people = " ".join(fields.get(k, "") for k in ("from", "to", "cc", "required", "optional"))
        return _shares_person(reading.last_from, people)
    return True


def _history_begun(lines: list[Line], start: int, i: int, reading: _Reading) -> bool:
    """A quote marker or a quoted line stands somewhere in the message read so far (markers run
    into the text in some dumps: `<addr> wrote:Thanks`)."""
    return reading.quoting or any(
        is_quote_marker(x.text) or x.text.lstrip().startswith(">") or " wrote:" in x.text
        for x in lines[start:i]
    )


def _replies_to(here: Header | None, block: Header) -> bool:
    """`here` answers `block`: a reply on its subject, from someone the block was sent to."""
    if here is None:
        return False
    mine, theirs = (h.fields.get("subject") or "" for h in (here, block))
    reply = re.match(r"(?i)\s*(?:re|aw|sv|rv|res)\s*:", mine) is not None
    if not reply or normalize_subject(mine) != normalize_subject(theirs):
        return False
    got = " ".join(block.fields.get(k, "") for k in ("to", "cc"))
    return bool(_display_names(here.fields.get("from", "")) & _names(got))


def _other_topic(block: Header, here: Header | None) -> bool:
    """The block shares neither subject nor correspondent with the message it would be quoted in:
    a reply or forward keeps the subject of what it quotes, or at least writes back to its sender
    (an address's domain, shared by a whole agency, links nobody)."""
    if here is None:
        return False
    words = [set(re.findall(r"\w{3,}", normalize_subject(h.fields.get("subject")))) for h in (block, here)]
    if not all(words) or len(words[0] & words[1]) >= min(2, len(words[0]), len(words[1])):
        return False
    sender = _names(re.sub(r"@[\w.-]+", "", block.fields.get("from", "")))
    people = " ".join(here.fields.get(k, "") for k in ("from", "to", "cc"))
    return not sender & _names(re.sub(r"@[\w.-]+", "", people))


_NOT_A_NAME = {
    "the", "and", "for", "police", "department", "dept", "city", "county", "office", "unit", "team",
    "chief", "capt", "sgt", "det", "ofc", "lieutenant", "sergeant", "captain", "mailto", "com", "gov",
    "org", "net", "example", "www", "mail",
}  # fmt: skip


def _names(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in _NOT_A_NAME}


def _shares_person(sender: str, people: str) -> bool:
    """The sender appears among the block's people; unknown (redacted, empty) counts as yes."""
    mine = _names(sender)
    if not mine or not _names(people) or re.search(r"redact|\(b\)|x{4,}", sender + people, re.I):
        return True
    return bool(mine & _names(people))


def _later(iso: str, hours: int) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(iso) + timedelta(hours=hours)).isoformat() if hours else iso


def _iso(block: Header) -> str | None:
    date = printed_date(block.fields.get("date"))
    return date if date and re.match(r"^\d{4}-\d\d-\d\dT", date) else None


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


# The warning a recipient's mail system puts over mail from outside, not what the sender wrote.
_BANNER = re.compile(
    r"^(?:\[?(?:CAUTION|EXTERNAL(?: EMAIL| SENDER)?|WARNING|EXTERNO|PRECAUCI[OÓ]N|ADVERTENCIA)\]?:?\s"
    r"(?=(?:(?!\n\n).){0,200}?(?:outside|external|links|attachments|sender|fuera|enlaces|adjuntos"
    r"|remitente)).*?|This (?:email|message) "
    r"(?:originated|came) from outside\b.*?|This is an EXTERNAL email\..*?)(?:\n\n|\Z)",
    re.I | re.S,
)


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
    lead = next((k for k, x in enumerate(body_lines) if x.text.strip()), 0)
    if header and lead < len(body_lines) and _rule(body_lines[lead].text):
        body_lines = body_lines[lead + 1 :]  # the rule Lotus Notes prints under its header
    q = _quote_start(body_lines)
    body = _BANNER.sub("", _join(body_lines[:q] if q is not None else body_lines)).lstrip()
    quoted = _join(body_lines[q:]) if q is not None else ""
    f = header.fields if header else {}
    invite = "\n".join(f"{k.title()}: {f[k]}" for k in ("when", "where") if f.get(k))
    if invite:  # a meeting invite's time and place are part of what the sender wrote
        body = f"{invite}\n\n{body}" if body else invite
    first = next((x for x in lines if x.text.strip()), lines[0])
    bates = first.bates or next((x.bates for x in lines if x.bates), None)
    # "a.pdf; b.doc", "a.pdf, b.doc", and a wrapped list of sized files "a.pdf (212 KB) b.pdf (96 KB)"
    files = re.split(r"[;]|,\s+(?=\S+\.\w{2,4}\b)|(?<=B\))\s+(?=\S)", f.get("attachments", ""))
    attachments = [a.strip() for a in files if a.strip()]
    return Message(
        id=source,
        source=source,
        page=first.page,
        bates=bates,
        from_=f.get("from") or None,
        to=f.get("to") or f.get("required") or None,
        cc=f.get("cc") or f.get("optional") or None,
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
