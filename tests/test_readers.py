"""Readers on realistic inputs: every file format a records dump arrives in, one message per row.

Fixtures are generated in tmp_path so each test shows the exact bytes it reads. The last section
reads the real collections under ../shared/corpora/real when they are present.
"""

from __future__ import annotations

import base64
import codecs
import itertools
import json
import quopri
from datetime import datetime, timezone
from pathlib import Path

import pytest

import influence.readers as readers
from influence.errors import InputError
from influence.readers import iter_messages, mbox, read_file, sniff
from influence.types import Message

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "real"


def write(path: Path, data: bytes | str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("ascii")


def read_all(*paths: Path) -> list[Message]:
    return list(iter_messages(paths))


def read_one(path: Path) -> Message:
    rows = read_all(path)
    assert len(rows) == 1, [r.to_dict() for r in rows]
    return rows[0]


# --------------------------------------------------------------------------------------- .eml

PLAIN_EML = """\
Return-Path: <rep@vigilant-example.com>
Received: from mail.vigilant-example.com (mail.vigilant-example.com [203.0.113.7])
\tby mx.cityofexample.gov with ESMTPS id 4Qx; Tue, 05 Mar 2024 09:14:02 -0800
From: "Dana Reyes" <dana.reyes@vigilant-example.com>
To: "Lt. Sam Ortiz" <sortiz@police.cityofexample.gov>
Cc: chief@police.cityofexample.gov, "Records Unit" <records@cityofexample.gov>
Subject: Re: LPR pilot - next steps
Date: Tue, 5 Mar 2024 09:13:58 -0800
Message-ID: <CAH7x9=pilot-0305@mail.vigilant-example.com>
In-Reply-To: <20240304170211.GA1123@police.cityofexample.gov>
References: <20240304170211.GA1123@police.cityofexample.gov>
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Lieutenant,

Thanks for the call. We can ship two more cameras at no cost if the
department agrees to a quote for the press release.

Dana
"""


def test_eml_plain_text_headers_and_body(tmp_path: Path) -> None:
    path = write(tmp_path / "lpr.eml", crlf(PLAIN_EML))
    m = read_one(path)
    assert m.error is None
    assert m.id == m.source == str(path)
    assert m.from_ == "Dana Reyes <dana.reyes@vigilant-example.com>"
    assert m.sender_domain == "vigilant-example.com"
    assert m.to == '"Lt. Sam Ortiz" <sortiz@police.cityofexample.gov>'  # quotes needed for "."
    assert m.cc == "chief@police.cityofexample.gov, Records Unit <records@cityofexample.gov>"
    assert m.subject == "Re: LPR pilot - next steps"
    assert m.message_id == "<CAH7x9=pilot-0305@mail.vigilant-example.com>"
    assert m.in_reply_to == "<20240304170211.GA1123@police.cityofexample.gov>"
    assert m.date == "2024-03-05T09:13:58-08:00"
    assert m.body.startswith("Lieutenant,\n\nThanks for the call.")
    assert m.body.endswith("Dana")
    assert "\r" not in m.body
    assert m.attachments == []
    assert m.text.startswith("Re: LPR pilot - next steps\n\nLieutenant,")


ALTERNATIVE_EML = """\
From: events@ring-example.com
To: pio@police.cityofexample.gov
Subject: Your Neighbors portal invitation
Date: Wed, 06 Mar 2024 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt-boundary-42"

This is a multi-part message in MIME format.

--alt-boundary-42
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

Plain version: every 20 sign-ups earns the station a free doorbell.

--alt-boundary-42
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 7bit

<html><body><p>HTML version: <b>every 20 sign-ups</b> earns a free doorbell.</p></body></html>

--alt-boundary-42--
"""

HTML_ONLY_EML = """\
From: newsletter@ring-example.com
To: pio@police.cityofexample.gov
Subject: Partner update
Date: Thu, 07 Mar 2024 08:30:00 +0000
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><title>Ignore this title</title><style>p {color: red}</style></head>
<body><script>var tracking = 1;</script>
<p>Dear partner,</p><p>Share the <a href="https://example.com/app">app link</a> with residents.</p>
</body></html>
"""


def test_eml_multipart_alternative_prefers_plain(tmp_path: Path) -> None:
    m = read_one(write(tmp_path / "alt.eml", ALTERNATIVE_EML))
    assert m.body == "Plain version: every 20 sign-ups earns the station a free doorbell."
    assert "HTML version" not in m.body
    assert "multi-part message in MIME format" not in m.body


def test_eml_html_only_falls_back_to_text(tmp_path: Path) -> None:
    m = read_one(write(tmp_path / "html.eml", HTML_ONLY_EML))
    assert m.error is None
    assert "Dear partner," in m.body
    assert "app link" in m.body and "with residents." in m.body
    for leftover in ("<p>", "<a ", "href", "var tracking", "color: red", "Ignore this title"):
        assert leftover not in m.body


def test_eml_empty_plain_alternative_falls_back_to_html(tmp_path: Path) -> None:
    eml = ALTERNATIVE_EML.replace(
        "Plain version: every 20 sign-ups earns the station a free doorbell.\n", "\n"
    )
    m = read_one(write(tmp_path / "alt-empty-plain.eml", eml))
    assert "HTML version:" in m.body and "every 20 sign-ups" in m.body


BODY_LATIN = "Café meeting with José Muñoz: the vendor pays for dinner (€120)."


@pytest.mark.parametrize("encoding", ["quoted-printable", "base64"])
def test_eml_transfer_encodings(tmp_path: Path, encoding: str) -> None:
    raw = BODY_LATIN.encode("utf-8")
    payload = (
        quopri.encodestring(raw).decode("ascii")
        if encoding == "quoted-printable"
        else base64.encodebytes(raw).decode("ascii")
    )
    eml = (
        "From: a.chen@cityofexample.gov\nTo: b.diaz@cityofexample.gov\nSubject: dinner\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        f"Content-Transfer-Encoding: {encoding}\n\n{payload}"
    )
    assert BODY_LATIN not in eml  # really encoded on disk
    m = read_one(write(tmp_path / f"{encoding}.eml", eml))
    assert m.body == BODY_LATIN


def test_eml_iso_8859_1_charset_with_accented_names(tmp_path: Path) -> None:
    eml = (
        "From: =?iso-8859-1?Q?Jos=E9_Mar=EDa_Nu=F1ez?= <jnunez@cityofexample.gov>\n"
        "To: =?ISO-8859-1?Q?Ren=E9e_Fran=E7ois?= <rfrancois@cityofexample.gov>\n"
        "Subject: =?iso-8859-1?Q?Reuni=F3n_con_el_proveedor?=\n"
        "Date: Mon, 4 Mar 2024 15:02:11 +0100\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        "Señor Nuñez, el proveedor ofrece cámaras gratis. Saludos, Renée\n"
    ).encode("iso-8859-1")
    m = read_one(write(tmp_path / "latin1.eml", eml))
    assert m.from_ == "José María Nuñez <jnunez@cityofexample.gov>"
    assert m.to == "Renée François <rfrancois@cityofexample.gov>"
    assert m.subject == "Reunión con el proveedor"
    assert m.body == "Señor Nuñez, el proveedor ofrece cámaras gratis. Saludos, Renée"
    assert "\ufffd" not in m.text


def test_eml_raw_8bit_headers_are_decoded(tmp_path: Path) -> None:
    """Real mail (mikel/mail invalid_subject_characters.eml) carries unencoded Latin-1 bytes in
    headers; the email package shows them as U+FFFD, the reader must not."""
    eml = (
        "From: Formação Frenetik <info@example.org>\nTo: x@example.org\n"
        "Subject: Formação: Campanha Final Verão\n\nTEST\n"
    ).encode("latin-1")
    m = read_one(write(tmp_path / "8bit.eml", eml))
    assert m.subject == "Formação: Campanha Final Verão"
    assert m.from_ is not None and m.from_.startswith("Formação Frenetik")


def test_eml_8bit_body_without_charset(tmp_path: Path) -> None:
    eml = (
        "From: a@example.ca\nTo: b@example.ca\nSubject: sms\nContent-Type: text/plain\n\n"
        "Envoyé par le service de messagerie texte de Bell Mobilité.\n"
    ).encode("cp1252")
    m = read_one(write(tmp_path / "bell.eml", eml))
    assert m.body == "Envoyé par le service de messagerie texte de Bell Mobilité."


def test_eml_with_leading_mbox_from_line(tmp_path: Path) -> None:
    """Mail saved from an mbox keeps its `From_` line; it is read (as a one-message mbox)."""
    path = write(tmp_path / "saved.eml", "From a@example.org Mon Jan  1 00:00:00 2024\n" + PLAIN_EML)
    m = read_one(path)
    assert m.error is None and m.id == f"{path}#1"
    assert m.subject == "Re: LPR pilot - next steps" and m.body.startswith("Lieutenant,")


@pytest.mark.parametrize(
    "header, expected",
    [
        ("=?utf-8?B?R2lmdCBjYXJkcyBmb3Ig8J+Ok++4jyBkZXRlY3RpdmVz?=", "Gift cards for 🎓️ detectives"),
        ("=?UTF-8?Q?Caf=C3=A9_invitation_=E2=80=93_Friday?=", "Café invitation – Friday"),
        ("Fwd: =?utf-8?Q?R=C3=A9union?= =?utf-8?Q?_mensuelle?=", "Fwd: Réunion mensuelle"),
    ],
)
def test_eml_encoded_word_subject(tmp_path: Path, header: str, expected: str) -> None:
    eml = f"From: a@example.org\nTo: b@example.org\nSubject: {header}\n\nbody\n"
    m = read_one(write(tmp_path / "enc.eml", eml))
    assert m.subject == expected


ATTACHMENTS_EML = """\
From: sales@axon-example.com
To: procurement@cityofexample.gov
Subject: Quote and brochure
Date: Fri, 08 Mar 2024 16:45:00 -0500
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed-1"

--mixed-1
Content-Type: text/plain; charset=utf-8

Please find the quote attached. Training is complimentary.

--mixed-1
Content-Type: application/pdf; name="Quote 2024-031.pdf"
Content-Disposition: attachment; filename="Quote 2024-031.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK

--mixed-1
Content-Type: text/plain; charset=utf-8; name*=utf-8''Pr%C3%A9sentation%20produit.txt
Content-Disposition: attachment; filename*=utf-8''Pr%C3%A9sentation%20produit.txt

Attached text, not part of the body.

--mixed-1
Content-Type: image/png
Content-Disposition: inline; filename=logo.png
Content-Transfer-Encoding: base64

iVBORw0KGgo=

--mixed-1
Content-Type: text/plain; name=Meeting notes March.txt
Content-Disposition: attachment; filename=Meeting notes March.txt

Unquoted name with spaces, as old Apple Mail wrote it.

--mixed-1
Content-Type: application/msword
Content-Disposition: attachment
Content-Transfer-Encoding: base64

0M8R4KGxGuEAAAAAAAAAAAAAAAAAAAAAPgADAP7/CQAGAAAAAAAAAAAAAAA=

--mixed-1
Content-Type: message/rfc822
Content-Disposition: attachment; filename="Original offer.eml"

From: ceo@axon-example.com
To: sales@axon-example.com
Subject: Original offer

Forwarded text that belongs to the attached email, not to this one.

--mixed-1--
"""


def test_eml_attachment_names_collected(tmp_path: Path) -> None:
    m = read_one(write(tmp_path / "attach.eml", ATTACHMENTS_EML))
    assert m.error is None
    assert m.attachments == [
        "Quote 2024-031.pdf",
        "Présentation produit.txt",
        "logo.png",
        "Meeting notes March.txt",
        "unnamed.msword",
        "Original offer.eml",
    ]
    assert m.body == "Please find the quote attached. Training is complimentary."
    # an attached email keeps its own text: it is not merged into this message's body
    assert "Forwarded text" not in m.text
    assert "not part of the body" not in m.text


def test_eml_unquoted_encoded_word_filename(tmp_path: Path) -> None:
    eml = (
        "From: a@example.org\nTo: b@example.org\nSubject: scan\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b1"\n\n'
        "--b1\nContent-Type: text/plain\n\nsee scan\n"
        "--b1\nContent-Type: application/pdf; name==?utf-8?B?SW52b2ljZSAyMDI0LnBkZg==?=\n"
        "Content-Disposition: attachment; filename==?utf-8?B?SW52b2ljZSAyMDI0LnBkZg==?=\n"
        "Content-Transfer-Encoding: base64\n\nJVBERg==\n--b1--\n"
    )
    m = read_one(write(tmp_path / "encname.eml", eml))
    assert m.attachments == ["Invoice 2024.pdf"]


def test_eml_unquoted_boundary_with_equals_sign(tmp_path: Path) -> None:
    """Outlook Express and Java mailers write `boundary=----=_Part_...` unquoted; the email
    package's default policy cuts it at "=" and loses every part."""
    eml = (
        "From: Mikel <mikel@example.org>\nTo: x@example.org\nSubject: Testing outlook\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=----=_NextPart_000_0093_01C81419.EB75\n\n"
        "This is a multi-part message in MIME format.\n\n"
        "------=_NextPart_000_0093_01C81419.EB75\n"
        "Content-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n\nHello\nThis is an outlook=20\ntest\n\n"
        "------=_NextPart_000_0093_01C81419.EB75\n"
        "Content-Type: text/html; charset=iso-8859-1\n\n<p>Hello</p>\n\n"
        "------=_NextPart_000_0093_01C81419.EB75--\n"
    )
    m = read_one(write(tmp_path / "outlook.eml", eml))
    assert m.body == "Hello\nThis is an outlook \ntest"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Tue, 5 Mar 2024 09:13:58 -0800", "2024-03-05T09:13:58-08:00"),
        ("Tue, 05 Mar 2024 17:13:58 GMT", "2024-03-05T17:13:58+00:00"),
        ("5 Mar 2024 09:13 +0100", "2024-03-05T09:13:00+01:00"),
        ("Wed, 15 Dec 2010 59:10 -0500", "Wed, 15 Dec 2010 59:10 -0500"),  # hour missing
        ("sometime last Tuesday", "sometime last Tuesday"),
    ],
)
def test_eml_date_iso_or_raw(tmp_path: Path, raw: str, expected: str) -> None:
    eml = f"From: a@example.org\nTo: b@example.org\nSubject: d\nDate: {raw}\n\nbody\n"
    m = read_one(write(tmp_path / "date.eml", eml))
    assert m.error is None
    assert m.date == expected


