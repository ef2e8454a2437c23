"""Quoted history: the author's own words go to `body`, earlier messages to `quoted`.

The talon fixtures are real replies from a dozen mail clients (../shared/corpora/real); the other
cases are written here, one per way a client marks history.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from influence.quoting import split_quoted
from influence.readers import iter_messages
from influence.readers.rfc822 import html_to_text, parse_bytes
from influence.types import Message

TALON = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "real" / "fixtures-eml" / "talon"

# talon's own expectation for these replies is "Hello"; two keep a signature above the quote
TALON_BODIES = {
    "standard_replies/iphone.eml": "Hello\n\nSent from my iPhone",
    "standard_replies/sparrow.eml": "Hello \n\n-- \nxxx\nSent with Sparrow (http://www.sparrowmailapp.com/?sig)",
}
TALON_REPLIES = [
    "android", "aol", "apple_mail", "apple_mail_2", "comcast", "gmail", "hotmail", "iphone",
    "outlook", "sparrow", "thunderbird", "yahoo",
]  # fmt: skip


@pytest.mark.parametrize("name", TALON_REPLIES)
def test_talon_standard_replies(name: str) -> None:
    path = TALON / "standard_replies" / f"{name}.eml"
    if not path.is_file():
        pytest.skip(f"real corpus not available: {path}")
    [m] = list(iter_messages([path]))
    assert m.error is None
    assert m.body == TALON_BODIES.get(f"standard_replies/{name}.eml", "Hello")
    assert m.quoted
    assert "Hi" in m.quoted or "MIME" in m.quoted  # the quoted first message
    assert m.text == f"{m.subject}\n\n{m.body}\n\n{m.quoted}"
    assert m.text[m.quote_start :] == m.quoted


def test_talon_yahoo_share_block() -> None:
    path = TALON / "reply-quotations-share-block.eml"
    if not path.is_file():
        pytest.skip(f"real corpus not available: {path}")
    [m] = list(iter_messages([path]))
    assert m.body.startswith("Hi Katharine.") and m.body.endswith("Joe XXX")
    assert m.quoted.startswith("--- On Wed, 4/4/12, xxx@example.com <xxx@example.com> wrote:")
    assert "New Booking Inquiry" in m.quoted and "New Booking Inquiry" not in m.body


@pytest.mark.parametrize(
    "text, body, quoted_start",
    [
        (  # Outlook desktop: a rule, then a header block
            "Sounds good, ship them.\n\n________________________________\nFrom: Dana Reyes\n"
            "Sent: Monday, March 4, 2024 3:02 PM\nTo: Ortiz, Sam\nSubject: Cameras\n\nTwo free cameras.",
            "Sounds good, ship them.",
            "________________________________\nFrom: Dana Reyes",
        ),
        (  # German Outlook, bold field names as Gmail shows them
            "Danke!\n\n*Von:* Dana Reyes <dana@vendor.example>\n*Gesendet:* Montag, 4. März 2024\n"
            "*An:* Sam Ortiz\n*Betreff:* Kameras\n\nZwei Kameras gratis.",
            "Danke!",
            "*Von:* Dana Reyes",
        ),
        (  # Dutch Outlook with the address wrapped onto its own line
            "Zie hieronder.\n\nVan: Microsoft Outlook\n[mailto:postmaster@city.example] \n"
            "Verzonden: 11 april 2016 19:11\nAan: Records\nOnderwerp: Vertraagd\n\nTekst.",
            "Zie hieronder.",
            "Van: Microsoft Outlook",
        ),
        (
            "FYI\n\n-----Original Message-----\nFrom: a@vendor.example\nSent: Tuesday\nTo: b\n"
            "Subject: x\n\nOld text.",
            "FYI",
            "-----Original Message-----",
        ),
        (
            "See below.\n\n---------- Forwarded message ---------\nFrom: Dana <dana@vendor.example>\n"
            "Date: Tue, Mar 5, 2024 at 9:13 AM\nSubject: Offer\nTo: <sam@city.example>\n\nOffer text.",
            "See below.",
            "---------- Forwarded message ---------",
        ),
        (
            "Look at this.\n\nBegin forwarded message:\n\nFrom: Dana <dana@vendor.example>\n"
            "Subject: Offer\nDate: March 5, 2024\nTo: Sam\n\nOffer text.",
            "Look at this.",
            "Begin forwarded message:",
        ),
        (  # Lotus Notes
            "Please review.\n\n---------------------- Forwarded by Steven J Kean/NA/Enron on "
            "06/27/2000 05:20 PM ---------------------------\n\nOld text.",
            "Please review.",
            "---------------------- Forwarded by Steven J Kean",
        ),
        (  # Gmail wraps a long attribution
            "Yes.\n\nOn Tue, Mar 5, 2024 at 9:13 AM Dana Reyes <\ndana.reyes@vendor.example> wrote:\n\n"
            "> Two more cameras at no cost.\n",
            "Yes.",
            "On Tue, Mar 5, 2024 at 9:13 AM Dana Reyes <",
        ),
        (  # French Apple Mail
            "Oui.\n\nLe 5 mars 2024 à 09:13, Dana <dana@vendor.example> a écrit :\n\n> Deux caméras.",
            "Oui.",
            "Le 5 mars 2024",
        ),
        (  # an attribution whose quote lost its ">" (an HTML reply turned into text)
            "Agreed.\n\nOn Tue, Mar 5, 2024 at 9:13 AM Dana wrote:\n\nTwo more cameras at no cost.",
            "Agreed.",
            "On Tue, Mar 5, 2024 at 9:13 AM Dana wrote:",
        ),
    ],
)
def test_history_markers(text: str, body: str, quoted_start: str) -> None:
    got_body, quoted = split_quoted(text)
    assert got_body == body
    assert quoted.startswith(quoted_start)
    assert body not in quoted


def test_inline_reply_keeps_the_authors_lines_in_order() -> None:
    text = (
        "Answers inline.\n\nOn Mar 5, 2024, at 9:13 AM, Dana <dana@vendor.example> wrote:\n"
        "> Can the chief share the app link?\n\nYes, at roll call.\n\n> And the code?\n\nCODE20 it is.\n"
    )
    body, quoted = split_quoted(text)
    assert body == "Answers inline.\n\nYes, at roll call.\n\nCODE20 it is."
    assert quoted == (
        "On Mar 5, 2024, at 9:13 AM, Dana <dana@vendor.example> wrote:\n"
        "> Can the chief share the app link?\n\n> And the code?"
    )


@pytest.mark.parametrize(
    "text",
    [
        "From: is not a header here.\nThe vendor will provide ten cameras.",
        "From the desk of the Chief:\nSent to all staff. Subject to change.",
        "Notes\nFrom: Dana\nThe rest of the memo.",  # one field is not a header block
        "Thank you!\n\n-- \nSam Ortiz\nPublic Information Officer",
        "Layout:\n> \n>\nNothing quoted here.",  # stray ">" lines from a newsletter
        "",
    ],
)
def test_no_history_is_found_where_there_is_none(text: str) -> None:
    body, quoted = split_quoted(text)
    assert quoted == ""
    assert body == text.strip()


def test_forward_with_nothing_of_ones_own() -> None:
    body, quoted = split_quoted("-----Original Message-----\nFrom: a\nSent: b\nTo: c\nSubject: d\n\nx")
    assert body == "" and quoted.startswith("-----Original Message-----")
    m = Message(id="1", source="s", subject="Fw: d", body=body, quoted=quoted)
    assert m.text == "Fw: d\n\n\n\n" + quoted and m.text[m.quote_start :] == quoted


def test_html_blockquote_becomes_quoted_lines() -> None:
    html = (
        "<div>Yes, at roll call.</div><div class=gmail_quote>On Tue, Mar 5, 2024 at 9:13 AM Dana "
        "wrote:<blockquote>Can the chief share the app link?<blockquote>Older.</blockquote>"
        "</blockquote></div>"
    )
    text = html_to_text(html)
    assert "> Can the chief share the app link?" in text and "> > Older." in text
    body, quoted = split_quoted(text)
    assert body == "Yes, at roll call."
    assert quoted.startswith("On Tue, Mar 5, 2024 at 9:13 AM Dana") and quoted.endswith("> > Older.")


def test_eml_reader_fills_body_and_quoted() -> None:
    eml = (
        b"From: Sam <sam@city.example>\r\nTo: dana@vendor.example\r\nSubject: RE: Cameras\r\n\r\n"
        b"We accept.\r\n\r\nFrom: Dana Reyes [mailto:dana@vendor.example]\r\nSent: Monday, March 4, "
        b"2024 3:02 PM\r\nTo: Sam\r\nSubject: Cameras\r\n\r\nFree cameras for every 20 sign-ups.\r\n"
    )
    m = parse_bytes(eml, id="x", source="x")
    assert m.body == "We accept."
    assert m.quoted.startswith("From: Dana Reyes") and m.quoted.endswith("every 20 sign-ups.")
    assert "every 20 sign-ups" in m.text  # the score still reads the history
