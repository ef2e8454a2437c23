"""Printed email threads: split the text of a printed or scanned records production into messages.

The input is a stream of pages (the text layer of a PDF page, or one form-feed page of pdftotext
output); the output is one `Message` per printed email. It is streaming: pages are pulled as they
are needed and a message is handed on as soon as the next one starts, so memory stays flat however
long the production is.

**Page furniture** is removed line by line before anything else looks at the text: Bates stamps
(`LAPD-004521`, `Feb-17-2017 004012`, `STATE-SCB0045034`; the page's number goes to `bates`), page
numbers (`Page 12 of 240`, a bare number at the top or foot of a page), State Department stamps
(`UNCLASSIFIED U.S. Department of State Case No. … Doc No. … Date: …`, `RELEASE IN FULL/PART`),
confidentiality stamps (`CONFIDENTIAL`, `FOR OFFICIAL USE ONLY`, ...), Gmail print titles and URL
footers, and redaction codes (`(b)(6)`, `(b)(7)(C)`, `B6` standing alone or at a line's end).
Disclaimers that the sender's mail system appended to the message are the sender's text and stay.

**Header blocks** are recognised in the common print styles, in any field order, with wrapped
values: Outlook (`From:/Sent:/To:/Cc:/Subject:`, labels and values on one line or in layout
columns), Gmail and Apple Mail (`From … Date … Subject … To`, `From: X - To: Y - Date: Z`), Lotus
Notes as pdftotext writes it (all labels stacked, then all values; or each label on its own line
followed by its value lines), and the one-line forms pdftotext makes of HTML mail
(`From: X Sent: … To: … Subject: …`).

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
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from influence.readers.rfc822 import iso_date
from influence.types import Message

# ------------------------------------------------------------------------------ normalisation

_TRANSLATE = str.maketrans(
    {
        "\xa0": " ",
        "\xad": "-",  # PDFium and pdftotext report the dashes of Gmail prints as soft hyphens
        "\ufffe": "-",
        "\x02": "-",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb00": "ff",
        "\u200b": "",
        "\ufeff": "",
        "\r": "",
    }
)


def normalise(text: str) -> str:
    return text.translate(_TRANSLATE)


# ------------------------------------------------------------------------------ page furniture

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# "Feb-17-2017 004012": the production date and page number that Oklahoma stamped on every page.
BATES_DATED = re.compile(rf"(?:^|(?<=\s)|(?<=-))(?P<b>{_MONTH}-\d{{1,2}}-\d{{4}} \d{{5,8}})\s*$")
# "LAPD-004521", "STATE-SCB0045034", "DOJ-OIP-000123", "CPD 0001234": a whole line.
BATES_PREFIXED = re.compile(r"^(?P<b>[A-Z][A-Z0-9&]{1,11}(?:[-_][A-Z]{2,8})?(?:[-_ ]?[A-Z]{0,4})\d{5,9})$")
BATES_IN_STAMP = re.compile(r"\b(?P<b>[A-Z]{2,12}-[A-Z]{0,6}\d{5,9})\s*$")
PAGE_NUMBER = re.compile(
    r"^(?:(?:Page|Pg\.?)\s*\d+(?:\s*(?:of|/)\s*\d+)?|\d+\s*(?:of|/)\s*\d+|-\s*\d+\s*-)$", re.I
)
BARE_NUMBER = re.compile(r"^\d{1,4}$")
STATE_DOC_NO = re.compile(r"Doc No\.\s*(?P<doc>C\d{6,})")
_STATE_LINES = [
    re.compile(r"^UNCLASSIFIED\b"),
    re.compile(r"^U\.\s?S\. Department of State\b"),
    re.compile(r"^Case No\.\s*[A-Z]-\d{4}-\d+"),
    re.compile(r"^Doc No\.\s*C\d+"),
    re.compile(r"^Date:\s*\d{1,2}/\d{1,2}/\d{4}(?:\s{2,}.*|\s*)$"),
    re.compile(r"^STATE DEPT\. - PRODUCED TO\b"),
    re.compile(r"^SUBJECT TO AGREEMENT ON SENSITIVE\b"),
    re.compile(r"^Classified by\b"),
    re.compile(r"^(?:CONFIDENTIAL|SECRET)\s*[-—–]+\s*Reason:"),
    re.compile(r"^(?:Class|Reason|Declassify(?: on)?|on):"),
    re.compile(r"\bDeclassify on:|[-—–] Class:|^\d{1,2}/\d{1,2}/\d{4}\s*$"),
    re.compile(r"^Declassify\b"),
]
RELEASE = re.compile(r"^(?:RELEASE IN\b.*|(?:PART|FULL)(?:\s+B\d.*)?|DECLASSIFIED\b.*)$")
CONFIDENTIAL = re.compile(
    r"^(?:(?:HIGHLY\s+)?CONFIDENTIAL(?:\s*[-–—:]\s*[A-Z0-9 ,./&'-]{0,80})?|PRIVILEGED\s*(?:&|AND)\s*"
    r"CONFIDENTIAL\b.*|FOR OFFICIAL USE ONLY\b.*|LAW ENFORCEMENT SENSITIVE\b.*|SENSITIVE BUT "
    r"UNCLASSIFIED\b.*|ATTORNEY[- ]CLIENT PRIVILEGED?\b.*|CONFIDENTIAL TREATMENT REQUESTED\b.*|"
    r"Confidential Treatment Requested by\b.*)$"
)
_CODE = r"(?:\(b\)\s?\(\d\)(?:\s?\([A-Z]\))?|B\d(?:\([a-z]\))?|1\.4\([A-H]\))"
REDACTION_LINE = re.compile(rf"^(?:{_CODE}[\s,;]*)+$")
REDACTION_TAIL = re.compile(rf"\s{{2,}}{_CODE}(?:[\s,;]+{_CODE})*\s*$")
RELEASE_TAIL = re.compile(r"\s{2,}RELEASE IN (?:FULL|PART)\b.*$")
REDACTION_INLINE = re.compile(r"\s?\(b\)\s?\(\d\)(?:\s?\([A-Z]\))?")
GMAIL_TITLE = re.compile(
    r"^(?:\d{1,2}/\d{1,2}/\d{2,4},?\s+(?:\d{1,2}:\d{2}\s*[AP]M\s+)?)?"
    r"(?:Gmail|[\w .&'-]{1,60} Mail) - (?P<s>.+)$"
)
GMAIL_URL = re.compile(r"^https?://mail\.google\.com/\S*(?:\s+\d+/\d+)?$")


@dataclass
class Page:
    """One page after its furniture is gone."""

    number: int
    lines: list[str]
    bates: str | None = None
    doc: str | None = None  # a State Department Doc No. stamped on the page
    gmail_subject: str | None = None
    image_only: bool = False


def clean_page(number: int, text: str) -> Page:
    """Split a page's text into lines with the page furniture removed and its stamps kept."""
    raw = normalise(text).split("\n")
    page = Page(number, [])
    m = STATE_DOC_NO.search(text)
    state = m is not None
    if m:
        page.doc = m.group("doc")
    nonblank = [i for i, line in enumerate(raw) if line.strip()]
    edges = set(nonblank[:3] + nonblank[-3:])
    out: list[str] = []
    for i, line in enumerate(raw):
        s = line.strip()
        if not s:
            out.append("")
            continue
        m = BATES_DATED.search(s)
        if m:
            page.bates = page.bates or m.group("b")
            s = s[: m.start("b")].rstrip()
            if not s:
                continue
            line = line[: line.index(s[-1]) + 1] if s else ""
        if i in edges and BATES_PREFIXED.match(s):
            page.bates = page.bates or s
            continue
        if i in edges and (footer := _footer(s)) is not None:
            page.bates = page.bates or footer or None
            continue
        if PAGE_NUMBER.match(s) or (i in edges and BARE_NUMBER.match(s)):
            continue
        if state and any(p.search(s) for p in _STATE_LINES):
            b = BATES_IN_STAMP.search(s)
            if b:
                page.bates = page.bates or b.group("b")
            continue
        if RELEASE.match(s) or CONFIDENTIAL.match(s) or REDACTION_LINE.match(s):
            continue
        g = GMAIL_TITLE.match(s)
        if g and i in edges:
            page.gmail_subject = page.gmail_subject or g.group("s").strip()
            continue
        if GMAIL_URL.match(s):
            continue
        line = RELEASE_TAIL.sub("", REDACTION_TAIL.sub("", line))
        line = REDACTION_INLINE.sub("", line)
        out.extend(split_glued(line.rstrip()))
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    page.lines = out
    return page


