"""Printed email threads as text (pdftotext/OCR output): splitting, headers, furniture, quoting.

The fixtures are our own printed threads in corpora/printed/ (people invented). test_pdf.py renders
the same files to PDF and checks the same expectations. The last section reads the real Clinton
and Pruitt text dumps under ../shared/corpora/real when present; those expectations were checked
by hand against the text.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from influence.readers import printed, read_file, sniff
from influence.threads import link_messages
from influence.types import Message

ROOT = Path(__file__).resolve().parents[1]
PRINTED = ROOT / "corpora" / "printed"
REAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "real"

FURNITURE = ["CONFIDENTIAL", "Page ", "HPD-00", "UNCLASSIFIED", "Doc No.", "RELEASE IN", "mail.google.com",
             "Gmail - ", "Mar-04-2024", "(b)(6)"]  # fmt: skip


def load_expected() -> dict[str, list[dict]]:
    """Each document's `NN-slug.expected.json`: the messages a careful reader sees, in order (see
    corpora/printed/README.md for the fields)."""
    out = {}
    for path in sorted(PRINTED.glob("*.expected.json")):
        out[path.name.replace(".expected.json", ".txt")] = json.loads(path.read_text())["messages"]
    return out


EXPECTED = load_expected()


def check_fixture(name: str, rows: list[Message], source: str) -> None:
    expected = EXPECTED[name]
    rows = list(link_messages(rows))  # duplicate_of: a message printed twice
    found = [(m.from_, m.subject, m.page) for m in rows]
    assert [m.error for m in rows] == [None] * len(rows), [m.error for m in rows]
    assert len(rows) == len(expected), found
    for n, (m, want) in enumerate(zip(rows, expected), 1):
        assert m.id == (f"{source}#{n}" if len(expected) > 1 else source)
        assert (m.from_, m.subject, m.page, m.bates) == (
            want["from"],
            want["subject"],
            want["page"],
            want["bates"],
        ), (n, found)
        assert (m.date or "")[:16] == (want["date"] or "")[:16], (n, m.date)
        body = re.sub(r"^(?:(?:When|Where): .*\n)+\n?", "", m.body)  # an invite's time and place lead
        assert _squash(body).startswith(_squash(want["body_start"])), (n, m.body[:200])
        quoted = want["quoted"]
        assert bool(m.quoted) == bool(quoted), (n, m.quoted[:200])
        if isinstance(quoted, str):
            assert _squash(m.quoted).startswith(_squash(quoted)), (n, m.quoted[:200])
        # a redaction code is furniture beside the text, but the whole value of a quoted header line
        # ("To: (b)(6); (b)(6)") is what the release shows, so those lines stay as printed
        text = re.sub(r"(?m)^(?:From|To|Cc|Sent|Date):[ \t].*$", "", m.body + "\n" + m.quoted)
        for stamp in FURNITURE:  # a sender's "CONFIDENTIALITY NOTICE" is the sender's text
            unstamped = re.escape(stamp) + ("(?![A-Z])" if stamp.isupper() else "")
            assert not re.search(unstamped, text), (stamp, m.body, m.quoted)
        if "duplicate_of" in want:
            assert m.duplicate_of == f"{source}#{want['duplicate_of'] + 1}", (n, m.duplicate_of)


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_every_document_has_expectations() -> None:
    docs = sorted(p.name for p in PRINTED.glob("*.txt"))
    assert docs == sorted(EXPECTED) and len(docs) >= 7


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_printed_fixture_as_text(name: str) -> None:
    path = PRINTED / name
    assert sniff(path).NAME == "text"
    check_fixture(name, list(read_file(path)), str(path))


def test_fixture_details_as_text() -> None:
    rows = {name: list(read_file(PRINTED / name)) for name in EXPECTED}
    first = rows["01-outlook-production.txt"][0]
    assert first.to == "Ortiz, Sam <sortiz@harborview-pd.example.gov>"
    assert first.cc == (
        "Records Unit <records@harborview.example.gov>; Lt. Priya Nair; "
        "Capt. Lee Okafor <lokafor@harborview-pd.example.gov>"
    )
    assert first.date == "2024-03-05T09:13:00"
    second = rows["01-outlook-production.txt"][1]  # runs over pages 2-3, one message
    assert "If we say yes" in second.body and second.body.rstrip().endswith("Sam")
    assert "I can set up a call with Dana" in second.body
    gmail = rows["02-gmail-conversation.txt"]
    assert [m.date for m in gmail] == ["2024-03-11T14:14:00", "2024-03-11T16:02:00", "2024-03-12T09:30:00"]
    assert gmail[0].cc == "Events Team <events@ring-example.com>"
    assert "I also need to know what the residents are told" in gmail[1].body  # page break inside
    lotus = rows["03-lotus-notes-production.txt"]
    assert lotus[0].to.startswith("Chief Ana Ruiz; Capt. Lee Okafor;") and lotus[0].to.endswith(
        "Ofc. Nina Holt"
    )
    assert lotus[0].cc == "Records Unit"
    assert lotus[0].date == "2024-03-04T10:12:00" and lotus[1].date == "2024-03-05T08:40:00"
    fwd = rows["04-forwarded-offer.txt"][0]
    assert "My cell is if you want to talk today." in fwd.body  # (b)(6) removed
    assert "$15,000 credit" in fwd.quoted and "$15,000" not in fwd.body
    state = rows["05-state-style-release.txt"][0]
    assert "asks that\nthe academy post a video" in state.quoted  # the page break joined
    assert "From: SkyWatch Example <visits@skywatch-example.com>\n" in state.quoted  # B6 code removed
    assert state.to == "Okafor, Lee" and state.date == "2024-02-05T18:12:00"
    apple = rows["06-apple-mail-print.txt"][0]
    assert (apple.to, apple.date, apple.attachments) == (
        "Sam Ortiz",
        "2024-03-14T09:02:00",
        ["HPD_quote_draft.docx"],
    )
    retention = rows["07-production-quoted-across-pages.txt"][1]
    assert "Subject: Vendor mail" in retention.quoted  # a quoted header across a page break


# ------------------------------------------------------------------------------ unit level


def split_text(text: str, source: str = "dump.txt") -> list[Message]:
    return list(printed.read_text(io.StringIO(text), source))


def test_page_stamps_furniture_and_bates() -> None:
    page = printed.clean_page(
        7,
        "Page 12 of 240\nFrom: A\nBody (b)(7)(C) text\nCONFIDENTIAL\nFOR OFFICIAL USE ONLY\nLAPD-004521\n",
    )
    assert page.lines == ["From: A", "Body text"]
    assert page.bates == "LAPD-004521"
    page = printed.clean_page(1, "text\nput on notice -Feb-17-2017 006217\n")
    assert page.bates == "Feb-17-2017 006217" and page.lines == ["text", "put on notice -"]


def test_glued_labels_are_split() -> None:
    lines = printed.split_glued(
        "Subject:RE: FW: Environmental FederationDate:08/26/2013 12:47 PMThanks Ashley."
    )
    assert lines == [
        "\x00Subject:RE: FW: Environmental Federation",
        "\x00Date:08/26/2013 12:47 PMThanks Ashley.",
    ]
    assert printed.split_glued("From: X - To: Y - Date: May 1, 2017")[0] == "\x01From: X"
    assert printed.split_glued("Reply To: someone@example.org") == ["Reply To: someone@example.org"]
    assert printed.split_glued("-----Original Message-----From: A") == [
        "-----Original Message-----",
        "From: A",
    ]


def test_production_splits_at_pages_and_keeps_quotes() -> None:
    text = (
        "From:\nJo Park\nTo:\nCity Clerk\nSubject:\nCameras\nDate:\n01/02/2024 09:00 AM\nFirst.\n"
        "From: Vendor Sent: Monday, January 1, 2024 1:00 PM To: Jo Park Subject: offer\nOld text.\n"
        "Jan-02-2024 000001\n"
        "From: Vendor Rep Sent: Monday, January 1, 2024 1:00 PM To: Jo Park Subject: offer\nMore old.\n"
        "Jan-02-2024 000002\n"
        "From:\nCity Clerk\nTo:\nJo Park\nSubject:\nRe: Cameras\nDate:\n01/03/2024 10:00 AM\nSecond.\n"
        "Jan-02-2024 000003\n"
    )
    rows = split_text(text)
    assert [(m.from_, m.subject, m.page, m.bates) for m in rows] == [
        ("Jo Park", "Cameras", 1, "Jan-02-2024 000001"),
        ("City Clerk", "Re: Cameras", 3, "Jan-02-2024 000003"),
    ]
    assert rows[0].body == "First." and "More old." in rows[0].quoted  # glued header at page top: quoted
    assert rows[0].date == "2024-01-02T09:00:00"


def test_header_at_top_of_page_after_quote_marker_stays_quoted() -> None:
    text = (
        "From: A\nSent: Monday, January 1, 2024 1:00 PM\nTo: B\nSubject: S\nHi.\n-----Original Message-----\n"
    )
    text += (
        "PD-000001\f" + "From: B\nSent: Monday, January 1, 2024 9:00 AM\nTo: A\nSubject: T\nOld.\nPD-000002\f"
    )
    rows = split_text(text)
    assert len(rows) == 1 and rows[0].bates == "PD-000001" and "Old." in rows[0].quoted


def test_image_only_text_and_empty_results() -> None:
    rows = split_text(
        "UNCLASSIFIED U.S. Department of State Case No. F-2014-1 Doc No. C0000001 Date: 01/01/2015\n"
    )
    assert len(rows) == 1 and rows[0].error == printed.NOTHING_LEFT


def test_plain_header_text_still_parsed_as_one_email(tmp_path: Path) -> None:
    """A .txt that is one message with headers (no stamps, no quoted history) keeps the RFC 822 path."""
    path = tmp_path / "one.txt"
    path.write_text("From: Jacob Sullivan <js@state.example>\nSent: Saturday, December 5, 2009 10:48 AM\n"
                    "To: H\nSubject: Karzai\n\nReport attached.\n")  # fmt: skip
    assert printed.looks_printed(path.read_text()) is False
    (m,) = read_file(path)
    assert (m.from_, m.subject, m.body) == ("Jacob Sullivan <js@state.example>", "Karzai", "Report attached.")


def test_streaming_memory_is_flat() -> None:
    """A production of 3,000 one-page emails is split without holding it: the splitter keeps at most
    a message and the lookahead."""
    page = (
        "From:\nJo Park\nTo:\nClerk\nSubject:\nNote {n}\nDate:\n01/02/2024 09:00 AM\nBody {n}.\n"
        "Jan-02-2024 {n:06d}\n"
    )
    held: list[int] = []

    class Probe(printed._Stream):
        def fill(self, upto: int) -> None:
            super().fill(upto)
            held.append(len(self.lines))

    lines = (page.format(n=n) for n in range(1, 3001))
    stream_text = io.StringIO("".join(lines))
    original = printed._Stream
    printed._Stream = Probe  # type: ignore[misc]
    try:
        rows = list(printed.read_text(stream_text, "big.txt"))
    finally:
        printed._Stream = original  # type: ignore[misc]
    assert len(rows) == 3000 and rows[-1].subject == "Note 3000" and rows[-1].page == 3000
    assert max(held) < printed.LOOKAHEAD + 30


# ------------------------------------------------------------------------------ real collections


def real_dir(name: str) -> Path:
    path = REAL / name
    if not path.is_dir():
        pytest.skip(f"real corpus not available: {path}")
    return path


# Checked by hand against the text: doc -> (rows, from, subject, first page, bates, quoted starts).
CLINTON = {
    "HRCEmail_NovWeb/C05796542.txt": (
        1,
        "H <hrod17@clintonemail.com>",
        "What call do I have today?",
        None,
        "",
    ),
    "HRC_Email_296/C05739646.txt": (
        1,
        "Mills, Cheryl D <MillsCD@state.gov>",
        "Fw: EXCLUSIVE: Bill Clinton Says He Wouldn't Rule Out Arming Libya's Rebels",
        "STATE-SCB0045034",
        "Prom: Nora",
    ),
    "Clinton_Email_August_Release/C05770522.txt": (
        1,
        "Verma, Richard R <VermaRR@state.gov>",
        "FW: house allocation",
        None,
        "From: Higgins, Craig",
    ),
    "HRCEmail_OctWeb/C05792213.txt": (
        1,
        "H <hrod17@clintonemail.com>",
        "Re: Rev Jesse Jackson visit to SA next week",
        None,
        "From: Mills, Cheryl D [mailto:MillsCD@state.gov]",
    ),
    "HRCEmail_JulyWeb/C05763731.txt": (
        1,
        "Sullivan, Jacob J <Sullivan.11@state.gov>",
        "Re:",
        None,
        "Original Message\nFrom: H <HDR22@clintonemail.com>",
    ),
    "HRCEmail_OctWeb/C05763429.txt": (
        1,
        "Mills, Cheryl D <MillsCD@state.gov>",
        "RE: Update on US Support of GOH Plan",
        None,
        "Original Message\nFrom: H [maifto:HDR22@clintonemail.com]",
    ),
    "Clinton_Email_August_Release/C05765933.txt": (
        1,
        "Sullivan, Jacob J <SullivanJJ@state.gov>",
        "Karzai",
        None,
        "",
    ),
    "HRCEmail_DecWeb/C05773781.txt": (
        1,
        "Cheryl Mills Jeanne Smith",
        "Government to Government Funding: Policy Guidance",
        None,
        "",
    ),  # a memo
    "HRCEmail_JuneWeb/C05758559.txt": (
        1,
        "H <hrod17@clintonemail.com>",
        "Fw:",
        None,
        "Original Message\nFrom: Jan Piercy",
    ),
    "HRCEmail_SeptemberWeb/C05774206.txt": (
        1,
        "Sullivan, Jacob J <SullivanJJ@state.gov>",
        "Fw:",
        None,
        "Original Message\nFrom: Ross, Dennis B.",
    ),
}


@pytest.mark.parametrize("doc", sorted(CLINTON))
def test_real_clinton_documents(doc: str) -> None:
    path = real_dir("clinton-state-dept-foia-text") / doc
    count, sender, subject, bates, quoted = CLINTON[doc]
    rows = list(read_file(path))
    assert len(rows) == count
    m = rows[0]
    assert (m.id, m.from_, m.subject, m.page, m.bates) == (str(path), sender, subject, 1, bates)
    assert m.quoted.startswith(quoted) and bool(m.quoted) == bool(quoted)
    assert "Doc No." not in m.body and "RELEASE IN" not in m.body


def test_real_clinton_sample_is_one_message_per_document() -> None:
    root = real_dir("clinton-state-dept-foia-text")
    files = sorted(root.rglob("*.txt"))[::10]  # 200 of the 2,000 documents
    counts = [len(list(read_file(p))) for p in files]
    assert sum(c == 1 for c in counts) >= 0.97 * len(files)


# file -> total messages, then (n, page, bates, from, subject) checked by hand against the text
PRUITT = {
    "Produce-1600-2541-Redacted.txt": (
        434,
        [
            (
                1,
                1,
                "Feb-17-2017 001635",
                "andrewpmiller@verizon.net",
                "Attorneys General for “Uncommon Sense” on Immigration Reform",
            ),
            (
                5,
                9,
                "Feb-17-2017 001643",
                "Abrams, Robert",
                "RE: Former AG sign on letter --- Common Sense Immigraton Reform",
            ),
            (25, 45, "Feb-17-2017 001679", "Wright, Allen", "Lunch"),
            (26, 46, "Feb-17-2017 001680", "Wright, Allen", "Re: Lunch"),
        ],
    ),
    "Produce-2000.txt": (
        89,  # 88 before the structural splitter: a block seven weeks later than the chain above it
        [
            (1, 1, "Feb-17-2017 002542", None, None),  # the tail of a message begun in the previous file
            (
                2,
                2,
                "Feb-17-2017 002543",
                "Oklahoma Council of Public Affairs",
                "Freedom Flash: OCPA fellow delivers Homeland Security wake-up call",
            ),
            (
                3,
                4,
                "Feb-17-2017 002545",
                "Oklahoma Council of Public Affairs",
                "Freedom Flash: OCPA fellow delivers Homeland Security wake-up call",
            ),
        ],
    ),
    "Produce-3000.TXT": (
        245,  # a page-top header after a signature rule glued to a name is a new print, not a quote
        [
            (1, 1, "Feb-17-2017 002989", None, None),  # a delivery failure report, no header
            (2, 2, "Feb-17-2017 002990", "Lynne Ross", "Immigration Letter for your file"),
        ],
    ),
    "Produce-4000.TXT": (
        1339,  # three page-top prints after long disclaimer rules, once read as quote markers
        [
            (1, 1, "Feb-17-2017 004012", "Howard Ground", "RE: FW: Environmental Federation of Oklahoma"),
            (2, 3, "Feb-17-2017 004014", "Melissa Houston", "Re: Capitol Beat Story"),
        ],
    ),
    "Produce-5000.TXT": (
        95,
        [
            (
                1,
                1,
                "Feb-17-2017 005255",
                "Troutman Sanders",
                "Please join us for a Summer Celebration Dinner at CWAG - Tuesday, July 23 at 6:30PM",
            ),
            (2, 2, "Feb-17-2017 005275", "Clayton Eubanks", "Re: Regional haze"),
        ],
    ),
    "Produce-6000.txt": (
        118,
        [
            (1, 1, "Feb-17-2017 006000", "Jack G Clark", None),  # printed without a subject
            (
                2,
                2,
                "Feb-17-2017 006001",
                "American Electric Power",
                "New SEC Document(s) for American Electric Power Company, Inc.",
            ),
        ],
    ),
    "Produce-Box-5-Redacted.txt": (
        503,
        [
            (
                1,
                1,
                "Feb-17-2017 006217",
                "Michael Carnuccio, Oklahoma Council of Public Affairs",
                "Free Market Friday: Saving the GOP",
            ),
            (
                2,
                3,
                "Feb-17-2017 006219",
                "Michael Carnuccio, Oklahoma Council of Public Affairs",
                "Free Market Friday: Saving the GOP",
            ),
        ],
    ),
    "Produce-Box-6.txt": (
        43,  # was 29: each phone print ("1 of 2", print date, the subject as title) is a message; one
        # repeats a header its predecessor quoted, so it is a print of its own; and a bulletin on
        # another subject, from nobody the press release went to, is not its quoted history
        [
            (1, 1, "Feb-17-2017 007832", "Jake Murray <jake.murray@AccessMidstream.com>", "Test Bar"),
            (
                20,
                75,
                "Feb-17-2017 007905",
                "Fusion Center <Fusion @osbLok.gov>",
                "CD 2014-109552 Wanted: Escapee from Bryan County, OK— Raymond Stewart",
            ),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(PRUITT))
def test_real_pruitt_productions(name: str) -> None:
    path = real_dir("pruitt-oklahoma-ag-foia-text") / name
    total, checks = PRUITT[name]
    rows = list(read_file(path))
    assert len(rows) == total
    assert all(m.error is None and m.bates and m.page for m in rows)
    assert [m.id for m in rows] == [f"{path}#{n}" for n in range(1, total + 1)]
    pages = [m.page for m in rows]
    assert pages == sorted(pages)
    for n, page, bates, sender, subject in checks:
        m = rows[n - 1]
        assert (m.page, m.bates, m.from_, m.subject) == (page, bates, sender, subject)
        assert "Feb-17-2017" not in m.body and "Feb-17-2017" not in m.quoted
    with_sender = sum(1 for m in rows if m.from_)
    assert with_sender >= 0.98 * total


# ------------------------------------------------------------------------------ structural cues


def _block(sender: str, when: str, to: str, subject: str, body: str, sep: str = " ") -> str:
    return f"From:{sep}{sender}\nSent:{sep}{when}\nTo:{sep}{to}\nSubject:{sep}{subject}\n\n{body}\n\n"


def test_blocks_one_after_another_are_messages_and_history_stays_quoted() -> None:
    text = (
        _block("Dana Reyes", "Tuesday, March 5, 2024 9:13 AM", "Sam Ortiz", "Cameras", "Two more units?")
        + "CAUTION: This email originated from outside of the organization.\n\n"
        + _block(
            "Sam Ortiz", "Tuesday, March 5, 2024 11:40 AM", "Dana Reyes", "RE: Cameras", "Ask the chief."
        )
        + "-----Original Message-----\n"
        + _block("Dana Reyes", "Tuesday, March 5, 2024 9:13 AM", "Sam Ortiz", "Cameras", "Two more units?")
        + _block("Ana Ruiz", "Wednesday, March 6, 2024 8:05 AM", "Sam Ortiz", "RE: Cameras", "No quote.")
    )
    rows = split_text(text)
    assert [(m.from_, m.date) for m in rows] == [
        ("Dana Reyes", "2024-03-05T09:13:00"),
        ("Sam Ortiz", "2024-03-05T11:40:00"),
        ("Ana Ruiz", "2024-03-06T08:05:00"),
    ]
    assert rows[1].body == "Ask the chief." and rows[1].quoted.startswith("-----Original Message-----")


def test_markerless_history_is_told_by_its_layout_date_and_people() -> None:
    """A reply's history without its marker line (a drawn rule lost in extraction): an older
    header in the layout clients write into replies, sent to the replier, is quoted."""
    text = _block(
        "Records Unit",
        "Monday, March 11, 2024 9:00 AM",
        "Lt. Priya Nair",
        "Retention",
        "Keep it all.",
        sep="               ",
    ) + _block(
        "Lt. Priya Nair", "Friday, March 8, 2024 5:01 PM", "Records Unit", "Vendor mail", "Which folder?"
    )
    (row,) = split_text(text)
    assert row.body == "Keep it all." and "Which folder?" in row.quoted
    mailto = _block("Harlan, Beth", "Monday, February 5, 2024 6:12 PM", "Okafor, Lee", "Re: Visit", "No.")
    lee = "Okafor, Lee [mailto:lee@pd.example.gov]"
    mailto += _block(lee, "Monday, February 5, 2024 2:10 PM", "Harlan, Beth",
                     "Visit", "May we?")  # fmt: skip
    (row,) = split_text(mailto)
    assert "May we?" in row.quoted


def test_unmarked_header_on_another_subject_and_correspondent_is_a_print_of_its_own() -> None:
    """In a Bates production history may run on under a reply without a marker, but only history
    a reply could hold: the same subject, or mail to or from the people in the reply."""
    reply = _block("Hollis, Renee", "Monday, February 26, 2024 4:05 PM", "Dutton, Craig",
                   "RE: Renewal pricing", "Hold the PO.")  # fmt: skip
    stamp = "MCSO_0003317\n"
    other = _block("Pham, Thomas", "Friday, February 23, 2024 8:14 AM", "Ambrose, Kyle",
                   "Fusus demo dates", "Tuesday works.")  # fmt: skip
    rows = split_text(reply + other + stamp)
    assert [(m.from_, m.subject) for m in rows] == [
        ("Hollis, Renee", "RE: Renewal pricing"),
        ("Pham, Thomas", "Fusus demo dates"),
    ]
    same = _block("Dutton, Craig", "Friday, February 23, 2024 8:14 AM", "Hollis, Renee",
                  "Renewal pricing", "Numbers attached.")  # fmt: skip
    (row,) = split_text(reply + same + stamp)
    assert row.body == "Hold the PO." and "Numbers attached." in row.quoted


def test_repeat_of_a_quoted_header_printed_without_its_address_is_a_print_of_its_own() -> None:
    """A portal export prints a reply (quoting its original with the address the mail client
    adds) and then the original from another mailbox, where the client leaves the address off:
    the same sender and minute, so the second block cannot be that history again."""
    reply = _block("Natarajan, Priya", "Tuesday, April 9, 2024 3:41 PM", "Gresham, Tom",
                   "RE: Pilot PO", "Hold for now.")  # fmt: skip
    quoted = "________________________________\n" + _block(
        "Gresham, Tom <TGresham@city.example.gov>", "Tuesday, April 9, 2024 2:18:36 PM",
        "Natarajan, Priya <PNatarajan@city.example.gov>", "Pilot PO", "The PO runs out on 4/30.")
    original = _block("Gresham, Tom", "Tuesday, April 9, 2024 2:18 PM", "Natarajan, Priya",
                      "Pilot PO", "The PO runs out on 4/30.")  # fmt: skip
    rows = split_text(reply + quoted + original + "CFPRR-004120\n")
    assert [(m.from_, m.subject) for m in rows] == [
        ("Natarajan, Priya", "RE: Pilot PO"),
        ("Gresham, Tom", "Pilot PO"),
    ]
    assert "The PO runs out" in rows[0].quoted and rows[1].body == "The PO runs out on 4/30."


def test_subject_printed_as_a_title_over_the_first_message_is_not_a_message() -> None:
    """Thunderbird and Apple Mail print the subject as a title over the header of every print job,
    the first one included."""
    title = "Fusus demo - Real-time crime center platform\n\n"
    header = ("Subject: Fusus demo - Real-time crime center platform\n   From: Kyle Hendry <kh@example.com>\n"
              "   Date: 2/27/2024, 4:18 PM\n     To: Renata Kowalczyk <rk@example.gov>\n\n")  # fmt: skip
    (row,) = split_text(title + header + "Hi Renata,\n\nThanks for the call.\n")
    assert (row.from_, row.date) == ("Kyle Hendry <kh@example.com>", "2024-02-27T16:18:00")
    assert row.body.startswith("Hi Renata,")


def test_gmail_print_with_a_redacted_address_and_in_the_middle_of_a_binder() -> None:
    """A Gmail print job after an Outlook print is read as Gmail on its own pages, and a sender's
    address blacked out in the release (`<[REDACTED]>`) still makes a Gmail header line."""
    outlook = _block("Dana Reyes", "Tuesday, March 5, 2024 9:13 AM", "Sam Ortiz", "Cameras", "First.")
    gmail = ("9/14/21, 10:02 AM      Gmail - Doorbell giveaway\n\nDoorbell giveaway\n1 message\n\n"
             "Shauna Reyes <[REDACTED]>                     Thu, Sep 2, 2021 at 2:10 PM\n"
             "To: Jordan Pike <jp@example.com>\n\nHi Councilmember Pike, about the giveaway.\n")  # fmt: skip
    rows = split_text(outlook + "PD-000001\f" + gmail + "PD-000002")
    assert [(m.from_, m.date, m.page) for m in rows] == [
        ("Dana Reyes", "2024-03-05T09:13:00", 1),
        ("Shauna Reyes <[REDACTED]>", "2021-09-02T14:10:00", 2),
    ]
    assert rows[1].subject == "Doorbell giveaway" and rows[1].body.startswith("Hi Councilmember")


def test_zimbra_print_date_on_the_sender_row_and_attachment_list() -> None:
    """Zimbra prints the date at the right of the sender's row, right-aligns its labels (`To :`)
    with wrapped values under the value column, and lists attachments under the header: the date
    is the message's date and the file names are attachments, not the first lines of the body."""
    text = ("From : Greg Tallis <gt@flock.example.com>              Tue, Mar 12, 2024 03:20 PM\n"
            "Subject : RE: Falcon pilot\n     To : Dana Kessler <dk@pd.example.gov>\n"
            "Attachments : OrderForm_rev2.pdf (212 KB)\n              COI_2024.pdf (96 KB)\n\n"
            "Dana,\n\nBoth forms attached.\n\n"
            "From : Dana Kessler <dk@pd.example.gov>                Wed, Mar 13, 2024 08:05 AM\n"
            "Subject : RE: Falcon pilot\n     To : Greg Tallis <gt@flock.example.com>\n\n"
            "  1 attachment\n  Signed_OrderForm.pdf (220 KB)\n\nSigned and returned.\n")  # fmt: skip
    rows = split_text(text)
    assert [(m.from_, m.date, m.attachments) for m in rows] == [
        ("Greg Tallis <gt@flock.example.com>", "2024-03-12T15:20:00", ["OrderForm_rev2.pdf (212 KB)",
         "COI_2024.pdf (96 KB)"]),
        ("Dana Kessler <dk@pd.example.gov>", "2024-03-13T08:05:00", ["Signed_OrderForm.pdf (220 KB)"]),
    ]  # fmt: skip
    assert [m.body for m in rows] == ["Dana,\n\nBoth forms attached.", "Signed and returned."]


