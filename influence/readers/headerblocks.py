"""Printed header blocks: recognise and parse the `From:/Sent:/To:/Subject:` blocks of printed mail.

Print styles differ in layout, so each is parsed into the same fields: Outlook (`From:/Sent:/To:/
Cc:/Subject:`, labels and values on one line or in layout columns), Gmail and Apple Mail (`From …
Date … Subject … To`, `From: X - To: Y - Date: Z`), Lotus Notes as pdftotext writes it (all labels
stacked, then all values; or each label on its own line followed by its value lines), and the
one-line forms pdftotext makes of HTML mail (`From: X Sent: … To: … Subject: …`). Blocks may list
their fields in any order and wrap their values. Whether a block starts a message is for
`printed` to decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from influence.readers.rfc822 import iso_date

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
LOOKAHEAD = 720  # lines a header block may span (a Lotus To: list of 300 names runs to 600)

# ------------------------------------------------------------------------------ header lines

LABEL_NAMES = {
    "from": "from", "prom": "from", "frorn": "from", "sent": "date", "date": "date", "to": "to",
    "cc": "cc", "bcc": "bcc", "subject": "subject", "subiect": "subject", "reply to": "reply_to",
    "reply-to": "reply_to", "sent by": "sent_by", "attachments": "attachments", "importance": "importance",
    "when": "when", "where": "where", "location": "where", "required": "required", "optional": "optional",
    "required attendees": "required", "optional attendees": "optional",
    # Spanish-language Outlook
    "de": "from", "enviado": "date", "enviado el": "date", "fecha": "date", "para": "to", "cco": "bcc",
    "asunto": "subject", "datos adjuntos": "attachments", "importancia": "importance",
}  # fmt: skip
_LABEL_ALT = (
    "From|Prom|Frorn|Sent By|Sent|Date|To|Cc|Bcc|Subject|Subiect|Reply[- ]To|Attachments|Importance"
    "|When|Where|Location|Required Attendees|Optional Attendees|Required|Optional"
    "|De|Enviado el|Enviado|Fecha|Para|CCO|Asunto|Datos adjuntos"
    "|Importancia"
)
LABEL = re.compile(rf"^\s*>?\s*(?P<label>{_LABEL_ALT})\s*:\s*(?P<value>.*)$", re.I)
# Layout-mode pdftotext sometimes loses the colon of an OCR'd label: "Subject          Fw: news".
LABEL_NO_COLON = re.compile(r"^\s*(?P<label>From|Sent|To|Subject)\s{3,}(?P<value>\S.*)$")
# Labels that pdftotext ran into the previous value: "...OklahomaDate:08/26/2013 12:47 PMThanks".
GLUED = re.compile(
    r"(?P<sep>\s+-\s+|,\s+|\s+|(?<=\S))(?=(?:Sent|To|Cc|CC|Bcc|Subject|Date|Attachments|Importance):)"
)
QUOTE_HEAD = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original (?:Message|Appointment)|Mensaje original|Message d'origine)\s*-{2,}"
    r"|Original Message\s*$"
    r"|-*\s*(?:Forwarded message|Mensaje reenviado)\s*-*\s*$|Begin forwarded message:"
    r"|-{2,}\s*Forwarded by\b.*|-{2,}\s*Reply message\s*-{2,}|_{10,49}\s*$|>>>\s.*>>>\s*$)",
    re.I,
)
# "On Tue, Mar 5, 2024 at 9:13 AM Dana <d@x.com> wrote:", Spanish "El … escribió:", and Lotus
# Notes' "Tom Brandt/HPD wrote on 10/21/2019 04:55 PM:".
WROTE = re.compile(
    r"^\s*(?:On\b.{4,240}\bwrote|El\b.{4,240}\bescribi[óo]"
    r"|\S[^:\n]{0,80}/\w[^:\n]{0,40}\bwrote on\b.{4,60}):\s*$",
    re.S,
)
# Lotus Notes' quoted header: "Tom Brandt/HPD@HPD   10/21/2019 04:55 PM" on a line of its own.
NOTES_QUOTE = re.compile(
    r"^\s*[^:<>\s][^:<>]{0,60}/[A-Z][\w-]*(?:/[A-Z][\w-]*)*(?:@[\w-]+)?\s+\d{1,2}/\d{1,2}/\d{2,4}"
    r"\s+\d{1,2}:\d{2}(?::\d{2})?\s*[AaPp][Mm]\s*$"
)
DATE_VALUE = re.compile(
    r"^(?P<d>(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+)?(?:\d{1,2}/\d{1,2}/\d{2,4}|"
    rf"{MONTH}[a-z]*\.?\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{MONTH}[a-z]*\s+\d{{4}}|\d{{4}}-\d\d-\d\d)"
    r"(?:,?\s+(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?)?)(?P<rest>.*)$"
)
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
GMAIL_HEADER = re.compile(  # the address may be redacted: <[REDACTED]>, <(b)(6)>
    r"^(?P<name>[^<>:]{0,80}?)\s*<(?P<email>[^<>\s@]+@[^<>\s]+|\[[^\[\]<>]{1,30}\]|\(b\)\([^<>]{1,30})>"
    r"\s*(?P<date>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
    r"[a-z]*,?\s.*\d{4}.*|[A-Z][a-z]{2} \d{1,2}, \d{4}.*)?$"
)


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


# A marker that pdftotext ran onto the end of the line before it.
MARKER_AT_END = re.compile(
    r"(?:-{2,}\s*(?:Original Message|Forwarded message|Forwarded by\b[^\n]{0,120}?)\s*-{2,}"
    r"|\bOn\b[^\n]{4,240}\bwrote:)\s*$",
    re.I,
)


def is_quote_marker(line: str) -> bool:
    return bool(
        QUOTE_HEAD.match(line)
        or WROTE.match(line.strip())
        or NOTES_QUOTE.match(line)
        or MARKER_AT_END.search(line[-400:])
    )


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
    sheet: int | None = None  # the page's "Page k of n" counter, k
    gmail_subject: str | None = None  # the subject in the page's Gmail print title
    owner: str | None = None  # the mailbox owner named over the print job this page is part of


@dataclass
class Header:
    fields: dict[str, str] = field(default_factory=dict)
    end: int = 0  # index of the first line after the block
    style: str = "outlook"
    # How the block is laid out: for label rows, the spacing ("tab", "aligned" values in a column,
    # "plain" `From: X`, "stacked" values under labels), the first label and the date's label
    # (`plain:subject:date`); else the style. A mail client prints its own headers one way and
    # writes the headers of quoted mail another, so a layout change is a cue for quoted history.
    layout: str = ""
    indent: int = 0
    start: int = -1  # the block's first line when it is above the line it was found at (OWA)


_ADDRESS_FIELDS = ("to", "cc", "bcc", "reply_to", "required", "optional")


def _clean_value(name: str, value: str) -> str:
    value = re.sub(r"\s+", " ", value).strip().strip(",;").strip()
    value = re.sub(r"\s*-\s*$", "", value)
    if name == "from":
        value = re.sub(r"\s*\[ma\w{1,3}to:\s*([^\]\s]+)\s*\]", r" <\1>", value)
        value = _tidy_brackets(value)
        value = re.sub(r"\s*\[ma\w{1,3}to:?\s*\]?$", "", value)  # "[mailto:" cut by the line end
    value = re.sub(r"<mailto:[^<>]*>", "", value)
    if name in _ADDRESS_FIELDS:
        value = _tidy_brackets(value)
    return value


def _tidy_brackets(value: str) -> str:
    """`< a@b.org >` as `<a@b.org>`."""
    return re.sub(r"<\s+", "<", re.sub(r"\s+>", ">", value))


def _value_indent(raw: str) -> int:
    """The column a label row's value starts at, when the labels are laid out as a column (a
    wide gap after the label, or Zimbra's `Attachments : x`): wrapped value lines line up there."""
    m = re.match(r"^(\s*\S+\s*:?)(\s{2,})\S", raw) or re.match(r"^(\s*[A-Za-z]+ :)(\s)\S", raw)
    return len(m.group(1)) + len(m.group(2)) if m else 0


