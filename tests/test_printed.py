"""Printed email threads as text (pdftotext/OCR output): splitting, headers, furniture, quoting.

The fixtures are our own printed threads in corpora/printed/ (people invented). test_pdf.py renders
the same files to PDF and checks the same expectations. The last section reads the real Clinton
and Pruitt text dumps under ../shared/corpora/real when present; those expectations were checked
by hand against the text.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from influence.readers import printed, read_file, sniff
from influence.types import Message

ROOT = Path(__file__).resolve().parents[1]
PRINTED = ROOT / "corpora" / "printed"
REAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "real"

FURNITURE = ["CONFIDENTIAL", "Page ", "HPD-0", "UNCLASSIFIED", "Doc No.", "RELEASE IN", "mail.google.com",
             "Gmail - ", "Mar-04-2024", "(b)(6)"]  # fmt: skip

# Per fixture: (from, subject, page, bates, body starts, quoted starts) for each message, in order.
EXPECTED: dict[str, list[tuple[str | None, str | None, int, str | None, str, str]]] = {
    "01-outlook-production.txt": [
        (
            "Dana Reyes <dana.reyes@vigilant-example.com>",
            "LPR pilot - two more cameras",
            1,
            "HPD-000101",
            "Lieutenant,",
            "",
        ),
        ("Ortiz, Sam", "FW: LPR pilot - two more cameras", 2, "HPD-000102", "Chief,", ""),
        (
            "Chief Ana Ruiz",
            "RE: LPR pilot - two more cameras",
            4,
            "HPD-000104",
            "Sam - no quote",
            "-----Original Message-----\nFrom: Ortiz, Sam\nSent: Tuesday, March 5, 2024 11:40 AM",
        ),
    ],
    "02-gmail-conversation.txt": [
        (
            "Jenna Cho <jenna.cho@ring-example.com>",
            "Free doorbells for the Neighbors launch",
            1,
            None,
            "Hi Marcus,",
            "",
        ),
        (
            "Marcus Bell <mbell@harborview-pd.example.gov>",
            "Free doorbells for the Neighbors launch",
            1,
            None,
            "Thanks Jenna.",
            "[Quoted text hidden]",
        ),
        (
            "Jenna Cho <jenna.cho@ring-example.com>",
            "Free doorbells for the Neighbors launch",
            2,
            None,
            "Of course - the officers keep the doorbells.",
            "",
        ),
    ],
    "03-lotus-notes-production.txt": [
        ("Tom Brandt", "Body camera trial - FlockView demo units", 1, "Mar-04-2024 000311", "Chief,", ""),
        (
            "Tom Brandt",
            "Re: Body camera trial - FlockView demo units",
            2,
            "Mar-05-2024 000312",
            "Chief - their sales rep answered below.",
            "From:\tFlockView Sales <sales@flockview-example.com>",
        ),
    ],
    "04-forwarded-offer.txt": [
        (
            "Sgt. Maria Vance <mvance@harborview-pd.example.gov>",
            "FW: Your ShotSense referral credit",
            1,
            None,
            "Captain - see below.",
            "---------- Forwarded message ---------\nFrom: ShotSense Partner Team",
        ),
    ],
    "05-state-style-release.txt": [
        (
            "Harlan, Beth <HarlanB@state.example.gov>",
            "Re: Drone vendor visit to the academy",
            1,
            None,
            "Thanks Lee. Please decline the free flights",
            "From: Okafor, Lee [mailto:lokafor@harborview-pd",
        ),
    ],
    "06-apple-mail-print.txt": [
        (
            "Dana Reyes",
            "Re: Press release quote",
            1,
            None,
            "Sam,\nThanks - the draft quote is attached.",
            "On Mar 13, 2024, at 5:10 PM, Sam Ortiz <sortiz@harborview-pd.example.gov> wrote:\n> Dana,",
        ),
    ],
    "07-production-quoted-across-pages.txt": [
        (
            "Lt. Priya Nair",
            "RE: Camera training",
            1,
            "HPD-000201",
            "Dana, we can host the training",
            "From: Dana Reyes\nSent: Friday, March 8, 2024 2:15 PM\nTo: Lt. Priya Nair\n"
            "Subject: Camera training",
        ),
        (
            "Records Unit <records@harborview.example.gov>",
            "Retention notice",
            3,
            "HPD-000203",
            "Please keep all vendor correspondence",
            "From: Lt. Priya Nair\nSent: Friday, March 8, 2024 5:01 PM\nTo:",
        ),
    ],
}


def check_fixture(name: str, rows: list[Message], source: str) -> None:
    expected = EXPECTED[name]
    assert [m.error for m in rows] == [None] * len(expected), [m.error for m in rows]
    assert len(rows) == len(expected), [(m.from_, m.subject, m.page) for m in rows]
    for n, (m, (sender, subject, page, bates, body, quoted)) in enumerate(zip(rows, expected), 1):
        assert m.id == (f"{source}#{n}" if len(expected) > 1 else source)
        assert (m.from_, m.subject, m.page, m.bates) == (sender, subject, page, bates)
        assert m.body.startswith(body), m.body
        assert " ".join(m.quoted.split()).startswith(" ".join(quoted.split())), m.quoted
        assert bool(m.quoted) == bool(quoted)
        for stamp in FURNITURE:
            assert stamp not in m.body and stamp not in m.quoted, (stamp, m.body, m.quoted)


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
        88,
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
        244,
        [
            (1, 1, "Feb-17-2017 002989", None, None),  # a delivery failure report, no header
            (2, 2, "Feb-17-2017 002990", "Lynne Ross", "Immigration Letter for your file"),
        ],
    ),
    "Produce-4000.TXT": (
        1340,
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
        29,
        [
            (1, 1, "Feb-17-2017 007832", "Jake Murray <jake.murray@AccessMidstream.com>", "Test Bar"),
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