_FOOTER_BATES = re.compile(r"(?:^|\s)(?P<b>[A-Z][A-Z0-9&]{1,11}(?:[-_][A-Z]{2,8})?[-_]\d{5,9})$")
_FOOTER_PAGE = re.compile(r"^(?:Page|Pg\.?)\s*\d+(?:\s*(?:of|/)\s*\d+)?(?:\s|$)", re.I)


def _footer(text: str) -> str | None:
    """A footer line such as `Page 2 of 5   HPD-000102`: its Bates number ('' without one), or None
    when the line holds anything else."""
    bates = ""
    m = _FOOTER_BATES.search(text)
    if m:
        bates = m.group("b")
        text = text[: m.start()].strip()
    m = _FOOTER_PAGE.match(text)
    if m:
        text = text[m.end() :].strip()
    if not bates and not m:
        return None
    return bates if not text or CONFIDENTIAL.match(text) else None


# ------------------------------------------------------------------------------ header lines

LABEL_NAMES = {
    "from": "from", "prom": "from", "frorn": "from", "sent": "date", "date": "date", "to": "to",
    "cc": "cc", "bcc": "bcc", "subject": "subject", "subiect": "subject", "reply to": "reply_to",
    "reply-to": "reply_to", "sent by": "sent_by", "attachments": "attachments", "importance": "importance",
}  # fmt: skip
_LABEL_ALT = "From|Prom|Frorn|Sent By|Sent|Date|To|Cc|Bcc|Subject|Subiect|Reply[- ]To|Attachments|Importance"
LABEL = re.compile(rf"^\s*>?\s*(?P<label>{_LABEL_ALT})\s*:\s*(?P<value>.*)$", re.I)
# Layout-mode pdftotext sometimes loses the colon of an OCR'd label: "Subject          Fw: news".
LABEL_NO_COLON = re.compile(r"^\s*(?P<label>From|Sent|To|Subject)\s{3,}(?P<value>\S.*)$")
# Labels that pdftotext ran into the previous value: "...OklahomaDate:08/26/2013 12:47 PMThanks".
GLUED = re.compile(
    r"(?P<sep>\s+-\s+|,\s+|\s+|(?<=\S))(?=(?:Sent|To|Cc|CC|Bcc|Subject|Date|Attachments|Importance):)"
)
QUOTE_HEAD = re.compile(
    r"^\s*(?:-{2,}\s*Original Message\s*-{2,}|Original Message\s*$|-{2,}\s*Forwarded message\s*-{2,}"
    r"|Begin forwarded message:"
    r"|-{2,}\s*Forwarded by\b.*|-{2,}\s*Reply message\s*-{2,}|_{10,})",
    re.I,
)
WROTE = re.compile(r"^\s*On\b.{4,240}\bwrote:\s*$", re.S)
DATE_VALUE = re.compile(
    r"^(?P<d>(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+)?(?:\d{1,2}/\d{1,2}/\d{2,4}|"
    rf"{_MONTH}[a-z]*\.?\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}[a-z]*\s+\d{{4}}|\d{{4}}-\d\d-\d\d)"
    r"(?:,?\s+(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?)?)(?P<rest>.*)$"
)
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
GMAIL_HEADER = re.compile(
    r"^(?P<name>[^<>:]{0,80}?)\s*<(?P<email>[^<>\s@]+@[^<>\s]+)>\s*(?P<date>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
    r"[a-z]*,?\s.*\d{4}.*|[A-Z][a-z]{2} \d{1,2}, \d{4}.*)?$"
)
N_MESSAGES = re.compile(r"^\d+ messages?$")