# Zimbra prints the date on the sender's row: "From : Name <a@b.org>          Wed, Mar 06, 2024 10:42 AM".
_FROM_DATE = re.compile(r"^(?P<from>.*?(?:>\s*|\S\s{3,}))(?P<date>\S.*)$")
# A web client's attachment list under the header: "1 attachment", then the files, "x.pdf (212 KB)".
_ATTACHED_COUNT = re.compile(r"^\d{1,3} attachments?(?:\s*\([\d.,]+\s*[KMG]?B\))?$", re.I)
_ATTACHED_FILE = re.compile(r"^\S.{0,200}\.\w{2,5}\s*(?:\([\d.,]+\s*[KMG]?B\))?$", re.I)


def _date_on_from_row(fields: dict[str, list[str]]) -> None:
    if "date" in fields or not fields.get("from"):
        return
    m = _FROM_DATE.match(fields["from"][0].rstrip())
    if not m:
        return
    d = DATE_VALUE.match(m.group("date"))
    if d and not d.group("rest").strip() and re.search(r"\d{1,2}:\d{2}", d.group("d")):
        fields["from"][0] = m.group("from").rstrip()
        fields["date"] = [d.group("d")]


def _attachment_list(lines: list[Line], j: int, fields: dict[str, list[str]]) -> int:
    """Take "1 attachment" and the file lines under it into the header: they are not body."""
    k = next_nonblank(lines, j, 2)
    if k is None or not _ATTACHED_COUNT.match(lines[k].text.strip()):
        return j
    names, k = [], k + 1
    while k < len(lines) and _ATTACHED_FILE.match(lines[k].text.strip()):
        names.append(lines[k].text.strip())
        k += 1
    if not names:
        return j
    fields.setdefault("attachments", []).append("; ".join(names))
    return k


