"""Split an email body into the author's own words and the quoted history.

Mail clients mark earlier messages in a reply or forward in a handful of ways: `>` prefixes, an
attribution line ("On Tue, 5 Mar 2024 at 09:14, Dana <dana@example.com> wrote:"), a separator
("-----Original Message-----", "---------- Forwarded message ---------", "Begin forwarded message:")
or a printed header block (Outlook's "From: … Sent: … To: … Subject:", in several languages).

`split_quoted(text)` returns `(body, quoted)`. Everything from the first separator, header block or
attribution that is not followed by `>` lines is history, to the end of the text (the top-posting
convention). Above that point, `>` lines and the attribution just before them are history and the
lines between them stay the author's (bottom-posting and inline replies).
"""

from __future__ import annotations

import re

_SEPARATOR = re.compile(
    r"(?i)^[\s>]*[-=_*]{2,}\s*(?:original message|original e-?mail|forwarded message|forwarded e-?mail"
    r"|message d'origine|message transf[ée]r[ée]|urspr[üu]ngliche nachricht|weitergeleitete nachricht"
    r"|mensaje original|mensaje reenviado|messaggio originale|messaggio inoltrato|oorspronkelijk bericht"
    r"|doorgestuurd bericht|mensagem original|mensagem encaminhada|original meddelelse"
    r"|opprinnelig melding|originalmeddelande|alkuper[äa]inen viesti|исходное сообщение"
    r"|пересылаемое сообщение|reply message|reply separator)\s*[-=_*]{2,}\s*$"
    r"|^[\s>]*-{2,}.*\bforwarded by\b.*$"  # Lotus Notes: "----- Forwarded by Jane Roe/City on ... -----"
    r"|^[\s>]*(?:begin forwarded message|anfang der weitergeleiteten nachricht"
    r"|d[ée]but du message r[ée]exp[ée]di[ée]|inicio del mensaje reenviado|forwarded message)\s*:\s*$"
)
# An attribution: "On <date>, <name> wrote:" and its translations, possibly wrapped over lines.
_ON_WROTE = re.compile(
    r"(?is)^[\s>-]*(?:on|le|am|el|il|op|em|den|på|w dniu|dne|el día)\s.{0,300}?"
    r"(?:wrote|writes|a [ée]crit|schrieb|escribi[óo]|ha scritto|schreef|escreveu|skrev|napisa[łl]"
    r"|napsal|kirjoitti|написал(?:\(а\))?)\s*:\s*$"
)
# "bob wrote:" or an attribution without a leading "On"; only trusted right above `>` lines.
_WROTE = re.compile(
    r"(?is)^.{0,300}\b(?:wrote|writes|a [ée]crit|schrieb|escribi[óo]|ha scritto|schreef|escreveu|skrev"
    r"|napisa[łl]|написал(?:\(а\))?)\s*:\s*$"
)
_RULE = re.compile(r"^\s*(?:[_\-=*]\s*){10,}$")  # Outlook's "________________________________"
_FIELD = re.compile(r"^[\s>]*\*?\s*([^\W\d_][^\W\d]{0,14}(?: [^\W\d]{1,10})?)\s*\*?\s*:\s*\*?\s*(.*)$")
_FIELDS = {
    "from": {"from", "von", "de", "van", "da", "fra", "från", "od", "lähettäjä", "feladó", "від", "от"},
    "date": {
        "sent", "date", "gesendet", "datum", "envoyé", "enviado", "enviada", "verzonden", "inviato", "data",
        "sendt", "skickat", "fecha", "lähetetty", "wysłano", "дата", "отправлено", "sent date",
    },
    "to": {"to", "an", "à", "a", "para", "aan", "til", "till", "per", "do", "кому", "vastaanottaja"},
    "cc": {"cc", "kopie", "cci", "bcc", "kopia", "копия"},
    "subject": {
        "subject", "betreff", "objet", "asunto", "onderwerp", "oggetto", "assunto", "emne", "ämne",
        "temat", "aihe", "тема", "předmět",
    },
}  # fmt: skip
_FIELD_KIND = {name: kind for kind, names in _FIELDS.items() for name in names}


def _field(line: str) -> str | None:
    m = _FIELD.match(line)
    return _FIELD_KIND.get(m.group(1).lower()) if m else None