def split_glued(line: str) -> list[str]:
    """A line that starts with a header label, with more labels run into it, as separate lines."""
    stripped = line.lstrip()
    head = re.match(
        r"(?:-{2,}\s*Original Message\s*-{2,}|Begin forwarded message:)\s*(?=[^\s-])", stripped, re.I
    )
    if head:
        return [head.group().strip(), *split_glued(stripped[head.end() :])]
    if not LABEL.match(stripped):
        return [line]
    parts: list[str] = []
    last = 0
    for m in GLUED.finditer(stripped):
        if m.start() == 0 or stripped[: m.start()].rstrip().endswith(("Reply", "Reply-")):
            continue
        parts.append(stripped[last : m.start()])
        last = m.end()
    if not parts:
        return [line]
    parts.append(stripped[last:])
    macmail = " - " in stripped[: len(parts[0]) + 4]
    return [("\x01" if macmail else "\x00") + p for p in parts if p.strip()]


def label_of(line: str) -> tuple[str, str] | None:
    m = LABEL.match(line) or LABEL_NO_COLON.match(line)
    if not m:
        return None
    name = LABEL_NAMES.get(re.sub(r"\s+", " ", m.group("label").lower()))
    if name is None:
        return None
    return name, m.group("value").strip()


def is_quote_marker(line: str) -> bool:
    return bool(QUOTE_HEAD.match(line) or WROTE.match(line.strip()))


