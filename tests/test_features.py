"""Rule features and evidence computed from the spaCy docs."""

from __future__ import annotations

import pytest
from spacy.language import Language

import influence.features as features
import influence.nlp
from influence.features import DocFeatures, doc_features, evidence, vendors_of
from influence.settings import settings
from influence.types import Evidence, Message

RING_TIERS = (
    "Once your discount code hits 10 uses you reach Gold status and we'll send five free "
    "Stick Up Cams to the station."
)
PER_DOWNLOAD = "For every 20 app downloads we add a credit to the department's account."
PRICE_QUOTE = (
    "Thanks for the call. Per the attached quote, orders over 50 units receive 12% off list "
    "price, and shipping is included. The quote is valid for 60 days."
)
ETHICS_MEMO = (
    "Per General Order 4.12, members shall not solicit or accept gifts, gratuities or free "
    "equipment from any person or company doing business with the City. Questions about this "
    "order should go to the Professional Standards Bureau."
)
SHIFT_SCHEDULE = (
    "Team A works days Monday through Thursday, 0600-1600. Team B covers nights, 1800-0400. "
    "Report to your post by 0545 for roll call. If you need to swap a shift, get your sergeant's "
    "approval first and update the status board."
)
NEWSLETTER = (
    "Our free training session on body-cam redaction is May 2 in the library annex. "
    "Separately, we'd love it if you could share our new app on the department's Facebook page."
)


@pytest.fixture(scope="module")
def nlp() -> Language:
    return influence.nlp.load()


def feats(nlp, text: str) -> dict[str, float]:
    return doc_features(nlp(text))


def message(**kw) -> Message:
    return Message(**{"id": "m1", "source": "test.mbox", **kw})


# --- linking features ------------------------------------------------------------------------


def test_tiered_code_offer_links_gift_promotion_and_exchange(nlp):
    f = feats(nlp, RING_TIERS)
    assert f["gift_promotion_same_sentence"] > 0
    assert f["gift_promotion_exchange_same_sentence"] == 1.0
    assert f["exchange_with_gift_sentence"] == 1.0
    assert f["exchange_with_promotion_sentence"] == 1.0
    assert f["threshold_with_gift_sentence"] == 1.0
    assert f["gift_promotion_near"] == 1.0
    assert f["vendor_present"] == 1.0  # the Stick Up Cams product names Ring


def test_per_download_credit_links_exchange_and_gift(nlp):
    f = feats(nlp, PER_DOWNLOAD)
    assert f["exchange_with_gift_sentence"] == 1.0
    assert f["gift_promotion_same_sentence"] > 0
    assert f["exchange_near_gift"] == 1.0


def test_gift_promotion_count_is_per_sentence(nlp):
    one = feats(nlp, RING_TIERS)["gift_promotion_same_sentence"]
    two = feats(nlp, RING_TIERS + " " + PER_DOWNLOAD)["gift_promotion_same_sentence"]
    assert two > one > 0


@pytest.mark.parametrize("text", [PRICE_QUOTE, ETHICS_MEMO, SHIFT_SCHEDULE])
def test_negatives_have_no_linked_sentences(nlp, text):
    f = feats(nlp, text)
    assert f["gift_promotion_same_sentence"] == 0
    assert f["gift_promotion_exchange_same_sentence"] == 0
    assert f["exchange_with_gift_sentence"] == 0
    assert f["exchange_with_promotion_sentence"] == 0
    assert f["threshold_with_gift_sentence"] == 0


def test_price_quote_gift_at_most(nlp):
    f = feats(nlp, PRICE_QUOTE)
    assert f["phrase=PROMOTION"] == 0 and f["phrase=EXCHANGE"] == 0
    assert f["vendor_present"] == 0


def test_shift_schedule_has_no_gift_or_exchange(nlp):
    f = feats(nlp, SHIFT_SCHEDULE)
    assert f["phrase=GIFT"] == 0 and f["phrase=EXCHANGE"] == 0 and f["phrase=THRESHOLD"] == 0
    assert f["vendor_present"] == 0 and f["sender_is_vendor"] == 0


def test_unrelated_gift_and_ask_in_separate_sentences_are_not_linked(nlp):
    f = feats(nlp, NEWSLETTER)
    assert f["phrase=GIFT"] > 0 and f["phrase=PROMOTION"] > 0
    assert f["gift_promotion_same_sentence"] == 0


def test_family_features_name_the_pattern_ids(nlp):
    f = feats(nlp, PER_DOWNLOAD)
    assert f["family=EXCHANGE:quid"] == 1.0
    assert f["family=GIFT:credit"] == 1.0
    assert f["family=PROMOTION:adoption"] == 1.0