def test_slip_sheets_are_furniture() -> None:
    """A production's separator or placeholder page holds no message text, only its stamp."""
    page = printed.clean_page(4, "SLIP SHEET\n\nDocument Produced Natively\n\nCRW-000412\n")
    assert page.lines == [] and page.bates == "CRW-000412"
    page = printed.clean_page(5, "Page withheld in full\nFrom: A\nSubject: B\n\nBody\nCRW-000413\n")
    assert "From: A" in page.lines  # a page with a header is a message, whatever else it says


def test_reprint_of_a_message_at_the_page_top_after_a_reply_to_it_is_that_replys_history() -> None:
    """An export prints a message, then a reply to it from its recipient that has no history of
    its own on its page, and the message again at the next page top: the reply's history carried
    over, not a third print. Once the reply shows history (a quote marker), the page-top block
    is a print of its own again, as in real productions that print a thread's messages twice."""
    ask = _block("Pelletier, Tom", "Tuesday, May 7, 2024 9:15 AM", "Albright, Renee",
                 "Doorbell donation", "Can we accept the doorbells?")  # fmt: skip
    reply = _block("Albright, Renee", "Thursday, May 9, 2024 4:48 PM", "Pelletier, Tom",
                   "RE: Doorbell donation", "Only without the posting conditions.")  # fmt: skip
    pages = [ask + "DC-000001", reply + "DC-000002", ask + "DC-000003"]
    rows = split_text("\f".join(pages))
    assert [m.page for m in rows] == [1, 2]
    assert "Can we accept the doorbells?" in rows[1].quoted
    history = "\n\nOn Tue, May 7, 2024, Tom wrote:\n> Can we\n> accept them\n> by Friday?"
    marked = reply.replace("conditions.", "conditions." + history)
    rows = split_text("\f".join([ask + "DC-000001", marked + "DC-000002", ask + "DC-000003"]))
    assert [m.page for m in rows] == [1, 2, 3]