def test_eml_without_date_has_none(tmp_path: Path) -> None:
    m = read_one(write(tmp_path / "nodate.eml", "From: a@example.org\nSubject: s\n\nbody\n"))
    assert m.date is None


def test_eml_single_header_line(tmp_path: Path) -> None:
    """A .eml with only "Subject:" above the blank line is still an email, not plain text."""
    m = read_one(write(tmp_path / "one.eml", crlf("Subject: Budget\n\nSee attached.\n")))
    assert m.subject == "Budget"
    assert m.body == "See attached."


def test_eml_long_exchange_header_names_still_sniffed(tmp_path: Path) -> None:
    eml = (
        "Date: Wed, 9 Oct 2019 05:55:10 +0000\nSubject: PST Export\n"
        "From: Joe <joe@example.org>\nTo: Joe <joe@example.org>\n"
        "X-MS-Exchange-Organization-MessageDirectionality: Originating\n"
        "X-MS-Exchange-Organization-ExpirationStartTimeReason: OriginalSubmit\n\nhello\n"
    )
    path = write(tmp_path / "exchange.eml", eml)
    assert sniff(path).NAME == "eml"
    m = read_one(path)
    assert (m.subject, m.body) == ("PST Export", "hello")


def emlx_bytes(message: bytes) -> bytes:
    plist = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n'
        b"<key>flags</key>\n<integer>8590195713</integer>\n</dict>\n</plist>\n"
    )
    return str(len(message)).encode() + b"\n" + message + plist