def parse_header(lines: list[Line], i: int) -> Header | None:
    """The header block that starts at line i, or None. A block needs a From and one of Sent/Date,
    To or Subject."""
    first = label_of(lines[i].text)
    if first is None:
        return None
    nxt = next_nonblank(lines, i + 1, 2)
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


def next_nonblank(lines: list[Line], j: int, limit: int) -> int | None:
    for k in range(j, min(len(lines), j + limit + 1)):
        if lines[k].text.strip():
            return k
    return None


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
            k = next_nonblank(lines, j + 1, 2)
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
            or _next_label_at(lines, j + 1, set(fields), 3) is not None
            or (indent >= 12 and len(text) - len(text.lstrip()) >= indent - 2)
        )
        if not wrapped:
            break
        fields[last].append(text)
        j += 1
    if order and order[-1] == "date" and fields["date"]:
        _split_date_rest(lines, j - 1, fields)
    _date_on_from_row(fields)
    if order:
        j = _attachment_list(lines, j, fields)
    head = lines[i].text
    sep = re.match(r"^\s*>?\s*[^:]{1,24}:([ \t]*)", head)
    gap = sep.group(1) if sep else ""
    if not (label_of(head) or ("", ""))[1]:
        spacing = "stacked"  # each label on its own line, its value under it
    else:
        spacing = "tab" if "\t" in gap else "aligned" if len(gap) >= 3 else "plain"
    words = [m.group("label").lower() for x in lines[i:j] if (m := LABEL.match(x.text))]
    dated = next((w for w in words if LABEL_NAMES.get(w) == "date"), "")
    layout = f"{spacing}:{words[0] if words else ''}:{dated}"  # e.g. "plain:from:sent"
    return Header(
        {k: _clean_value(k, " ".join(v)) for k, v in fields.items()},
        j,
        "rows",
        layout,
        len(head) - len(head.lstrip()),
    )


def _split_date_rest(lines: list[Line], j: int, fields: dict[str, list[str]]) -> None:
    """'08/26/2013 12:47 PMThanks Ashley.': keep the date, put the rest back as a body line."""
    value = " ".join(fields["date"])
    m = DATE_VALUE.match(value.strip())
    if not m or not m.group("rest").strip():
        return
    rest = m.group("rest").strip()
    if re.match(r"^\(?[A-Z]{2,5}\)?$|^[+-]\d{4}|^GMT", rest):
        return  # a time zone
    fields["date"] = [m.group("d")]
    src = lines[j]
    lines.insert(j + 1, Line(rest, src.page, src.bates, src.doc))


def _label_run(lines: list[Line], j: int, labels: list[str]) -> int:
    """Collect consecutive label-only lines (blank lines between allowed) from j."""
    n = len(lines)
    while j < n:
        text = lines[j].text
        if not text.strip():
            k = next_nonblank(lines, j + 1, 1)
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
            k = next_nonblank(lines, j + 1, 2)
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
    k = next_nonblank(lines, j, 3)
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
    return Header({k: _clean_value(k, v) for k, v in fields.items() if v}, j, "columns", "columns")


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
            nxt = next_nonblank(lines, i + 1, 1)
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
        if not lab or lab[0] not in _ADDRESS_FIELDS:
            break
        fields[lab[0]] = _clean_value(lab[0], lab[1])
        j += 1
    return Header(fields, j, "gmail", "gmail")


_OWA_FROM = re.compile(r"^(?P<name>[^<>:@]{1,80}?)\s*(?:<(?P<email>[^<>\s@]+@[^<>\s]+)>)?\s*$")
_OWA_DATE = re.compile(
    r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}(?:\s*[AaPp][Mm])?$"
)


_OWA_ATTACHED = re.compile(r"^\d+ attachments? \([\d.,]+\s*[KMG]?B\)$", re.I)