def test_page_break_inside_a_header_and_running_headers() -> None:
    head = "Printed by: Sam Ortiz   3/14/2024 10:02 AM\n"
    pages = [
        head + _block("Dana Reyes", "Tuesday, March 5, 2024 9:13 AM", "Sam Ortiz", "Cameras", "First.")
        + "From: Sam Ortiz\nSent: Wednesday, March 6, 2024 8:00 AM\nPage 1 of 2   PD-000001",
        head + "To: Dana Reyes\nSubject: RE: Cameras\n\nSecond.\nPage 2 of 2   PD-000002",
    ]  # fmt: skip
    rows = split_text("\f".join(pages))
    assert [(m.from_, m.to, m.subject, m.page) for m in rows] == [
        ("Dana Reyes", "Sam Ortiz", "Cameras", 1),
        ("Sam Ortiz", "Dana Reyes", "RE: Cameras", 1),
    ]
    assert all("Printed by" not in m.body for m in rows) and rows[1].body == "Second."


def test_outlook_mailbox_print_owner_lines() -> None:
    owner = "Ortiz, Sam\n"
    text = (
        owner + _block("Dana Reyes", "Tue 3/5/2024 9:13 AM", "Ortiz, Sam", "Cameras", "First.", "\t")
        + owner + _block("Ortiz, Sam", "Tue 3/5/2024 8:00 AM", "Dana Reyes", "Cameras", "Older.", "\t")
    )  # fmt: skip
    rows = split_text(text)
    assert [m.body for m in rows] == ["First.", "Older."]  # not in date order, still two messages
    assert all("Ortiz, Sam\n" not in m.body for m in rows)