@pytest.mark.parametrize("name", ["12345.emlx", "renamed.eml"])
def test_emlx_byte_count_line(tmp_path: Path, name: str) -> None:
    message = crlf(
        "From: Michael <michael@example.com>\nTo: Python <python@example.com>\n"
        "Subject: Re: Emlx library\nDate: Thu, 6 Feb 2020 15:39:55 +0200\n\n"
        "You're welcome. :)\n"
    )
    m = read_one(write(tmp_path / name, emlx_bytes(message)))
    assert m.from_ == "Michael <michael@example.com>"
    assert m.subject == "Re: Emlx library"
    assert m.date == "2020-02-06T15:39:55+02:00"
    assert m.body == "You're welcome. :)"
    assert "plist" not in m.body


def test_msg_named_file_that_is_rfc822_is_read_as_email(tmp_path: Path) -> None:
    path = write(tmp_path / "invitation.msg", crlf(PLAIN_EML))
    assert sniff(path).NAME == "eml"
    m = read_one(path)
    assert m.error is None
    assert m.subject == "Re: LPR pilot - next steps"
    assert m.from_ and "dana.reyes@" in m.from_


def test_damaged_outlook_msg_gives_clear_error(tmp_path: Path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    m = read_one(write(tmp_path / "real.msg", ole))
    assert m.error and m.error.startswith("damaged Outlook .msg file")


# --------------------------------------------------------------------------------------- mbox

MBOX = """\
From dana.reyes@vigilant-example.com Tue Mar  5 09:13:58 2024
From: Dana Reyes <dana.reyes@vigilant-example.com>
To: sortiz@police.cityofexample.gov
Subject: Pilot cameras
Date: Tue, 05 Mar 2024 09:13:58 -0800
Message-ID: <m1@vigilant-example.com>

Two more cameras at no cost.
>From the vendor's side this is routine.
>>From here on, quoted twice.

From sortiz@police.cityofexample.gov Tue Mar  5 10:02:00 2024
From: Sam Ortiz <sortiz@police.cityofexample.gov>
To: dana.reyes@vigilant-example.com
Subject: Re: Pilot cameras
Date: Tue, 05 Mar 2024 10:02:00 -0800
In-Reply-To: <m1@vigilant-example.com>

Sounds good. Let me check with the chief.

From my side, nothing else is needed.

From records@cityofexample.gov Wed Mar  6 08:00:00 2024
From: Records Unit <records@cityofexample.gov>
Subject: Retention notice

Third message.
"""


def test_mbox_messages_ids_lines_and_unescaping(tmp_path: Path) -> None:
    path = write(tmp_path / "lpr.mbox", MBOX)
    rows = read_all(path)
    src = str(path)
    assert [m.id for m in rows] == [f"{src}#1", f"{src}#2", f"{src}#3"]
    assert all(m.source == src and m.error is None for m in rows)
    lines = MBOX.splitlines()
    for m in rows:  # `line` is the message's first header line, right after its From_ line
        assert lines[m.line - 2].startswith("From ") and lines[m.line - 1].startswith("From: ")
        assert MBOX.encode()[m.offset :].startswith(b"From: ")
    assert [m.line for m in rows] == [2, 13, 24]
    first, second, third = rows
    assert first.subject == "Pilot cameras"
    assert first.date == "2024-03-05T09:13:58-08:00"
    assert "\nFrom the vendor's side this is routine." in first.body  # >From unescaped
    assert first.quoted == ">From here on, quoted twice."  # mboxrd: one level removed; a quote
    # an unescaped "From " paragraph after a blank line does not start a new message
    assert second.in_reply_to == "<m1@vigilant-example.com>"
    assert second.body.endswith("From my side, nothing else is needed.")
    assert third.subject == "Retention notice" and third.body == "Third message."


def test_mbox_crlf_and_named_without_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.dat", crlf(MBOX))
    assert sniff(path).NAME == "mbox"
    rows = read_all(path)
    assert [m.subject for m in rows] == ["Pilot cameras", "Re: Pilot cameras", "Retention notice"]


def test_memo_opening_with_from_is_not_an_mbox(tmp_path: Path) -> None:
    memo = "From the desk of the Chief of Police\n\nAll officers: gifts from vendors must be logged.\n"
    path = write(tmp_path / "memo.txt", memo)
    assert sniff(path).NAME == "text"
    m = read_one(path)
    assert m.body == memo.strip()


def test_mbox_one_broken_message_does_not_stop_the_rest(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path / "archive.mbox", MBOX)
    real_parse = mbox.parse_bytes

    def flaky(raw: bytes, **kw):
        if b"Re: Pilot cameras" in raw:
            raise ValueError("simulated parser crash")
        return real_parse(raw, **kw)

    monkeypatch.setattr(mbox, "parse_bytes", flaky)
    rows = read_all(path)
    assert [m.id.rsplit("#", 1)[1] for m in rows] == ["1", "2", "3"]
    assert rows[0].error is None and rows[2].error is None
    assert rows[1].error and "simulated parser crash" in rows[1].error
    assert rows[1].line == 13


def test_mbox_garbage_message_still_one_row(tmp_path: Path) -> None:
    text = MBOX.replace(
        "From: Sam Ortiz <sortiz@police.cityofexample.gov>\n",
        "From: Sam Ortiz <sortiz@police.cityofexample.gov>\nContent-Type: multipart/mixed\n"
        "Content-Transfer-Encoding: base64\nDate: 99 Foo 99999999999 99:99:99\n",
    )
    rows = read_all(write(tmp_path / "garbage.mbox", text))
    assert len(rows) == 3
    assert rows[2].subject == "Retention notice"


def test_reader_crash_mid_file_keeps_earlier_messages(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path / "cut.mbox", MBOX)
    real_chunks = mbox.iter_chunks

    def cut(p: Path, span=None):
        chunks = real_chunks(p, span)
        yield next(chunks)
        raise OSError("disk read error")

    monkeypatch.setattr(mbox, "iter_chunks", cut)
    rows = read_all(path)
    assert len(rows) == 2
    assert rows[0].error is None
    assert rows[1].id == f"{path}#error"
    assert "after 1 messages" in rows[1].error and "disk read error" in rows[1].error


def test_large_mbox_is_streamed(tmp_path: Path, monkeypatch) -> None:
    n = 20_000
    path = tmp_path / "big.mbox"
    with path.open("w", encoding="ascii") as fh:
        for i in range(n):
            fh.write(
                f"From user{i}@example.org Mon Jan  1 00:00:00 2024\n"
                f"From: user{i}@example.org\nSubject: note {i}\n\nbody {i}\n\n"
            )
    size = path.stat().st_size
    opened: list = []
    real_open = Path.open

    def spy_open(self: Path, *args, **kwargs):
        fh = real_open(self, *args, **kwargs)
        opened.append(fh)
        return fh

    monkeypatch.setattr(Path, "open", spy_open)
    stream = iter_messages([path])
    first = list(itertools.islice(stream, 3))
    assert [m.subject for m in first] == ["note 0", "note 1", "note 2"]
    live = [fh for fh in opened if not fh.closed]
    assert len(live) == 1  # the mbox is still open and being read...
    assert live[0].tell() < size // 20  # ...and only its beginning has been read so far
    rest = sum(1 for _ in stream)
    assert len(first) + rest == n
    assert live[0].closed


# -------------------------------------------------------------------------------------- JSONL


def test_jsonl_rows(tmp_path: Path) -> None:
    rows_in = [
        {"id": "DOC-001", "text": "Please bring the gift cards to the station.", "from": "a@x.org"},
        {
            "id": "DOC-002",
            "text": (
                "From: Dana Reyes <dana@vigilant-example.com>\nTo: sortiz@police.example.gov\n"
                "Subject: Demo\nDate: Tue, 5 Mar 2024 09:13:58 -0800\n\nDinner is on us.\n"
            ),
        },
        "{not json at all",
        {"id": "DOC-004", "subject": "no text here"},
        {
            "id": "DOC-005",
            "text": (
                "From: first@example.org\nSubject: Outer\n\nTop reply.\n\n"
                "From: second@example.org\nSubject: Inner\n\nQuoted older message.\n\n"
                "From: third@example.org\nSubject: Oldest\n\nOldest.\n"
            ),
        },
        {"id": 6, "body": "numeric id, body column"},
    ]
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows_in]
    path = write(tmp_path / "export.jsonl", "\n".join(lines[:3]) + "\n\n" + "\n".join(lines[3:]))
    rows = read_all(path)
    assert len(rows) == 6
    one, two, bad, notext, multi, six = rows
    assert one.id == "DOC-001" and one.body.startswith("Please bring") and one.from_ == "a@x.org"
    assert one.line == 1
    assert two.id == "DOC-002"
    assert two.from_ == "Dana Reyes <dana@vigilant-example.com>"
    assert two.subject == "Demo" and two.date == "2024-03-05T09:13:58-08:00"
    assert two.body == "Dinner is on us."
    assert bad.error and "invalid JSON on line 3" in bad.error
    assert bad.id == f"{path}:3" and bad.line == 3
    assert notext.id == "DOC-004" and notext.error == "row has no text"
    assert notext.line == 5  # the blank line 4 is skipped, line numbers stay true
    assert multi.error is None and multi.from_ == "first@example.org"
    assert multi.subject == "Outer"
    assert "From: second@example.org" in multi.body and "Oldest." in multi.body
    assert six.id == "6" and six.body == "numeric id, body column"


