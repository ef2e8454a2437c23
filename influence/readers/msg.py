"""Outlook files: `.msg` (one message, read with extract-msg) and `.pst`/`.ost` mail stores (read
with libpff's Python bindings, the optional `influence[pst]` extra).

Both are forensic reads: a property that cannot be decoded (a broken RTF body, an attachment of an
unknown kind) is skipped and the rest of the message is kept.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from influence.quoting import split_quoted
from influence.readers.rfc822 import (
    decode_bytes,
    header_fields,
    html_to_text,
    iso_date,
    parse_headers,
)
from influence.types import Message

NAME = "msg"
EXTENSIONS = {".msg"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PST_EXTRA = "pip install 'influence[pst]'"

T = TypeVar("T")


def _safe(get: Callable[[], T]) -> T | None:
    """A property of a parsed Outlook item, or None when decoding it fails."""
    try:
        return get()
    except Exception:
        return None


def _clean(value: Any) -> str | None:
    """One-line text of a header-like value: NULs and runs of whitespace removed."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = decode_bytes(value)
    text = " ".join(str(value).replace("\x00", " ").split())
    return text or None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = decode_bytes(value)
    return str(value).replace("\x00", "").replace("\r\n", "\n")


_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")


def _readable(text: str) -> bool:
    """False for bodies that are really binary (an S/MIME blob shown as text)."""
    return bool(text.strip()) and len(_BINARY.findall(text[:4000])) < max(4, len(text[:4000]) // 50)


def best_body(*getters: tuple[str, Callable[[], Any]]) -> str:
    """The first body that has text, from ("plain" | "html", getter) pairs tried in order; a getter
    runs only when the ones before it gave nothing (decoding an RTF body takes seconds)."""
    for kind, get in getters:
        text = _text(_safe(get))
        if kind == "html" and text.strip():
            return html_to_text(text)
        if kind == "plain" and _readable(text):
            return text.strip()
    return ""


# ------------------------------------------------------------------------------------------ .msg


def match(head: bytes, path: Path) -> int:
    return 95 if head.startswith(OLE_MAGIC) else 0


def _attachment_name(att: Any) -> str:
    for attr in ("longFilename", "name", "shortFilename", "displayName"):
        name = _clean(_safe(lambda a=attr: getattr(att, a)))
        if name and name != "None":
            return name
    embedded = _safe(lambda: att.data)
    subject = _clean(_safe(lambda: embedded.subject)) if embedded is not None else None
    if subject is not None or type(att).__name__ == "EmbeddedMsgAttachment":
        return f"{subject or 'embedded message'}.msg"
    mimetype = _clean(_safe(lambda: att.mimetype)) or ""
    return f"unnamed.{mimetype.rsplit('/', 1)[-1] or 'bin'}"


def _rtf_text(item: Any) -> str | None:
    """Plain text carried in an RTF-only body (encapsulated HTML comes back through htmlBody)."""
    rtf = item.deencapsulatedRtf
    if rtf is None or getattr(rtf, "content_type", None) != "text":
        return None
    return rtf.text


def _encrypted(header: Any) -> bool:
    ctype = str(_safe(lambda: header.get("Content-Type")) or "").lower()
    return "pkcs7-mime" in ctype and "signed-data" not in ctype


def message_from_msg(item: Any, *, id: str, source: str) -> Message:
    """A `Message` from an opened extract-msg item (a mail, or a calendar item, task, note...)."""
    header = _safe(lambda: item.header)
    fields = (_safe(lambda: header_fields(header)) if header is not None else None) or {}
    sent = _safe(lambda: item.date)
    date = fields.get("date") or (sent.isoformat() if isinstance(sent, datetime) else iso_date(_clean(sent)))
    attachments = [_attachment_name(a) for a in (_safe(lambda: item.attachments) or [])]
    message = Message(
        id=id,
        source=source,
        from_=_clean(_safe(lambda: item.sender)) or fields.get("from_"),
        to=_clean(_safe(lambda: item.to)) or fields.get("to"),
        cc=_clean(_safe(lambda: item.cc)) or fields.get("cc"),
        date=date,
        subject=_clean(_safe(lambda: item.subject)) or fields.get("subject"),
        message_id=_clean(_safe(lambda: item.messageId)) or fields.get("message_id"),
        in_reply_to=_clean(_safe(lambda: item.inReplyTo)) or fields.get("in_reply_to"),
        references=fields.get("references"),
        attachments=attachments,
    )
    if header is not None and _encrypted(header):
        message.error = "S/MIME-encrypted message: its body cannot be read without the recipient's key"
        return message
    body = best_body(
        ("plain", lambda: item.body), ("html", lambda: item.htmlBody), ("plain", lambda: _rtf_text(item))
    )
    message.body, message.quoted = split_quoted(body)
    return message


def read(path: Path, source: str) -> Iterator[Message]:
    import extract_msg
    from extract_msg.enums import ErrorBehavior
    from extract_msg.exceptions import (
        InvalidFileFormatError,
        UnrecognizedMSGTypeError,
        UnsupportedMSGTypeError,
    )

    tolerant = functools.reduce(operator.or_, ErrorBehavior)  # skip what cannot be decoded
    with path.open("rb") as fh:
        try:
            item = extract_msg.openMsg(fh, errorBehavior=tolerant)
        except InvalidFileFormatError:
            why = "an OLE compound file that is not an Outlook message (a Word or Excel 97-2003 file?)"
            yield Message(id=source, source=source, error=why)
            return
        except (UnrecognizedMSGTypeError, UnsupportedMSGTypeError) as exc:
            why = f"Outlook item of a kind that cannot be read: {exc}"
            yield Message(id=source, source=source, error=why)
            return
        except Exception as exc:  # olefile's errors on a damaged or truncated file
            yield Message(id=source, source=source, error=f"damaged Outlook .msg file: {exc}")
            return
        try:
            message = message_from_msg(item, id=source, source=source)
        finally:
            _safe(item.close)
    yield message


# ------------------------------------------------------------------------------------------ .pst

# MAPI property tags read from PST items.
_TAGS = {
    "message_id": 0x1035, "in_reply_to": 0x1042, "references": 0x1039,
    "sender_smtp": 0x5D01, "sender_email": 0x0C1F, "display_to": 0x0E04, "display_cc": 0x0E03,
}  # fmt: skip
_RECIPIENT_NAME, _RECIPIENT_SMTP, _RECIPIENT_EMAIL, _RECIPIENT_TYPE = 0x3001, 0x39FE, 0x3003, 0x0C15


def _entry(owner: Any, tag: int) -> Any:
    """The value of one MAPI property of a pypff item, or None."""
    for i in range(owner.number_of_record_sets):
        entry = owner.get_record_set(i).get_entry_by_type(tag)
        if entry is None:
            continue
        if entry.value_type in (0x1E, 0x1F):
            return entry.data_as_string
        if entry.value_type in (0x02, 0x03, 0x14):
            return entry.data_as_integer
        return entry.data
    return None


def _recipients(item: Any) -> tuple[str | None, str | None]:
    found: dict[int, list[str]] = {1: [], 2: []}
    recipients = item.recipients
    for i in range(recipients.number_of_record_sets if recipients is not None else 0):
        rs = recipients.get_record_set(i)

        def value(tag: int, rs: Any = rs) -> Any:
            entry = rs.get_entry_by_type(tag)
            if entry is None:
                return None
            return entry.data_as_integer if entry.value_type in (0x02, 0x03) else entry.data_as_string

        name = _clean(_safe(lambda: value(_RECIPIENT_NAME)))
        smtp, other = (_clean(_safe(lambda t=t: value(t))) for t in (_RECIPIENT_SMTP, _RECIPIENT_EMAIL))
        address = smtp or other
        kind = _safe(lambda: value(_RECIPIENT_TYPE)) or 1
        if kind not in found:
            continue  # Bcc
        shown = f"{name} <{address}>" if name and address and name != address else (address or name)
        if shown:
            found[kind].append(shown)
    return (", ".join(found[1]) or None, ", ".join(found[2]) or None)


def _utc(value: Any) -> str | None:
    if not isinstance(value, datetime):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()


def _pst_message(item: Any, *, id: str, source: str) -> Message:
    headers = _safe(lambda: item.transport_headers)  # received mail keeps its RFC 822 headers
    fields = (_safe(lambda: header_fields(parse_headers(headers))) if headers else None) or {}
    to, cc = _safe(lambda: _recipients(item)) or (None, None)
    sender = _clean(_safe(lambda: item.sender_name))
    smtp, other = (_clean(_safe(lambda t=t: _entry(item, _TAGS[t]))) for t in ("sender_smtp", "sender_email"))
    address = smtp or other
    if sender and address and "@" in address and address not in sender:
        sender = f"{sender} <{address}>"
    attachments = []
    for i in range(_safe(lambda: item.number_of_attachments) or 0):
        name = _clean(_safe(lambda i=i: item.get_attachment(i).long_filename))
        attachments.append(name or "unnamed attachment")
    body = best_body(("plain", lambda: item.plain_text_body), ("html", lambda: item.html_body))
    body, quoted = split_quoted(body)

    def prop(name: str) -> str | None:
        return fields.get(name) or _clean(_safe(lambda: _entry(item, _TAGS[name])))

    return Message(
        id=id,
        source=source,
        from_=fields.get("from_") or sender or address,
        to=fields.get("to") or to or _clean(_safe(lambda: _entry(item, _TAGS["display_to"]))),
        cc=fields.get("cc") or cc or _clean(_safe(lambda: _entry(item, _TAGS["display_cc"]))),
        date=fields.get("date")
        or _utc(_safe(lambda: item.client_submit_time))
        or _utc(_safe(lambda: item.delivery_time)),
        subject=fields.get("subject") or _clean(_safe(lambda: item.subject)),
        message_id=prop("message_id"),
        in_reply_to=prop("in_reply_to"),
        references=prop("references"),
        body=body,
        quoted=quoted,
        attachments=attachments,
    )


def _pst_items(folder: Any) -> Iterator[Any]:
    """Every item of a PST folder tree: a folder's own items first, then its sub-folders in order."""
    for i in range(folder.number_of_sub_messages):
        yield lambda folder=folder, i=i: folder.get_sub_message(i)
    for i in range(folder.number_of_sub_folders):
        yield from _pst_items(folder.get_sub_folder(i))


class Pst:
    NAME = "pst"
    EXTENSIONS = {".pst", ".ost"}

    @staticmethod
    def match(head: bytes, path: Path) -> int:
        return 95 if head.startswith(b"!BDN") else 0

    @staticmethod
    def read(path: Path, source: str) -> Iterator[Message]:
        try:
            import pypff
        except ImportError:
            yield Message(
                id=source,
                source=source,
                error=f"Outlook .pst files need the optional PST reader: {PST_EXTRA}",
            )
            return
        store = pypff.file()
        with path.open("rb") as fh:
            store.open_file_object(fh)
            try:
                for n, get in enumerate(_pst_items(store.get_root_folder()), 1):
                    mid = f"{source}#{n}"
                    try:
                        yield _pst_message(get(), id=mid, source=source)
                    except Exception as exc:  # one broken item never sinks the store
                        yield Message(id=mid, source=source, error=f"unreadable item in PST: {exc}")
            finally:
                store.close()