# ------------------------------------------------------------------------------ header blocks


@dataclass
class Line:
    text: str
    page: int
    bates: str | None
    doc: str | None
    top: bool = False  # the first line with text on its page
    near_top: bool = False  # the second, under a short title line (an Outlook print's mailbox owner)
    glued: bool = False  # several labels were run into this line (a quoted HTML header)
    macmail: bool = False  # "From: X - To: Y - Date: Z": Apple Mail's print header


@dataclass
class Header:
    fields: dict[str, str] = field(default_factory=dict)
    end: int = 0  # index of the first line after the block
    style: str = "outlook"


_ADDRESS_FIELDS = ("to", "cc", "bcc", "reply_to")


def _clean_value(name: str, value: str) -> str:
    value = re.sub(r"\s+", " ", value).strip().strip(",;").strip()
    value = re.sub(r"\s*-\s*$", "", value)
    if name == "from":
        value = re.sub(r"\s*\[ma\w{1,3}to:\s*([^\]\s]+)\s*\]", r" <\1>", value)
        value = re.sub(r"<\s+", "<", re.sub(r"\s+>", ">", value))
        value = re.sub(r"\s*\[ma\w{1,3}to:?\s*\]?$", "", value)  # "[mailto:" cut by the line end
    value = re.sub(r"<mailto:[^<>]*>", "", value)
    if name in _ADDRESS_FIELDS:
        value = re.sub(r"<\s+", "<", re.sub(r"\s+>", ">", value))
    return value


def _value_indent(raw: str) -> int:
    m = re.match(r"^(\s*\S+\s*:?)(\s{2,})\S", raw)
    return len(m.group(1)) + len(m.group(2)) if m else 0