def test_jsonl_named_txt_is_sniffed_as_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path / "data.txt", '{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n')
    assert sniff(path).NAME == "jsonl"
    assert [(m.id, m.body) for m in read_all(path)] == [("a", "one"), ("b", "two")]


def test_jsonl_latin1_line_is_decoded(tmp_path: Path) -> None:
    data = b'{"id": "u", "text": "ok"}\n' + '{"id": "l", "text": "Señora Muñoz"}\n'.encode("cp1252")
    rows = read_all(write(tmp_path / "mixed.jsonl", data))
    assert [(m.id, m.body, m.error) for m in rows] == [("u", "ok", None), ("l", "Señora Muñoz", None)]


def test_jsonl_non_object_row(tmp_path: Path) -> None:
    rows = read_all(write(tmp_path / "x.jsonl", '{"text": "fine"}\n["a", "list"]\n'))
    assert rows[0].error is None and rows[0].id == f"{tmp_path / 'x.jsonl'}:1"
    assert rows[1].error == "row is not an object with a text field"


# ---------------------------------------------------------------------------------------- CSV

CSV_TEXT = (
    "DocNumber,From,Subject,Date,Page,RawText\r\n"
    'C05765933,"Sullivan, Jacob J <SullivanJJ@state.gov>",Karzai,12/05/2009 10:48 AM,3,'
    '"First line.\r\nSecond line with a comma, and ""quotes"".\r\n\r\nThird paragraph."\r\n'
    "C05765977,someone@state.gov,,2009-12-08,,Short text\r\n"
)