def parse_owa_header(lines: list[Line], i: int) -> Header | None:
    """Outlook on the web's print: the subject alone on a line, the sender (`Name <address>`) on
    the next, the date (`Tue 3/5/2024 9:13 AM`) on the next, then `To:`/`Cc:` lines. There is no
    From label, so the block is known by its date line and recipients."""
    for subject_at in (i, None):
        at = next_nonblank(lines, i + 1, 1) if subject_at is not None else i
        if at is None:
            continue
        sender = lines[at].text.strip()
        m = _OWA_FROM.match(sender)
        if not m or label_of(sender) or re.search(r"[.!?;,]$", sender) or len(sender.split()) > 12:
            continue
        d = next_nonblank(lines, at + 1, 1)
        if d is None or not _OWA_DATE.match(lines[d].text.strip()):
            continue
        t = next_nonblank(lines, d + 1, 1)
        lab = label_of(lines[t].text) if t is not None else None
        if not lab or lab[0] not in ("to", "cc"):
            continue
        name = m.group("name").strip()
        fields = {"from": f"{name} <{m.group('email')}>" if m.group("email") else name}
        fields["date"] = lines[d].text.strip()
        subject = lines[subject_at].text.strip() if subject_at is not None else ""
        if subject and not label_of(subject) and len(subject) <= 200:
            fields["subject"] = subject
        j = t
        while j < len(lines):
            lab = label_of(lines[j].text)
            if not lab or lab[0] not in _ADDRESS_FIELDS:
                break
            fields[lab[0]] = _clean_value(lab[0], lab[1])
            j += 1
        k = next_nonblank(lines, j, 2)
        if k is not None and _OWA_ATTACHED.match(lines[k].text.strip()):  # "2 attachments (1 MB)"
            names, j = [], k + 1
            while j < len(lines) and lines[j].text.strip() and not label_of(lines[j].text):
                names.append(lines[j].text.strip().rstrip(";"))
                j += 1
            fields["attachments"] = "; ".join(names)
        return Header(fields, j, "owa", "owa", start=i)
    return None


# ------------------------------------------------------------------------------ dates

_EXTRA_DATES = (
    "%a %b %d %H:%M:%S %Y", "%a %b %d %Y %H:%M:%S", "%m/%d/%y %I:%M %p", "%a, %b %d, %Y, %I:%M %p",
    "%a, %b %d, %Y %I:%M %p", "%A, %B %d, %Y, %I:%M %p", "%b %d, %Y, %I:%M %p", "%b %d, %Y %I:%M %p",
    "%A, %B %d, %Y %I:%M:%S %p", "%a %m/%d/%Y %I:%M %p",
)  # fmt: skip


_ES_MONTHS = {
    "enero": "January", "febrero": "February", "marzo": "March", "abril": "April", "mayo": "May",
    "junio": "June", "julio": "July", "agosto": "August", "septiembre": "September",
    "setiembre": "September", "octubre": "October", "noviembre": "November", "diciembre": "December",
}  # fmt: skip
_ES_DAY = re.compile(r"^(?:lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo),?\s+", re.I)
_ES_DATE = re.compile(rf"\b(\d{{1,2}}) de ({'|'.join(_ES_MONTHS)}) de (\d{{4}})", re.I)


def _english(raw: str) -> str:
    """Spanish-language Outlook's 'martes, 5 de marzo de 2024 9:13 p. m.' in English words."""
    m = _ES_DATE.search(raw)
    if not m:
        return raw
    text = _ES_DAY.sub("", raw)
    text = _ES_DATE.sub(lambda x: f"{_ES_MONTHS[x.group(2).lower()]} {x.group(1)}, {x.group(3)}", text)
    text = re.sub(r"\b([ap])\.?\s?m\.?(?=\s|$)", lambda x: x.group(1).upper() + "M", text, flags=re.I)
    return re.sub(r"\s+a las\s+", " ", text)


def printed_date(raw: str | None) -> str | None:
    """ISO 8601 for a printed date line; the raw text when no format fits."""
    if not raw:
        return None
    cleaned = re.sub(r"\s*\(?[A-Z]{3}\)?$", "", re.sub(r"\s+GMT[-+]\d{4}.*$", "", _english(raw.strip())))
    cleaned = re.sub(r"\s+", " ", cleaned.replace(" at ", " ")).strip(" ,")
    for fmt in _EXTRA_DATES:
        try:
            return datetime.strptime(cleaned, fmt).isoformat()
        except ValueError:
            continue
    found = iso_date(cleaned) if cleaned else iso_date(raw)
    if found and found != cleaned and found != raw:
        return found
    return _any_date(cleaned) or found


def _any_date(text: str) -> str | None:
    """Whatever other layout a mail client printed (`5 March 2024 09:13`, `Mar 5, 2024, at 9:13:11
    AM PDT`), read by dateutil; the time zone is dropped, as for every printed date."""
    from dateutil import parser

    text = re.sub(r"\s*\((?:UTC|GMT)[^)]*\).*$", "", text)
    try:
        when = parser.parse(text, fuzzy=False, ignoretz=True)
    except (ValueError, OverflowError, TypeError):
        return None
    if not re.search(r"\d{4}", text):
        return None  # no year: dateutil would make one up
    return when.replace(second=0, microsecond=0).isoformat() if ":" in text else when.isoformat()
