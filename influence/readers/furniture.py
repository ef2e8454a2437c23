"""Page furniture of printed email productions: what a records office stamps on every page.

Furniture is removed line by line before anything looks for headers, so stamps never end up in a
message's text and a message keeps the page's Bates number and State Department `Doc No.`, which
the splitter uses to tell a freshly printed email from quoted history. Removed: Bates stamps
(`LAPD-004521`, `Feb-17-2017 004012`, `STATE-SCB0045034`; the page's number goes to `bates`), page
numbers (`Page 12 of 240`, a bare number at the top or foot of a page), State Department stamps
(`UNCLASSIFIED U.S. Department of State Case No. … Doc No. … Date: …`, `RELEASE IN FULL/PART`),
confidentiality stamps (`CONFIDENTIAL`, `FOR OFFICIAL USE ONLY`, ...), Gmail print titles and URL
footers, redaction codes (`(b)(6)`, `(b)(7)(C)`, `B6` standing alone or at a line's end), and
whole slip sheets (a separator or placeholder page for a withheld or natively produced document).
Disclaimers that the sender's mail system appended to the message are the sender's text and stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from influence.readers.headerblocks import MONTH, label_of, split_glued

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

# "Feb-17-2017 004012": the production date and page number that Oklahoma stamped on every page.
_DATED = rf"{MONTH}-\d{{1,2}}-\d{{4}} \d{{5,8}}"
BATES_DATED = re.compile(rf"(?:^|(?<=\s)|(?<=-))(?P<b>{_DATED})\s*$")
# "LAPD-004521", "STATE-SCB0045034", "DOJ-OIP-000123", "CPD 0001234": a whole line.
BATES_PREFIXED = re.compile(
    r"^(?P<b>[A-Z][A-Z0-9&]{1,11}(?:[-_][A-Z]{2,8})?(?:[-_ ]?[A-Z]{0,4})\d{5,9}"
    r"|[A-Z][A-Z0-9&]{1,11}(?:[-_][A-Z0-9]{1,8}){1,4}[-_ ]0\d{3,8})$"  # HARLOW-PRR-22-087-0041
)
# A footer ending in a Bates number: "Printed from Outlook on the web - Ortiz, Sam - 3/12/2024  MVC-000882".
BATES_AT_END = re.compile(
    r"(?:\s{2,}(?P<b>[A-Z][A-Z0-9&]{1,11}(?:[-_][A-Z0-9]{1,8}){0,4}[-_ ]?\d{5,9})"
    r"|\s(?P<c>[A-Z][A-Z0-9&]{1,11}(?:[-_][A-Z0-9]{1,8}){0,3}[-_]\d{5,9}))$"  # a PDF closes up the gap
)
BATES_IN_STAMP = re.compile(r"\b(?P<b>[A-Z]{2,12}-[A-Z]{0,6}\d{5,9})\s*$")
_PAGE_OF = r"(?:Page|Pg\.?)\s*\d+(?:\s*(?:of|/)\s*\d+)?"
PAGE_NUMBER = re.compile(rf"^(?:{_PAGE_OF}|\d+\s*(?:of|/)\s*\d+|-\s*\d+\s*-)$", re.I)
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
    sheet: int | None = None  # k of a "Page k of n" counter: 1 is the first page of a print job


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
        if i in edges and (m := BATES_AT_END.search(s)) and not label_of(s):
            page.bates = page.bates or m.group("b") or m.group("c")  # a footer: its text goes too
            page.sheet = page.sheet or _sheet(s[: m.start()])
            continue
        if i in edges and (footer := _footer(s)) is not None:
            page.bates = page.bates or footer or None
            page.sheet = page.sheet or _sheet(s)
            continue
        if PAGE_NUMBER.match(s) or (i in edges and BARE_NUMBER.match(s)):
            page.sheet = page.sheet or _sheet(s)
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
        cleaned = REDACTION_INLINE.sub("", RELEASE_TAIL.sub("", REDACTION_TAIL.sub("", line)))
        lab = label_of(line)
        if lab and lab[1] and not (label_of(cleaned) or ("", ""))[1].strip(" ,;"):
            cleaned = RELEASE_TAIL.sub("", line)  # "From: (b)(6)": the redaction is the value
        out.extend(split_glued(cleaned.rstrip()))
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    page.lines = [] if _slip_sheet(out) else out
    return page


SLIP_TITLE = re.compile(
    r"^(?:(?:separator|slip|placeholder|cover)\s+(?:sheet|page)|(?:page|document)s?\s+withheld\b.*"
    r"|(?:document\s+)?produced\s+(?:in\s+)?native(?:ly)?\b.*)$",
    re.I,
)


def _slip_sheet(lines: list[str]) -> bool:
    """A production's slip sheet (separator, placeholder for a withheld or native document): a
    page that names itself so on a line of its own and holds no message header. Its custodian
    and page-range lines would otherwise end up in the body of the message before it."""
    texts = [t.strip() for t in lines if t.strip()]
    if not any(SLIP_TITLE.match(" ".join(t.split())) for t in texts):
        return False
    return not any((lab := label_of(t)) and lab[0] in ("from", "sent", "subject") for t in texts)


def _sheet(text: str) -> int | None:
    m = re.search(r"\b(\d+)\s*of\s*\d+|\bPage\s*(\d+)\s*/\s*\d+", text, re.I)  # not a date's 3/12
    return int(m.group(1) or m.group(2)) if m else None


_FOOTER_BATES = re.compile(r"(?:^|\s)(?P<b>[A-Z][A-Z0-9&]{1,11}(?:[-_][A-Z]{2,8})?[-_]\d{5,9})$")
_FOOTER_PAGE = re.compile(rf"^{_PAGE_OF}(?:\s|$)", re.I)


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


STAMP_HINTS = re.compile(
    rf"{_DATED}|Doc No\.\s*C\d{{6,}}|^\s*Page \d+ of \d+\s*$"
    r"|RELEASE IN (?:FULL|PART)"
    r"|^\s*[A-Z]{2,12}-\d{5,9}\s*$",
    re.M,
)