def _header_block(lines: list[str], i: int) -> bool:
    """True when a printed header block starts at line i: "From:" and, within the next lines, at
    least two of a date ("Sent:"), the recipients ("To:") and the subject."""
    if _field(lines[i]) != "from" or not _FIELD.match(lines[i]).group(2).strip():  # type: ignore[union-attr]
        return False
    kinds: set[str] = set()
    blanks = 0
    for line in lines[i + 1 : i + 12]:
        if not line.strip():
            blanks += 1
            if blanks > 2:
                break
            continue
        kind = _field(line)
        if kind == "from":
            break
        if kind:
            kinds.add(kind)
    return len(kinds & {"date", "to", "subject"}) >= 2


def _is_quote(line: str) -> bool:
    return line.lstrip(" ").startswith(">")


def _attribution(lines: list[str], i: int) -> int:
    """Number of lines (1-3) of an "On … wrote:" attribution starting at line i, or 0."""
    first = lines[i].strip()
    if not first or _is_quote(lines[i]) and not _ON_WROTE.match(first):
        return 0
    for span in (1, 2, 3):
        chunk = lines[i : i + span]
        if len(chunk) < span or any(not c.strip() for c in chunk[1:]):
            break
        if _ON_WROTE.match(" ".join(c.strip() for c in chunk)):
            return span
    return 0


def _next_content(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _history_start(lines: list[str]) -> int:
    """Index of the first line from which the rest of the text is history, or len(lines)."""
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line) or _header_block(lines, i):
            start = i
            before = i - 1
            while before >= 0 and not lines[before].strip():
                before -= 1
            if before >= 0 and _RULE.match(lines[before]):
                start = before  # the separator rule above Outlook's header block belongs to it
            return start
        span = _attribution(lines, i)
        if span:
            after = _next_content(lines, i + span)
            if after >= len(lines) or not _is_quote(lines[after]):
                return i
    return len(lines)


def _attribution_above(lines: list[str], start: int, floor: int) -> int:
    """First line of the attribution right above a `>` block starting at `start` (blank lines may
    stand between), or `start` when there is none. Lines above `floor` belong to earlier blocks."""
    end = start
    while end > floor and not lines[end - 1].strip():
        end -= 1
    if end == floor:
        return start
    for span in (1, 2, 3):
        top = end - span
        if top < floor or not lines[top].strip():
            break
        if _ON_WROTE.match(" ".join(line.strip() for line in lines[top:end])):
            return top
    last = lines[end - 1].strip()
    if not (_WROTE.match(last) or (last.endswith(":") and re.search(r"[@\d]", last) and len(last) < 300)):
        return start
    top = end - 1
    # a wrapped attribution ('... "bob@example.com" <' / 'bob@example.com> wrote:'): take the line
    # above while the angle brackets do not balance
    while top > floor and lines[top - 1].strip() and end - top < 3:
        para = " ".join(line.strip() for line in lines[top:end])
        if para.count(">") <= para.count("<"):
            break
        top -= 1
    return top


def split_quoted(text: str) -> tuple[str, str]:
    """(the author's text, the quoted history) of an email body; both stripped of blank edges."""
    if not text:
        return "", ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_start(lines)
    quoted_flags = [False] * len(lines)
    for i in range(cut, len(lines)):
        quoted_flags[i] = True
    i = floor = 0
    while i < cut:
        if not _is_quote(lines[i]):
            i += 1
            continue
        end = i
        while end < cut and (_is_quote(lines[end]) or not lines[end].strip()):
            end += 1
        while end > i and not lines[end - 1].strip():
            end -= 1  # trailing blank lines stay with the body
        if not any(line.strip(" \t>") for line in lines[i:end]):
            i = end  # a stray ">" (newsletter layout), not a quote
            continue
        top = _attribution_above(lines, i, floor)
        for j in range(top, end):
            quoted_flags[j] = True
        i = floor = end
    body_lines: list[str] = []
    after_quote = False
    for line, q in zip(lines, quoted_flags):
        if q:
            after_quote = True
        elif line.strip():
            after_quote = False
            body_lines.append(line)
        elif not (after_quote and body_lines and not body_lines[-1].strip()):
            body_lines.append(line)  # a blank line, unless it doubles one across a removed quote
    quoted_parts: list[list[str]] = []
    previous = False
    for line, q in zip(lines, quoted_flags):
        if q and not previous:
            quoted_parts.append([])
        if q:
            quoted_parts[-1].append(line)
        previous = q
    body = "\n".join(body_lines).strip("\n").rstrip()
    quoted = "\n\n".join("\n".join(part).strip("\n") for part in quoted_parts).strip("\n").rstrip()
    if not body.strip():
        body = ""
    return body, quoted