def parse_header(lines: list[Line], i: int) -> Header | None:
    """The header block that starts at line i, or None. A block needs a From and one of Sent/Date,
    To or Subject."""
    first = label_of(lines[i].text)
    if first is None:
        return None
    nxt = _next_nonblank(lines, i + 1, 2)
    if not first[1] and nxt is not None and (lab := label_of(lines[nxt].text)) and not lab[1]:
        block = _parse_columns(lines, i)
    else:
        block = _parse_rows(lines, i)
    if block is None:
        return None
    f = block.fields
    if "from" not in f or not (f.keys() & {"date", "to", "subject"}):
        return None
    return block


def _next_nonblank(lines: list[Line], j: int, limit: int) -> int | None:
    for k in range(j, min(len(lines), j + limit + 1)):
        if lines[k].text.strip():
            return k
    return None


def _label_follows(lines: list[Line], j: int, seen: set[str], limit: int) -> bool:
    """A not yet seen label comes within `limit` lines after j, with no blank line between."""
    for k in range(j + 1, min(len(lines), j + 1 + limit)):
        text = lines[k].text
        if not text.strip():
            return False
        lab = label_of(text)
        if lab:
            return lab[0] not in seen
    return False


def _next_label_at(lines: list[Line], j: int, seen: set[str], limit: int) -> int | None:
    """Index of the next line holding a label not yet seen, within `limit` lines and before any
    blank line; None when there is none."""
    for k in range(j, min(len(lines), j + limit)):
        text = lines[k].text
        if not text.strip():
            return None
        lab = label_of(text)
        if lab:
            return k if lab[0] not in seen else None
    return None


def _parse_rows(lines: list[Line], i: int) -> Header | None:
    """Labels each with its value on the same line, or on the lines that follow it."""
    fields: dict[str, list[str]] = {}
    order: list[str] = []
    j, n = i, len(lines)
    indent = 0
    while j < n and j < i + LOOKAHEAD:
        text = lines[j].text
        if not text.strip():
            k = _next_nonblank(lines, j + 1, 2)
            lab = label_of(lines[k].text) if k is not None else None
            if lab and lab[0] not in fields and j - i < 40:
                j = k
                continue
            break
        lab = label_of(text)
        if lab and lab[0] in fields and j > i:
            break  # the next block
        if lab:
            name, value = lab
            order.append(name)
            indent = _value_indent(text) if value else 0
            if value:
                fields[name] = [value]
                j += 1
                continue
            fields[name] = []
            limit = 700 if name in _ADDRESS_FIELDS else 8
            nxt = _next_label_at(lines, j + 1, set(fields), limit)
            if nxt is not None:  # the value runs on the lines up to the next label
                fields[name] = [x.text for x in lines[j + 1 : nxt]]
                j = nxt
                continue
            if j + 1 < n and lines[j + 1].text.strip() and not label_of(lines[j + 1].text):
                fields[name] = [lines[j + 1].text]
                j += 1
            j += 1
            continue
        last = order[-1] if order else None
        if last is None:
            break
        prev = " ".join(fields[last]).rstrip()
        wrapped = (
            (last in _ADDRESS_FIELDS and prev.endswith((";", ",")))
            or (
                last in _ADDRESS_FIELDS
                and EMAIL.search(text)
                and EMAIL.search(prev)
                and re.search(r"[,;<]", text)
            )
            or _label_follows(lines, j, set(fields), 3)
            or (indent >= 12 and len(text) - len(text.lstrip()) >= indent - 2)
        )
        if not wrapped:
            break
        fields[last].append(text)
        j += 1
    if order and order[-1] == "date" and fields["date"]:
        if _split_date_rest(lines, j - 1, fields, insert=True):
            j -= 0
    return Header({k: _clean_value(k, " ".join(v)) for k, v in fields.items()}, j, "rows")