def test_counts_are_capped(nlp):
    cap = settings()["features"]["count_cap"]
    f = feats(nlp, " ".join(["The free doorbell."] * (cap + 10)))
    g = feats(nlp, " ".join(["The free doorbell."] * cap))
    assert f["phrase=GIFT"] == g["phrase=GIFT"]


def test_doc_features_transformer_gives_one_dict_per_doc(nlp):
    docs = [nlp(RING_TIERS), nlp(SHIFT_SCHEDULE)]
    rows = DocFeatures().fit(docs).transform(docs)
    assert len(rows) == 2
    assert rows[0]["gift_promotion_same_sentence"] > 0
    assert rows[1]["gift_promotion_same_sentence"] == 0


# --- sender and vendor features ----------------------------------------------------------------


def test_sender_is_vendor_from_vendor_domain(nlp):
    msgs = [
        message(id="a", from_="Kelsey Armand <karmand@ring.com>", subject="Q3", body=PRICE_QUOTE),
        message(id="b", from_="wes.t@mail.flocksafety.com", body=PRICE_QUOTE),
        message(id="c", from_="Lt. Ramirez <jramirez@fortworthtexas.gov>", body=SHIFT_SCHEDULE),
        message(id="d", from_=None, body=SHIFT_SCHEDULE),
    ]
    docs = list(influence.nlp.docs_for(nlp, msgs))
    assert [d.user_data["sender_vendor"] for d in docs] == ["Ring", "Flock Safety", None, None]
    assert [doc_features(d)["sender_is_vendor"] for d in docs] == [1.0, 1.0, 0.0, 0.0]
    assert vendors_of(docs[0]) == ["Ring"]
    assert vendors_of(docs[2]) == []


def test_vendor_present_from_mentions(nlp):
    assert feats(nlp, "ShotSpotter will present at the council meeting.")["vendor_present"] == 1
    assert feats(nlp, "Give me a ring, he is a good citizen.")["vendor_present"] == 0
    doc = nlp("ShotSpotter and SoundThinking are one company; Flock Safety is another.")
    assert vendors_of(doc) == ["SoundThinking", "Flock Safety"]
    assert doc_features(doc)["n_vendors"] > doc_features(nlp("ShotSpotter"))["n_vendors"]


def test_docs_for_keeps_order_and_subject_length(nlp):
    msgs = [
        message(id=str(i), subject=f"Subject {i}" if i % 2 else None, body=f"Body number {i}.")
        for i in range(5)
    ]
    docs = list(influence.nlp.docs_for(nlp, msgs, batch_size=2))
    assert [d.text for d in docs] == [m.text for m in msgs]
    assert [d.user_data["subject_chars"] for d in docs] == [
        len(m.subject) + 2 if m.subject else 0 for m in msgs
    ]


# --- evidence ----------------------------------------------------------------------------------


def test_evidence_offsets_and_where(nlp):
    msg = message(
        from_="Nadia Feroz <nferoz@ring.com>",
        subject="FREE Stick Up Cams for your referral code",
        body=(
            "Hi Sgt. Ames,\n\nOnce your code HARBOR10 hits 10 uses you reach Gold status and "
            "we'll send five free cameras. Each kit is worth $1,500.\n\nBest, Nadia"
        ),
    )
    (doc,) = influence.nlp.docs_for(nlp, [msg])
    found = evidence(doc)
    assert found and all(isinstance(e, Evidence) for e in found)
    text = msg.text
    for e in found:
        assert text[e.start : e.end] == e.text
        assert e.where == ("subject" if e.start < len(msg.subject) else "body")
    subject = [(e.label, e.text) for e in found if e.where == "subject"]
    assert ("GIFT", "FREE") in subject
    assert ("PROMOTION", "referral code") in subject
    body = [(e.label, e.text) for e in found if e.where == "body"]
    assert ("CODE", "code HARBOR10") in body
    assert ("MONEY", "$1,500") in body
    assert ("THRESHOLD", "10 uses") in body
    assert [e.start for e in found] == sorted(e.start for e in found)


def test_evidence_without_subject_is_all_body(nlp):
    msg = message(body=PER_DOWNLOAD)
    (doc,) = influence.nlp.docs_for(nlp, [msg])
    found = evidence(doc)
    assert {e.where for e in found} == {"body"}
    assert all(msg.text[e.start : e.end] == e.text for e in found)


def test_evidence_prefers_linked_sentences_when_capped(nlp, monkeypatch):
    conf = {**settings(), "evidence": {"max_spans": 3}}
    monkeypatch.setattr(features, "settings", lambda: conf)
    doc = nlp("Lunch is on us Friday. " + PER_DOWNLOAD)
    found = evidence(doc)
    assert len(found) == 3
    linked_start = doc.text.index("For every")
    assert all(e.start >= linked_start for e in found)