def test_csv_multiline_text_and_header_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "emails.csv", CSV_TEXT)
    rows = read_all(path)
    assert len(rows) == 2
    a, b = rows
    assert a.id == "C05765933" and a.error is None
    assert a.from_ == "Sullivan, Jacob J <SullivanJJ@state.gov>"
    assert a.subject == "Karzai"
    assert a.date == "2009-12-05T10:48:00"
    assert a.page == 3
    assert a.body == 'First line.\r\nSecond line with a comma, and "quotes".\r\n\r\nThird paragraph.'
    assert a.line == 2 and b.line == 6  # a spans lines 2-5
    assert b.id == "C05765977" and b.subject is None and b.date == "2009-12-08T00:00:00"
    assert b.body == "Short text"


def test_csv_without_text_column_is_one_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path / "index.csv", "id,from,subject\n1,a@x.org,Hello\n2,b@x.org,Bye\n")
    m = read_one(path)
    assert m.id == str(path)
    assert m.error and "no text column" in m.error and "id, from, subject" in m.error


def test_csv_latin1_is_decoded(tmp_path: Path) -> None:
    text = (
        "id,from,subject,text\n"
        "1,José Muñoz <jm@example.es>,Reunión,Señora Peña pidió cámaras gratis para la comisaría.\n"
        "2,Renée Françoise <rf@example.fr>,Déjeuner,Le fournisseur offre le déjeuner à l'équipe.\n"
        "3,Jürgen Größ <jg@example.de>,Geschenk,Die Firma übernimmt die Kosten für das Büro.\n"
    )
    rows = read_all(write(tmp_path / "latin1.csv", text, encoding="latin-1"))
    assert [m.from_ for m in rows] == [
        "José Muñoz <jm@example.es>", "Renée Françoise <rf@example.fr>", "Jürgen Größ <jg@example.de>",
    ]  # fmt: skip
    assert rows[0].body == "Señora Peña pidió cámaras gratis para la comisaría."
    assert rows[2].subject == "Geschenk"
    assert all("\ufffd" not in m.text for m in rows)