def _split_date_rest(lines: list[Line], j: int, fields: dict[str, list[str]], insert: bool = False) -> bool:
    """'08/26/2013 12:47 PMThanks Ashley.': keep the date, put the rest back as a body line."""
    value = " ".join(fields["date"])
    m = DATE_VALUE.match(value.strip())
    if not m or not m.group("rest").strip() or not insert:
        return False
    rest = m.group("rest").strip()
    if re.match(r"^\(?[A-Z]{2,5}\)?$|^[+-]\d{4}|^GMT", rest):
        return False  # a time zone
    fields["date"] = [m.group("d")]
    src = lines[j]
    lines.insert(j + 1, Line(rest, src.page, src.bates, src.doc))
    return True


def _label_run(lines: list[Line], j: int, labels: list[str]) -> int:
    """Collect consecutive label-only lines (blank lines between allowed) from j."""
    n = len(lines)
    while j < n:
        text = lines[j].text
        if not text.strip():
            k = _next_nonblank(lines, j + 1, 1)
            if k is not None and (lab := label_of(lines[k].text)) and not lab[1]:
                j = k
                continue
            break
        lab = label_of(text)
        if not lab or lab[1]:
            break
        labels.append(lab[0])
        j += 1
    return j


def _is_date_line(text: str) -> bool:
    m = DATE_VALUE.match(text.strip())
    return bool(m) and len(m.group("rest").strip()) <= 6


def _parse_columns(lines: list[Line], i: int) -> Header | None:
    """Lotus Notes through pdftotext: `From:/To:/Cc:/Subject:/Date:` stacked, then the values
    (sometimes some labels come after the values)."""
    labels: list[str] = []
    j = _label_run(lines, i, labels)
    n = len(lines)
    while j < n and not lines[j].text.strip():
        j += 1
    values: list[str] = []
    while j < n and len(values) < 150:
        text = lines[j].text
        if not text.strip():
            k = _next_nonblank(lines, j + 1, 2)
            if not values or (
                k is not None
                and not label_of(lines[k].text)
                and not any(map(_is_date_line, values))
                and k - j <= 2
                and "date" in labels
                and _date_soon(lines, k)
            ):
                j += 1
                continue
            break
        if label_of(text):
            break
        values.append(text.strip())
        j += 1
        if labels[-1] == "date" and _is_date_line(values[-1]) and len(values) >= len(labels) - 2:
            break
    k = _next_nonblank(lines, j, 3)
    if k is not None and (lab := label_of(lines[k].text)) and not lab[1] and lab[0] not in labels:
        j = _label_run(lines, k, labels)  # labels printed after the values
    if not values:
        return None
    fields: dict[str, str] = {}
    date_at = None
    if "date" in labels:
        date_at = next((x for x in range(len(values) - 1, -1, -1) if _is_date_line(values[x])), None)
        if date_at is not None:
            fields["date"] = values[date_at]
    head = values[:date_at] if date_at is not None else values
    tail = values[date_at + 1 :] if date_at is not None else []
    plain = [lab for lab in labels if lab not in ("date",)]
    after_date = plain[labels.index("date") :] if "date" in labels else []
    for name in after_date:  # labels after Date take the values after the date line
        if tail:
            fields[name] = tail.pop(0)
    plain = [lab for lab in plain if lab not in after_date]
    k = 0
    for name in [x for x in plain if x not in _ADDRESS_FIELDS and x != "subject"]:
        if k < len(head):  # From, Sent By, Reply To: one line each, in order
            fields[name] = head[k]
            k += 1
    if "reply_to" in plain and k < len(head):
        fields["reply_to"] = head[k]
        k += 1
    rest = head[k:]
    addresses = [x for x in plain if x in _ADDRESS_FIELDS and x != "reply_to"]
    last_address = None
    for pos, name in enumerate(addresses):
        if not rest or (pos and len(rest) <= 1 and "subject" in plain):
            break  # an empty Cc: the one line left is the subject
        got = [rest.pop(0)]
        while rest and len(rest) > ("subject" in plain) and got[-1].rstrip().endswith((";", ",")):
            got.append(rest.pop(0))
        fields[name] = " ".join(got)
        last_address = name
    if "subject" in plain and rest:
        # a To: list wrapped inside a name leaves address lines before the subject
        while (
            last_address
            and rest
            and re.search(r"[;@]", rest[0])
            and (len(rest) > 1 or fields[last_address].rstrip().endswith((";", ",")))
        ):
            fields[last_address] += " " + rest.pop(0)
        if rest:
            fields["subject"] = " ".join(rest)
    elif rest and last_address:
        fields[last_address] += " " + " ".join(rest)
    return Header({k: _clean_value(k, v) for k, v in fields.items() if v}, j, "columns")