def test_spanish_outlook_headers_and_dates() -> None:
    text = (
        "De: Marta Rivera <mrivera@policia.example.gov>\nEnviado el: martes, 5 de marzo de 2024 9:13\n"
        "Para: Luis Ortiz\nAsunto: Cámaras\n\nLuis, te envío la oferta.\n\n-----Mensaje original-----\n"
        "De: Ventas\nEnviado el: lunes, 4 de marzo de 2024 16:05\nPara: Marta Rivera\n"
        "Asunto: Oferta\n\nHola.\n"
    )
    (row,) = split_text(text)
    assert (row.from_, row.date, row.to, row.subject) == (
        "Marta Rivera <mrivera@policia.example.gov>", "2024-03-05T09:13:00", "Luis Ortiz", "Cámaras",
    )  # fmt: skip
    assert row.body == "Luis, te envío la oferta." and row.quoted.startswith("-----Mensaje original-----")


def test_outlook_web_print_without_from_labels() -> None:
    text = (
        "RE: Camera pilot\nDana Reyes <dana@vendor.example.com>\nTue 3/5/2024 9:13 AM\nTo: Sam Ortiz\n\n"
        "Sam, we can ship two.\n\nRE: Camera pilot\nSam Ortiz <sortiz@pd.example.gov>\n"
        "Tue 3/5/2024 11:02 AM\n"
        "To: Dana Reyes\nCc: Records\n\nThanks.\n"
    )
    rows = split_text(text)
    assert [(m.from_, m.date, m.subject, m.body) for m in rows] == [
        ("Dana Reyes <dana@vendor.example.com>", "2024-03-05T09:13:00", "RE: Camera pilot",
         "Sam, we can ship two."),
        ("Sam Ortiz <sortiz@pd.example.gov>", "2024-03-05T11:02:00", "RE: Camera pilot", "Thanks."),
    ]  # fmt: skip


