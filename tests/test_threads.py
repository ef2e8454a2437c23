"""Duplicates, threads and quotations over a message stream (influence.threads)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from influence.pipeline import ingest_paths
from influence.threads import link_messages, normalize_subject
from influence.types import Message

OFFER = "We can ship two more cameras at no cost if the department shares the app link with residents."
ACCEPT = "Thanks Dana, the chief agreed and we will post the link on Friday as discussed."


def msg(id: str, **fields) -> Message:
    return Message(id=id, source=f"{id}.eml", **fields)


def linked(*messages: Message) -> list[Message]:
    return list(link_messages(messages))


def test_duplicates_by_message_id() -> None:
    a = msg("a", message_id="<m1@vendor.example>", subject="Cameras", body=OFFER)
    b = msg("b", message_id="<M1@vendor.example> ", subject="Cameras", body=OFFER + " (printed)")
    c = msg("c", message_id="<m2@vendor.example>", subject="Cameras", body=OFFER)
    a, b, c = linked(a, b, c)
    assert (a.duplicate_of, b.duplicate_of, c.duplicate_of) == (None, "a", None)
    assert b.thread_id == a.thread_id == "a"


def test_duplicates_without_message_id_by_content() -> None:
    base = {"from_": "Dana Reyes <dana@vendor.example>", "subject": "Cameras", "body": OFFER}
    a = msg("a", date="2024-03-05T09:13:58-08:00", message_id="<m1@vendor.example>", **base)
    printed = msg(
        "p", date="2024-03-05T09:13:00", **{**base, "from_": "DANA@vendor.example", "body": "  " + OFFER}
    )
    other_minute = msg("q", date="2024-03-05T09:14:00", **base)
    resent = msg("r", date="2024-03-05T09:13:58-08:00", message_id="<m9@vendor.example>", **base)
    a, printed, other_minute, resent = linked(a, printed, other_minute, resent)
    assert printed.duplicate_of == "a"  # same sender, minute, subject and words
    assert other_minute.duplicate_of is None
    assert resent.duplicate_of is None  # two Message-IDs: sent twice, not copied


def test_two_prints_of_one_message_with_different_endings_are_duplicates() -> None:
    """Two custodians' prints of one email share its opening, while their ends differ (one lists
    the attachments, one carries the production's trailing stamp)."""
    long_body = " ".join([OFFER] * 6)
    base = {"from_": "Dana Reyes", "date": "2024-03-05T09:13:00", "subject": "Cameras"}
    a = msg("a", body=long_body, **base)
    b = msg("b", body=long_body + "\n\nAttachments: quote-rev-B.pdf; site-list.xlsx", **base)
    other = msg("c", body=ACCEPT + " " + long_body, **base)
    a, b, other = linked(a, b, other)
    assert b.duplicate_of == "a" and other.duplicate_of is None


def test_thread_by_references_even_when_the_reply_comes_first() -> None:
    reply = msg("r", message_id="<r@city.example>", in_reply_to="<m@vendor.example>", subject="Re: x")
    root = msg("m", message_id="<m@vendor.example>", subject="x")
    late = msg("l", message_id="<l@vendor.example>", references="<m@vendor.example> <r@city.example>")
    unrelated = msg("u", message_id="<u@vendor.example>", subject="Other")
    reply, root, late, unrelated = linked(reply, root, late, unrelated)
    assert reply.thread_id == root.thread_id == late.thread_id == "r"  # the first seen
    assert unrelated.thread_id == "u"


def test_two_threads_joined_by_a_later_message() -> None:
    a = msg("a", message_id="<a@x>")
    b = msg("b", message_id="<b@x>")
    c = msg("c", message_id="<c@x>", references="<a@x> <b@x>")
    d = msg("d", message_id="<d@x>", in_reply_to="<b@x>")
    a, b, c, d = linked(a, b, c, d)
    assert (a.thread_id, b.thread_id, c.thread_id, d.thread_id) == ("a", "b", "a", "a")


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("Re: RE: Fw: Pilot cameras", "pilot cameras"),
        ("AW: WG: Kameras", "kameras"),
        ("RE[2]: Fwd:  Pilot   cameras", "pilot cameras"),
        ("[EXTERNAL] Re: Pilot cameras", "pilot cameras"),
        ("Re:", ""),
        (None, ""),
    ],
)
def test_normalize_subject(subject: str | None, expected: str) -> None:
    assert normalize_subject(subject) == expected