def _date_soon(lines: list[Line], k: int) -> bool:
    return any(_is_date_line(lines[x].text) for x in range(k, min(len(lines), k + 3)))


def parse_gmail_header(lines: list[Line], i: int, first: bool, subject: str | None) -> Header | None:
    """A Gmail print's message header: `Name <address>   date`, then To:/Cc: lines."""
    text = lines[i].text.strip()
    m = GMAIL_HEADER.match(text)
    if not m:
        if not first or len(text) > 60 or label_of(text) or re.search(r"[.!?:;]$", text):
            return None
        name, date = text, None
    else:
        name = (
            (f"{m.group('name').strip()} <{m.group('email')}>").strip()
            if m.group("name")
            else m.group("email")
        )
        date = m.group("date")
        if not date and not first:
            nxt = _next_nonblank(lines, i + 1, 1)
            if nxt is None or not label_of(lines[nxt].text):
                return None
    fields = {"from": name}
    if date:
        fields["date"] = date.strip()
    if subject:
        fields["subject"] = subject
    j = i + 1
    while j < len(lines):
        lab = label_of(lines[j].text)
        if not lab or lab[0] not in ("to", "cc", "bcc", "reply_to"):
            break
        fields[lab[0]] = _clean_value(lab[0], lab[1])
        j += 1
    return Header(fields, j, "gmail")


# ------------------------------------------------------------------------------ dates

_EXTRA_DATES = (
    "%a %b %d %H:%M:%S %Y", "%a %b %d %Y %H:%M:%S", "%m/%d/%y %I:%M %p", "%a, %b %d, %Y, %I:%M %p",
    "%a, %b %d, %Y %I:%M %p", "%A, %B %d, %Y, %I:%M %p", "%b %d, %Y, %I:%M %p", "%b %d, %Y %I:%M %p",
    "%A, %B %d, %Y %I:%M:%S %p", "%a %m/%d/%Y %I:%M %p",
)  # fmt: skip


def printed_date(raw: str | None) -> str | None:
    """ISO 8601 for a printed date line; the raw text when no format fits."""
    if not raw:
        return None
    cleaned = re.sub(r"\s*\(?[A-Z]{3}\)?$", "", re.sub(r"\s+GMT[-+]\d{4}.*$", "", raw.strip()))
    cleaned = re.sub(r"\s+", " ", cleaned.replace(" at ", " ")).strip(" ,")
    for fmt in _EXTRA_DATES:
        try:
            return datetime.strptime(cleaned, fmt).isoformat()
        except ValueError:
            continue
    return iso_date(cleaned) if cleaned else iso_date(raw)


# ------------------------------------------------------------------------------ splitting

NOTHING_LEFT = "no message text: only page stamps, markings and redactions"
LOOKAHEAD = 720  # lines a header block may span (a Lotus To: list of 300 names runs to 600)


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
            nxt = _next_nonblank(lines, k + 1, 2)
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

STAMP_HINTS = re.compile(
    rf"{_MONTH}-\d{{1,2}}-\d{{4}} \d{{5,8}}|Doc No\.\s*C\d{{6,}}|^\s*Page \d+ of \d+\s*$"
    r"|RELEASE IN (?:FULL|PART)"
    r"|^\s*[A-Z]{2,12}-\d{5,9}\s*$",
    re.M,
)


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