def test_tsv(tmp_path: Path) -> None:
    rows = read_all(write(tmp_path / "x.tsv", "id\ttext\nA\thello, world\nB\tsecond\n"))
    assert [(m.id, m.body) for m in rows] == [("A", "hello, world"), ("B", "second")]


# ------------------------------------------------------------------------------------ Parquet


def test_parquet_ids_text_and_dates(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({
        "doc_id": ["P-1", "P-2", "P-3"],
        "text": [
            "Vendor offers free training.",
            "From: a@vendor.example\nTo: b@city.example\nSubject: Lunch\n\nLunch is on us.",
            None,
        ],
        "date": pa.array([
            datetime(2024, 3, 5, 17, 13, 58, tzinfo=timezone.utc), None, None,
        ], type=pa.timestamp("s", tz="UTC")),
    })  # fmt: skip
    path = tmp_path / "dump.parquet"
    pq.write_table(table, path)
    rows = read_all(path)
    assert [m.id for m in rows] == ["P-1", "P-2", "P-3"]
    assert rows[0].body == "Vendor offers free training."
    assert rows[0].date == "2024-03-05T17:13:58+00:00"
    assert (rows[1].from_, rows[1].subject, rows[1].body) == (
        "a@vendor.example", "Lunch", "Lunch is on us.",
    )  # fmt: skip
    assert rows[2].error == "row has no text"


def test_parquet_without_text_column(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "meta.parquet"
    pq.write_table(pa.table({"id": [1], "subject": ["x"]}), path)
    m = read_one(path)
    assert m.error and "no text column" in m.error


# --------------------------------------------------------------------------------------- .txt


def test_txt_is_one_message(tmp_path: Path) -> None:
    text = "Meeting notes\n\nThe vendor will provide\nten cameras.\n\nFrom: is not a header here.\n"
    m = read_one(write(tmp_path / "notes.txt", text))
    assert m.error is None and m.from_ is None and m.subject is None
    assert m.body == text.strip()


def test_txt_with_header_lines_is_parsed(tmp_path: Path) -> None:
    text = (
        "From: Jacob Sullivan <SullivanJJ@state.gov>\nSent: Saturday, December 5, 2009 10:48 AM\n"
        "To: H\nSubject: Karzai\n\nReport attached.\n"
    )
    m = read_one(write(tmp_path / "C05765933.txt", text))
    assert m.from_ == "Jacob Sullivan <SullivanJJ@state.gov>"
    assert m.to == "H" and m.subject == "Karzai"
    assert m.date == "2009-12-05T10:48:00"
    assert m.body == "Report attached."


def test_txt_with_headers_keeps_non_ascii_body(tmp_path: Path) -> None:
    """Header-led text is parsed as email; its body must keep every character it had."""
    body = "Résumé attached — “quoted” note, 漢字, €40 gift card."
    text = f"From: Renée <renee@city.example>\nSubject: Café menu\n\n{body}\n"
    m = read_one(write(tmp_path / "notes.txt", text))
    assert (m.from_, m.subject, m.body) == ("Renée <renee@city.example>", "Café menu", body)
    row = {"id": "r1", "text": text}
    m = read_one(write(tmp_path / "rows.jsonl", json.dumps(row, ensure_ascii=False) + "\n"))
    assert (m.from_, m.subject, m.body) == ("Renée <renee@city.example>", "Café menu", body)


@pytest.mark.parametrize(
    "sent, expected",
    [
        ("Monday, March 4, 2024 3:02 PM", "2024-03-04T15:02:00"),
        ("Friday, December 04, 2009 4:17 PM", "2009-12-04T16:17:00"),
        ("Wednesday, March 6, 2024 12:05 AM", "2024-03-06T00:05:00"),
        ("3/4/2024 3:02 PM", "2024-03-04T15:02:00"),
    ],
)
def test_outlook_sent_line_12_hour_clock(tmp_path: Path, sent: str, expected: str) -> None:
    """Printed Outlook headers ("Sent: ... 3:02 PM") must not lose their PM (the RFC 822 date
    parser takes "PM" for a time zone and returns 03:02)."""
    text = f"From: Sullivan, Jacob J\nSent: {sent}\nTo: H\nSubject: Update\n\nCall me.\n"
    assert read_one(write(tmp_path / "doc.txt", text)).date == expected


def test_txt_utf16_with_bom(tmp_path: Path) -> None:
    text = "Subject: Unicode export\nFrom: clerk@city.example\n\nRésumé attached.\n"
    path = write(tmp_path / "export.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    m = read_one(path)
    assert m.error is None
    assert (m.subject, m.body) == ("Unicode export", "Résumé attached.")


# ------------------------------------------------------------------------------------ folders


def build_folder(root: Path) -> dict[str, int]:
    """A realistic dump folder; returns the number of rows expected per file, in reading order."""
    write(root / "a-letter.eml", crlf(PLAIN_EML))
    write(root / "z-index.csv", 'id,text\n1,first row\n2,"second\nrow"\n')
    write(root / "box" / "data.txt", '{"id": "j1", "text": "one"}\n{"id": "j2", "text": "two"}\n')
    write(root / "box" / "notes.dat", MBOX)
    write(root / "box" / "scan.msg", crlf(ALTERNATIVE_EML))  # misnamed RFC 822
    write(root / "misc" / "blob.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
    write(root / "misc" / "empty.eml", b"")
    write(root / "misc" / "release.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    write(root / "misc" / "archive.zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00")
    write(root / "misc" / "memo.md", "Notes from the 3/5 vendor demo.\n")
    write(root / ".DS_Store", b"\x00\x00\x00\x01Bud1\x00")
    write(root / ".git" / "HEAD", "ref: refs/heads/main\n")
    write(root / "box" / ".~lock.data.txt#", "lock")
    return {
        "a-letter.eml": 1,
        "z-index.csv": 2,
        "box/data.txt": 2,
        "box/notes.dat": 3,
        "box/scan.msg": 1,
        "misc/archive.zip": 1,
        "misc/blob.bin": 1,
        "misc/empty.eml": 1,
        "misc/memo.md": 1,
        "misc/release.pdf": 1,
    }


def test_folder_recursive_sorted_sniffed(tmp_path: Path) -> None:
    expected = build_folder(tmp_path / "dump")
    rows = read_all(tmp_path / "dump")
    rel = [str(Path(m.source).relative_to(tmp_path / "dump")) for m in rows]
    order = list(dict.fromkeys(rel))
    assert order == list(expected)  # root files first, then folders, each sorted; hidden skipped
    assert {f: rel.count(f) for f in order} == expected
    by = {f: [m for m, r in zip(rows, rel, strict=True) if r == f] for f in order}
    assert by["box/notes.dat"][1].subject == "Re: Pilot cameras"  # mbox sniffed by content
    assert [m.id for m in by["box/data.txt"]] == ["j1", "j2"]  # JSONL named .txt
    assert by["box/scan.msg"][0].subject == "Your Neighbors portal invitation"
    assert by["misc/empty.eml"][0].error == "empty file"
    assert "unrecognised binary file" in by["misc/blob.bin"][0].error
    assert by["misc/release.pdf"][0].error.startswith("cannot read PDF")  # a truncated PDF
    assert "unreadable zip archive" in by["misc/archive.zip"][0].error  # truncated
    assert by["misc/memo.md"][0].body == "Notes from the 3/5 vendor demo."
    errors = [m for m in rows if m.error]
    assert len(errors) == 4  # binary, empty, pdf, zip


def test_every_input_message_appears_exactly_once(tmp_path: Path) -> None:
    expected = build_folder(tmp_path / "dump")
    rows = read_all(tmp_path / "dump")
    assert len(rows) == sum(expected.values()) == 14
    ids = [m.id for m in rows]
    assert len(set(ids)) == len(ids)
    # a file given twice (folder and file) is read twice: the caller asked for it twice
    again = read_all(tmp_path / "dump" / "box" / "notes.dat", tmp_path / "dump")
    assert len(again) == 3 + 14


def test_on_file_callback_and_single_file_path(tmp_path: Path) -> None:
    build_folder(tmp_path / "dump")
    seen: list[Path] = []
    list(iter_messages([tmp_path / "dump"], on_file=seen.append))
    assert len(seen) == 10 and all(not p.name.startswith(".") for p in seen)
    hidden = tmp_path / "dump" / ".DS_Store"
    assert len(read_all(hidden)) == 1  # a hidden file named explicitly is still read


def test_missing_path_raises_input_error(tmp_path: Path) -> None:
    write(tmp_path / "ok.txt", "hello")
    with pytest.raises(InputError, match="No such file or folder"):
        iter_messages([tmp_path / "nope"]).__next__()
    with pytest.raises(InputError, match="missing.mbox"):
        list(iter_messages([tmp_path / "ok.txt", tmp_path / "missing.mbox"]))


def test_read_file_never_raises_on_unreadable_file(tmp_path: Path) -> None:
    rows = list(read_file(tmp_path / "gone.eml"))
    assert len(rows) == 1 and rows[0].error and rows[0].error.startswith("cannot open file")


def test_every_reader_declares_its_interface() -> None:
    for reader in readers.READERS:
        assert reader.NAME and isinstance(reader.EXTENSIONS, set)
        assert callable(reader.match) and callable(reader.read)


# -------------------------------------------------------------------------- real collections

MBOX_FIXTURE_FILES = 13
MBOX_FIXTURE_MESSAGES = 27  # PROVENANCE.md says 27 over 13 files; the readers find exactly 27


def real_dir(name: str) -> Path:
    path = REAL / name
    if not path.is_dir():
        pytest.skip(f"real corpus not available: {path}")
    return path


def by_source(rows: list[Message]) -> dict[str, list[Message]]:
    out: dict[str, list[Message]] = {}
    for m in rows:
        out.setdefault(m.source, []).append(m)
    return out


def usable(m: Message) -> bool:
    return m.error is None and bool(m.from_ or m.body.strip())


@pytest.mark.parametrize("name", ["fixtures-eml", "enron"])
def test_real_email_collections(name: str) -> None:
    root = real_dir(name)
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(".")]
    rows = read_all(root)
    grouped = by_source(rows)
    assert sorted(grouped) == sorted(str(p) for p in files)  # every file yields >= 1 row
    good = [m for m in rows if usable(m)]
    assert len(good) >= 0.9 * len(rows), [m.source for m in rows if not usable(m)]
    assert len({m.id for m in rows}) == len(rows)


def test_real_enron_maildir_fields() -> None:
    rows = read_all(real_dir("enron"))
    assert len(rows) == 13
    for m in rows:
        assert m.error is None
        assert m.from_ and m.from_.endswith((".com", ".net"))
        assert m.subject and m.date and m.date[:2] in ("19", "20")
        assert m.message_id and m.message_id.endswith("JavaMail.evans@thyme>")


def test_real_mbox_fixtures() -> None:
    root = real_dir("fixtures-mbox")
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    rows = read_all(root)
    grouped = by_source(rows)
    assert len(files) == MBOX_FIXTURE_FILES
    assert sorted(grouped) == sorted(str(p) for p in files)
    assert len(rows) == MBOX_FIXTURE_MESSAGES
    assert all(m.error is None for m in rows)
    assert all(m.id == f"{m.source}#{n}" for ms in grouped.values() for n, m in enumerate(ms, 1))
    assert sum(usable(m) for m in rows) == len(rows)


def test_real_msg_fixtures() -> None:
    root = real_dir("fixtures-msg")
    rows = read_all(root)
    grouped = by_source(rows)
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    assert sorted(grouped) == sorted(str(p) for p in files)
    trap = root / "ingest-file" / "fnf.msg__actually_rfc822.msg"
    for src, ms in grouped.items():
        assert len(ms) == 1, src
        m = ms[0]
        if Path(src) == trap:
            assert m.error is None
            assert m.subject and m.subject.startswith("Innovationskongress 2017")
            assert m.from_ and "Friedrich-Naumann-Stiftung" in m.from_
            assert m.body.strip()
        elif src.endswith(".msg"):  # real Outlook (OLE) files
            if "encrypted" in src:  # S/MIME: headers read, the body cannot be
                assert m.error and "S/MIME-encrypted" in m.error and m.subject, src
            else:
                assert m.error is None and (m.subject or m.body.strip()), src
        else:  # the .eml twins converted from those .msg files
            assert m.error is None and (m.subject or m.body), src


def test_western_european_code_page_wins_over_a_look_alike() -> None:
    """A Windows-1252 Spanish release reads as written, not as the Baltic or Central European code
    page the detector scores higher on English-looking text."""
    from influence.readers.rfc822 import decode_bytes

    text = ("De: Cárdenas, Paula\nEnviado el: martes, 5 de marzo de 2024 11:40\nPara: Villarreal, Ernesto\n"
            "Asunto: RE: Demostración Skydio X10\n\nComandante, para el 12 tengo a Garza y a Montemayor "
            "libres. The demo is at the range, and the Santa Inés team will bring the batteries.\n")
    assert decode_bytes(text.encode("cp1252")) == text