def test_thread_by_subject_and_participants_without_headers() -> None:
    first = msg("1", from_="Dana <dana@vendor.example>", to="sam@city.example", subject="Pilot cameras")
    reply = msg(
        "2", from_="Sam Ortiz <SAM@city.example>", to="dana@vendor.example", subject="RE: Pilot cameras"
    )
    fwd = msg("3", from_="sam@city.example", to="chief@city.example", subject="Fw: Re: Pilot Cameras")
    stranger = msg("4", from_="x@other.example", to="y@other.example", subject="Re: Pilot cameras")
    printed = msg("5", from_="Ortiz, Sam", to="Reyes, Dana", subject="Re: Pilot cameras")
    first, reply, fwd, stranger, printed = linked(first, reply, fwd, stranger, printed)
    assert reply.thread_id == fwd.thread_id == "1"
    assert stranger.thread_id == "4"  # same subject, no shared participant
    assert printed.thread_id == "5"  # names only, no address in common


def test_quotes_the_message_whose_body_is_in_the_history() -> None:
    offer = msg("offer", from_="dana@vendor.example", subject="Cameras", body=OFFER)
    accept = msg(
        "accept",
        from_="sam@city.example",
        subject="RE: Cameras",
        body=ACCEPT,
        quoted="From: Dana\nSent: Tuesday\n\n" + OFFER.replace(" the department", "\n> the  department"),
    )
    chief = msg(
        "chief",
        from_="chief@city.example",
        subject="Re: Cameras",
        body="Approved.",
        quoted=f"On Tue, Sam wrote:\n> {ACCEPT}\n>\n> From: Dana\n> {OFFER}",
    )
    short = msg("thanks", body="Thanks!", subject="x")
    thanks = msg("t2", body="ok", quoted="> Thanks!", subject="y")
    offer, accept, chief, short, thanks = linked(offer, accept, chief, short, thanks)
    assert accept.quotes == "offer" and accept.thread_id == "offer"
    assert chief.quotes == "accept"  # the nearest: the top of the history
    assert chief.thread_id == "offer"
    assert thanks.quotes is None  # too short to say which message was quoted


def test_error_rows_pass_untouched_and_streaming() -> None:
    def source() -> Iterator[Message]:
        yield msg("bad", error="unreadable")
        yield msg("ok", subject="s", body="b")
        raise AssertionError("read past what was asked")

    stream = link_messages(source())
    bad = next(stream)
    assert (bad.thread_id, bad.duplicate_of, bad.quotes) == (None, None, None)
    assert next(stream).thread_id == "ok"  # one message at a time


def test_ingest_writes_the_links(tmp_path: Path) -> None:
    eml = (
        "From: Dana <dana@vendor.example>\nTo: sam@city.example\nSubject: {s}\nMessage-ID: <{mid}>\n"
        "{extra}Date: Tue, 5 Mar 2024 09:13:58 -0800\n\n{body}\n"
    )
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "a.eml").write_text(eml.format(s="Cameras", mid="m1@v", extra="", body=OFFER))
    (dump / "b.eml").write_text(eml.format(s="Cameras", mid="m1@v", extra="", body=OFFER))
    reply = eml.format(
        s="Re: Cameras", mid="m2@c", extra="In-Reply-To: <m1@v>\n", body=f"{ACCEPT}\n\n> {OFFER}"
    )
    (dump / "c.eml").write_text(reply)
    out = tmp_path / "messages.jsonl"
    ingest_paths([dump], str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    a, b, c = (str(dump / n) for n in ("a.eml", "b.eml", "c.eml"))
    assert [(r["id"], r["duplicate_of"], r["thread_id"], r["quotes"]) for r in rows] == [
        (a, None, a, None), (b, a, a, None), (c, None, a, a),
    ]  # fmt: skip
    assert rows[2]["body"] == ACCEPT and rows[2]["quoted"] == f"> {OFFER}"