def test_notes_and_groupwise_quote_lines() -> None:
    for marker in (
        "Tom Brandt/HPD wrote on 10/21/2019 04:55 PM:",
        ">>> Tom Brandt <tb@pd.example.gov> 10/21/2019 4:55 PM >>>",
    ):
        text = _block(
            "Ana Ruiz", "Tuesday, October 22, 2019 8:00 AM", "Tom Brandt", "Re: Demo", "Fine by me."
        )
        text += (
            marker
            + "\n"
            + _block("Tom Brandt", "Monday, October 21, 2019 4:55 PM", "Ana Ruiz", "Demo", "Demo?")
        )
        (row,) = split_text(text)
        assert row.body == "Fine by me." and row.quoted.startswith(marker[:12]), marker


def test_generated_binder_of_every_style_splits_exactly() -> None:
    """Our documents one after another, every page Bates-stamped: each message found where it is
    (scripts/bench_ingest.py runs the same at 2,000 pages, as text and as PDF)."""
    from tests.binder import build

    text, expected = build(150)
    rows = split_text(text, "binder.txt")
    got = [(m.from_, m.subject, m.page, m.bates, (m.date or "")[:16]) for m in rows]
    want = [(e["from"], e["subject"], e["page"], e["bates"], (e["date"] or "")[:16]) for e in expected]
    assert len(got) == len(want)
    assert [g for g, w in zip(got, want) if g != w] == []
