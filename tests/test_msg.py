"""Outlook .msg (extract-msg) and .pst (libpff, the `influence[pst]` extra).

Outlook files cannot be written with the libraries here, so the readers are tested on the real
fixtures in ../shared/corpora/real (skipped when absent) and, for the body rules, on stand-ins for
extract-msg's message objects.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from influence.readers import iter_messages, msg, read_file, sniff
from influence.types import Message

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "real"
MSG_DIR = REAL / "fixtures-msg"
PST = REAL / "fixtures-pst" / "ingest-file" / "testPST.pst"
OLE_MSG_FILES = 37  # PROVENANCE.md: 38 .msg files, one of them RFC 822 under a .msg name
ENCRYPTED = {"S_MIME test message encrypted.msg", "S_MIME test message signed & encrypted.msg"}


def real(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real corpus not available: {path}")
    return path


def read_one(path: Path) -> Message:
    rows = list(iter_messages([path]))
    assert len(rows) == 1, [r.to_dict() for r in rows]
    return rows[0]


def fixture(name: str) -> Path:
    return real(MSG_DIR / "outlook-message-parser" / name)


# ------------------------------------------------------------------------------------ real .msg


def test_every_real_outlook_msg_is_read() -> None:
    files = sorted(p for p in real(MSG_DIR).rglob("*.msg") if p.read_bytes()[:4] == b"\xd0\xcf\x11\xe0")
    assert len(files) == OLE_MSG_FILES
    rows = list(iter_messages(files))
    assert [m.source for m in rows] == [str(p) for p in files]  # one row per file
    for m in rows:
        name = Path(m.source).name
        if name in ENCRYPTED:  # S/MIME-encrypted: headers kept, body unreadable, said so
            assert m.error and "S/MIME-encrypted" in m.error and m.subject and m.from_, name
            assert m.body == ""
        else:
            assert m.error is None, (name, m.error)
            assert m.subject or m.body, name
            assert "\x00" not in m.text and "\r" not in m.text, name


def test_msg_headers_body_and_attachments() -> None:
    m = read_one(fixture("simple reply with CC.msg"))
    assert m.from_ == "Benny Bottema <benny@bennybottema.com>"
    assert m.to == "David Johnston <davidjono555@gmail.com>"
    assert m.cc and m.cc.startswith("Benny Bottema <b.bottema@projectnibble.org>")
    assert m.subject == "Re: Sent by CV Contact Form"
    assert m.date == "2019-12-18T11:30:37+01:00"  # the Date header, with its own offset
    assert m.message_id == "<CACXzq2pJcqDDAqF+p9cpS-beCd0y2cH2YZhH+8eo0P8+TD3Deg@mail.gmail.com>"
    assert m.in_reply_to == "<CA+Hp245mBz5LaoGdCzFY4DTO1XLup-2KrejrzOY4NJORWOZC_Q@mail.gmail.com>"
    assert m.references and "<1e8f9666a777f3219502aa861c901708@www.bennybottema.com>" in m.references
    assert m.body == "This is a dummy CC test mail."
    assert m.quoted.startswith("On Wed, 18 Dec 2019 at 10:34, David Johnston")

    m = read_one(fixture("HTML mail with replyto and attachment and embedded image.msg"))
    assert m.attachments == ["thumbsup", "dresscode.txt", "location.txt"]


def test_msg_outlook_history_is_quoted() -> None:
    m = read_one(fixture("plain chain.msg"))
    assert m.body.startswith("Another test email to obtain raw data for Jean-Philippe.")
    assert m.quoted.startswith("From: applsoft-redmine@anca.com [mailto:applsoft-redmine@anca.com]")
    m = read_one(fixture("forward with attachments and embedded images.msg"))  # Dutch Outlook
    assert m.body == "" and m.quoted.startswith("Van: Microsoft Outlook")


def test_embedded_msg_is_listed_as_attachment() -> None:
    m = read_one(fixture("nested simple mail.msg"))
    assert m.attachments == ["outlookmsg2html Testmail.msg"]
    assert m.body.startswith("Mail in mail.")
    m = read_one(fixture("testgetmsgAttch.msg"))
    assert m.attachments == ["剑来.jpg", "test mail.msg"]
    assert m.subject == "测试多人邮件抄送msg格式"


def test_unnamed_attachments_and_unsent_drafts() -> None:
    m = read_one(fixture("attachments.msg"))
    assert m.attachments == ["unnamed.delivery-status", "unnamed.rfc822-headers"]
    assert m.in_reply_to == "<73ade2cb375f4f39b9e210a57d087900@ABMAIL13.ci.atlantic-beach.fl.us>"
    m = read_one(fixture("unsent draft.msg"))
    assert m.error is None and m.date is None and m.from_ is None and m.subject == "MSG Test File"


def test_msg_subject_without_trailing_nul() -> None:
    m = read_one(real(MSG_DIR / "email-outlook-message-perl" / "charset.msg"))
    assert m.subject == "PST Export - Embedded Email Test"
    assert m.date == "2019-10-09T05:55:10+00:00"


def test_msg_named_eml_is_read_as_outlook(tmp_path: Path) -> None:
    """The content decides: an OLE file named .eml goes to the .msg reader."""
    path = tmp_path / "renamed.eml"
    shutil.copy(fixture("simple sent.msg"), path)
    assert sniff(path).NAME == "msg"
    m = read_one(path)
    assert m.error is None and m.from_ == "John Doe <jdoes@someserver.com>"
    assert m.body.startswith("Dear BitDaddys Corp.,")


def test_rfc822_named_msg_is_read_as_email() -> None:
    m = read_one(real(MSG_DIR / "ingest-file" / "fnf.msg__actually_rfc822.msg"))
    assert m.error is None and m.subject and m.subject.startswith("Innovationskongress 2017")


def test_msg_inside_zip(tmp_path: Path) -> None:
    path = tmp_path / "release.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(fixture("nested simple mail.msg"), "mail/nested.msg")
    [m] = list(iter_messages([path]))
    assert m.source == f"{path}!mail/nested.msg" and m.error is None
    assert m.subject == "outlookmsg2html Testmail"


# ------------------------------------------------------------------------ body rules (stand-ins)


class Broken:
    def __get__(self, obj: object, owner: type) -> str:
        raise ValueError("RTF de-encapsulation failed")


def item(**props: object) -> object:
    """A stand-in for an extract-msg message: given properties, None for the rest."""
    defaults = dict.fromkeys(
        ["header", "date", "attachments", "sender", "to", "cc", "subject", "messageId", "inReplyTo",
         "body", "htmlBody", "deencapsulatedRtf"]
    )  # fmt: skip
    return SimpleNamespace(**{**defaults, **props})


def test_html_only_msg_body_goes_through_html_to_text() -> None:
    html = b"<html><style>p{}</style><body><p>Share the <b>app link</b> with residents.</p></body></html>"
    m = msg.message_from_msg(item(body=None, htmlBody=html, subject="Hi\x00"), id="a", source="a")
    assert m.body == "Share the \napp link\n with residents."
    assert m.subject == "Hi"


def test_broken_rtf_falls_back_to_plain_body() -> None:
    class Item:
        header = date = sender = to = cc = messageId = inReplyTo = None
        subject = "Quote"
        attachments: list = []
        body = "Plain text survives.\r\n"
        htmlBody = Broken()  # would come from the RTF body
        deencapsulatedRtf = Broken()

    m = msg.message_from_msg(Item(), id="a", source="a")
    assert m.error is None and m.body == "Plain text survives."

    class NoPlain(Item):
        body = None

    m = msg.message_from_msg(NoPlain(), id="b", source="b")
    assert m.error is None and m.body == "" and m.subject == "Quote"


def test_attachment_names() -> None:
    embedded = SimpleNamespace(subject="Original offer")
    atts = [
        SimpleNamespace(longFilename="Quote 2024.pdf"),
        SimpleNamespace(longFilename=None, name=None, shortFilename="QUOTE~1.PDF"),
        SimpleNamespace(longFilename=None, name=None, shortFilename=None, data=embedded),
        SimpleNamespace(longFilename="", name="", shortFilename="", data=None, mimetype="image/png"),
    ]
    m = msg.message_from_msg(item(attachments=atts, body="x"), id="a", source="a")
    assert m.attachments == ["Quote 2024.pdf", "QUOTE~1.PDF", "Original offer.msg", "unnamed.png"]


# ------------------------------------------------------------------------------------------- PST


def test_pst_messages() -> None:
    pytest.importorskip("pypff")
    path = real(PST)
    rows = list(iter_messages([path]))
    assert [m.id for m in rows] == [f"{path}#{n}" for n in range(1, 7)]
    assert all(m.error is None and m.source == str(path) for m in rows)
    first = rows[0]
    assert first.subject == "Re: Feature Generators"
    assert first.from_ == "Jörn Kottmann <kottmann@gmail.com>"
    assert first.to == "users@opennlp.apache.org"
    assert first.date == "2014-02-26T08:50:04+01:00"
    assert first.message_id == "<530D9CAC.5080901@gmail.com>"
    assert first.in_reply_to == "<CAJ+FrY6C_Hp_b-Pzx2VqUqnonx9Dei8kcXDV7j1wPT99mNKsuA@mail.gmail.com>"
    assert first.body.startswith("Hello,\n\nthe PreviousMapFeatureGenerator")
    assert first.quoted.startswith("On 02/25/2014 11:17 AM, Kenig Ma wrote:")
    assert rows[2].message_id == first.in_reply_to  # the question the first message answers
    assert rows[5].body.startswith("Couchbase")  # HTML newsletter with a plain part


def test_pst_in_zip_is_read_from_memory(tmp_path: Path) -> None:
    pytest.importorskip("pypff")
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(real(PST), "mailbox.pst")
    rows = list(iter_messages([path]))
    assert [m.id for m in rows] == [f"{path}!mailbox.pst#{n}" for n in range(1, 7)]
    assert all(m.error is None for m in rows)


def test_pst_without_the_extra_names_the_install_command(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pypff", None)  # import pypff raises ImportError
    path = tmp_path / "mailbox.pst"
    path.write_bytes(b"!BDN" + b"\x00" * 600)
    rows = list(read_file(path))
    assert len(rows) == 1 and rows[0].id == str(path)
    assert rows[0].error and "pip install 'influence[pst]'" in rows[0].error
