"""The spaCy pipeline: components, phrase spans, entities, serialization and pattern overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

import influence.nlp
from influence.errors import InfluenceError
from influence.nlp import SPANS_KEY
from influence.nlp.gazetteer import domain_index, vendor_for_domain, vendor_patterns

RING_TIERS = (
    "Once your discount code hits 10 uses you reach Gold status and we'll send five free "
    "Stick Up Cams to the station."
)
PER_DOWNLOAD = "For every 20 app downloads we add a credit to the department's account."
MORE_JOIN = "The more residents who join through your link, the more hardware we can route your way."
OFFICER_ASK = "We hit 25 redemptions last week, so are we Platinum now? When do the cameras ship?"
PRICE_QUOTE = (
    "Thanks for the call. Per the attached quote, orders over 50 units receive 12% off list "
    "price, and shipping is included. The quote is valid for 60 days."
)
ETHICS_MEMO = (
    "Subject: Reminder: General Order 4.12\n\n"
    "Per General Order 4.12, members shall not solicit or accept gifts, gratuities or free "
    "equipment from any person or company doing business with the City. Questions about this "
    "order should go to the Professional Standards Bureau."
)
SHIFT_SCHEDULE = (
    "Subject: Patrol shift schedule, week of 3/10\n\n"
    "All,\nTeam A works days Monday through Thursday, 0600-1600. Team B covers nights, 1800-0400. "
    "Report to your post by 0545 for roll call. If you need to swap a shift, get your sergeant's "
    "approval first and update the status board. The overtime sign-up sheet is in the briefing "
    "room.\nThanks,\nLt. Ramirez"
)


@pytest.fixture(scope="module")
def nlp() -> Language:
    return influence.nlp.load()


def labels(doc) -> set[str]:
    return {s.label_ for s in doc.spans[SPANS_KEY]}


def sentence_labels(doc) -> list[set[str]]:
    out = []
    for sent in doc.sents:
        out.append({s.label_ for s in doc.spans[SPANS_KEY] if sent.start <= s.start < sent.end})
    return out


def span_texts(doc, label: str) -> list[str]:
    return [s.text for s in doc.spans[SPANS_KEY] if s.label_ == label]


def ents(doc) -> list[tuple[str, str, str]]:
    return [(e.label_, e.text, e.kb_id_) for e in doc.ents]


def spans_sig(doc) -> list[tuple[str, int, int, str]]:
    return [(s.label_, s.start, s.end, s.id_) for s in doc.spans[SPANS_KEY]]


# --- pipeline --------------------------------------------------------------------------------


def test_load_builds_blank_english_with_sentencizer_and_rules(nlp):
    assert nlp.lang == "en"
    assert nlp.pipe_names == ["sentencizer", "influence_entities", "influence_phrases"]
    assert not any(nlp.has_pipe(p) for p in ("ner", "parser", "tagger", "tok2vec"))
    assert nlp.get_pipe_config("influence_phrases")["spans_key"] == SPANS_KEY


def test_components_are_registered_factories():
    for name in ("influence_entities", "influence_phrases"):
        assert Language.has_factory(name)
        assert spacy.registry.has("factories", name)
    meta = Language.get_factory_meta("influence_phrases")
    assert "doc.spans" in meta.assigns
    assert "doc.ents" in Language.get_factory_meta("influence_entities").assigns


def test_long_messages_fit(nlp):
    assert nlp.max_length > influence.nlp.MAX_CHARS


# --- phrase spans on positives ---------------------------------------------------------------


def test_ring_style_tiered_code_has_all_four_labels_in_one_sentence(nlp):
    doc = nlp(RING_TIERS)
    assert sentence_labels(doc)[0] >= {"GIFT", "PROMOTION", "EXCHANGE", "THRESHOLD"}
    assert "10 uses" in span_texts(doc, "THRESHOLD")
    assert "discount code" in span_texts(doc, "PROMOTION")
    assert "free" in span_texts(doc, "GIFT")
    assert any("Gold" in t for t in span_texts(doc, "EXCHANGE"))


def test_per_download_credit(nlp):
    doc = nlp(PER_DOWNLOAD)
    assert sentence_labels(doc)[0] >= {"GIFT", "PROMOTION", "EXCHANGE", "THRESHOLD"}
    assert "For every" in span_texts(doc, "EXCHANGE")
    assert "every 20 app downloads" in span_texts(doc, "THRESHOLD")
    assert "app downloads" in span_texts(doc, "PROMOTION")
    assert "credit" in span_texts(doc, "GIFT")


def test_implicit_the_more_the_more_link(nlp):
    doc = nlp(MORE_JOIN)
    assert sentence_labels(doc)[0] >= {"GIFT", "PROMOTION", "EXCHANGE"}
    assert span_texts(doc, "EXCHANGE") == ["The more", "the more"]
    assert "your link" in span_texts(doc, "PROMOTION")
    assert "route your way" in span_texts(doc, "GIFT")


def test_officer_asking_about_a_reward_tier(nlp):
    doc = nlp(OFFICER_ASK)
    first = sentence_labels(doc)[0]
    assert first >= {"PROMOTION", "THRESHOLD", "EXCHANGE"}
    assert "25 redemptions" in span_texts(doc, "THRESHOLD")
    assert any("Platinum" in t for t in span_texts(doc, "EXCHANGE"))


def test_officer_lowercase_contraction_tier(nlp):
    doc = nlp("dashboard says we're at 27 uses so we're platinum now right?")
    assert {"THRESHOLD", "EXCHANGE", "PROMOTION"} <= labels(doc)


def test_forwarded_every_n_signups_offer(nlp):
    doc = nlp(
        "Sgt. Ames, can you handle this?\n-- Forwarded --\nEvery 15 sign-ups with your code "
        "earns the station another Stick Up Cam."
    )
    assert {"EXCHANGE", "THRESHOLD", "PROMOTION"} <= labels(doc)
    assert ("PRODUCT", "Stick Up Cam", "Ring") in ents(doc)


@pytest.mark.parametrize("word", ["free", "FREE", "Free", "fReE"])
def test_phrases_ignore_case(nlp, word):
    doc = nlp(f"We can ship the department ten {word} doorbells.")
    gifts = [s for s in doc.spans[SPANS_KEY] if s.label_ == "GIFT"]
    assert [(s.text, s.id_) for s in gifts] == [(word, "free")]


def test_multiword_phrases_ignore_case(nlp):
    doc = nlp("AS A THANK YOU, Your Referral Code unlocks Free Of Charge installs.")
    assert "AS A THANK YOU" in span_texts(doc, "EXCHANGE")
    assert "Referral Code" in span_texts(doc, "PROMOTION")
    assert "Free Of Charge" in span_texts(doc, "GIFT")


# --- phrase spans on negatives ---------------------------------------------------------------


def test_price_quote_volume_discount_has_no_promotion_or_exchange(nlp):
    doc = nlp(PRICE_QUOTE)
    assert "PROMOTION" not in labels(doc)
    assert "EXCHANGE" not in labels(doc)
    assert "THRESHOLD" not in labels(doc)
    assert set(span_texts(doc, "GIFT")) <= {"% off"}


def test_ethics_memo_has_no_exchange_promotion_or_threshold(nlp):
    # The rule layer tags vocabulary, not intent: "gifts" and "free" are still GIFT here and it is
    # the model's job to see that the memo forbids them. What must not appear is a linked shape.
    doc = nlp(ETHICS_MEMO)
    assert not labels(doc) & {"EXCHANGE", "PROMOTION", "THRESHOLD"}
    assert not [e for e in doc.ents if e.label_ in ("VENDOR", "PRODUCT", "CODE")]


def test_shift_schedule_has_no_gift_exchange_or_threshold(nlp):
    doc = nlp(SHIFT_SCHEDULE)
    assert not labels(doc) & {"GIFT", "EXCHANGE", "THRESHOLD"}
    assert not [e for e in doc.ents if e.label_ in ("VENDOR", "PRODUCT", "MONEY", "CODE")]


def test_bare_status_is_not_a_tier(nlp):
    doc = nlp("Quick status update on the Mark43 migration: we're at the testing stage.")
    assert "EXCHANGE" not in labels(doc)
    doc = nlp("The status levels are explained below.")
    assert span_texts(doc, "EXCHANGE") == ["status levels"]


# --- entities ----------------------------------------------------------------------------------


def test_vendor_entities_have_canonical_kb_ids(nlp):
    doc = nlp(
        "From: jdoe@flocksafety.com\nWe met the ShotSpotter team and the Neighbors app folks. "
        "Reply to ana@mail.ring.com."
    )
    found = ents(doc)
    assert ("VENDOR", "jdoe@flocksafety.com", "Flock Safety") in found
    assert ("VENDOR", "ShotSpotter", "SoundThinking") in found
    assert ("VENDOR", "Neighbors app", "Ring") in found
    assert ("VENDOR", "ana@mail.ring.com", "Ring") in found


def test_vendor_aliases_ignore_case_but_products_do_not(nlp):
    assert ("VENDOR", "shotspotter", "SoundThinking") in ents(nlp("the shotspotter alert"))
    assert ("PRODUCT", "Stick Up Cams", "Ring") in ents(nlp("five free Stick Up Cams"))
    assert not ents(nlp("they tried to stick up cam's store"))


def test_agency_money_code_and_date_entities(nlp):
    doc = nlp(
        "The Fort Worth Police Department and LAPD each got an invoice for $1,500. Residents "
        "can use code HARBOR10 until March 3, 2024; the pilot ends 2024-05-01."
    )
    found = [(label, text) for label, text, _ in ents(doc)]
    assert ("AGENCY", "Fort Worth Police Department") in found
    assert ("AGENCY", "LAPD") in found
    assert ("MONEY", "$1,500") in found
    assert ("CODE", "code HARBOR10") in found
    assert ("DATE", "March 3, 2024") in found
    assert ("DATE", "2024-05-01") in found
    assert {e.kb_id_ for e in doc.ents if e.label_ == "AGENCY"} == {"police"}


def test_agency_names_do_not_swallow_a_leading_word(nlp):
    doc = nlp("Dear Harris County Sheriff's Office, thanks. The Milton PD team agreed.")
    found = [(e.label_, e.text) for e in doc.ents]
    assert ("AGENCY", "Harris County Sheriff's Office") in found
    assert ("AGENCY", "Milton PD") in found


@pytest.mark.parametrize(
    "text",
    [
        "Give me a ring when you're back at your desk.",
        "He has always been a good citizen of this town.",
        "Click the link below to learn more about the grant.",
        "Please stay vigilant over the holiday weekend.",
        "A flock of geese keeps setting off the motion sensor.",
    ],
)
def test_common_words_are_not_vendors(nlp, text):
    assert not [e for e in nlp(text).ents if e.label_ in ("VENDOR", "PRODUCT")]


def test_case_sensitive_names_still_match_as_written(nlp):
    found = ents(nlp("Ring and Citizen both asked; Vigilant sent a quote."))
    assert ("VENDOR", "Ring", "Ring") in found
    assert ("VENDOR", "Citizen", "Citizen") in found
    assert ("VENDOR", "Vigilant", "Vigilant Solutions") in found


def test_vendor_for_domain():
    index = domain_index([{"vendor": "Ring", "domains": ["ring.com"]}])
    assert vendor_for_domain("ring.com", index) == "Ring"
    assert vendor_for_domain("Mail.Ring.com", index) == "Ring"
    assert vendor_for_domain("notring.com", index) is None
    assert vendor_for_domain("fortworthtexas.gov", index) is None
    assert vendor_for_domain(None, index) is None


def test_case_sensitive_name_is_not_also_added_case_insensitively():
    pats = vendor_patterns(
        [{"vendor": "Ring", "aliases": ["Amazon Ring"], "case_sensitive_aliases": ["Ring"]}]
    )
    ring = [p for p in pats if p["pattern"] == "Ring"]
    assert ring == [{"label": "VENDOR", "pattern": "Ring", "id": "Ring", "attr": "ORTH"}]


# --- serialization -----------------------------------------------------------------------------

ROUND_TRIP_TEXTS = [RING_TIERS, PER_DOWNLOAD, MORE_JOIN, OFFICER_ASK, PRICE_QUOTE]


def test_full_pipeline_round_trip(nlp, tmp_path):
    nlp.to_disk(tmp_path / "nlp")
    assert (tmp_path / "nlp" / "influence_phrases" / "phrases.jsonl").exists()
    assert (tmp_path / "nlp" / "influence_entities" / "vendors.jsonl").exists()
    loaded = spacy.load(tmp_path / "nlp")
    assert loaded.pipe_names == nlp.pipe_names
    text = " ".join([*ROUND_TRIP_TEXTS, "Mail jdoe@flocksafety.com about ShotSpotter, $1,500."])
    before, after = nlp(text), loaded(text)
    assert spans_sig(after) == spans_sig(before)
    assert ents(after) == ents(before)
    assert len(before.spans[SPANS_KEY]) > 10


def test_blank_pipeline_round_trip(tmp_path):
    blank = spacy.blank("en")
    blank.add_pipe("sentencizer")
    blank.add_pipe("influence_entities")
    blank.add_pipe("influence_phrases", config={"spans_key": "custom"})
    blank.initialize()
    blank.to_disk(tmp_path / "blank")
    loaded = spacy.load(tmp_path / "blank")
    for text in ROUND_TRIP_TEXTS:
        before, after = blank(text), loaded(text)
        assert [(s.label_, s.start, s.end, s.id_) for s in after.spans["custom"]] == [
            (s.label_, s.start, s.end, s.id_) for s in before.spans["custom"]
        ]
        assert ents(after) == ents(before)
    assert loaded(RING_TIERS).spans["custom"]


def test_uninitialized_components_can_be_saved_and_loaded(tmp_path):
    blank = spacy.blank("en")
    blank.add_pipe("influence_entities")
    blank.add_pipe("influence_phrases")
    blank.to_disk(tmp_path / "empty")
    loaded = spacy.load(tmp_path / "empty")
    doc = loaded("free Stick Up Cam for every 10 sign-ups")
    assert not doc.ents and not list(doc.spans[SPANS_KEY])


def test_from_disk_into_existing_pipeline(nlp, tmp_path):
    nlp.to_disk(tmp_path / "nlp")
    fresh = spacy.blank("en")
    fresh.add_pipe("sentencizer")
    fresh.add_pipe("influence_entities")
    fresh.add_pipe("influence_phrases")
    fresh.from_disk(tmp_path / "nlp")
    assert spans_sig(fresh(RING_TIERS)) == spans_sig(nlp(RING_TIERS))
    assert ents(fresh(RING_TIERS)) == ents(nlp(RING_TIERS))


# --- pattern overrides -------------------------------------------------------------------------


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def custom_nlp(tmp_path_factory) -> Language:
    path = write_jsonl(
        tmp_path_factory.mktemp("patterns") / "custom.jsonl",
        [
            {"label": "GIFT", "pattern": "freebie", "id": "custom_gift"},
            {"label": "PROMOTION", "pattern": [{"LOWER": "retweet"}, {"LOWER": "us"}]},
        ],
    )
    return influence.nlp.load(patterns=path)


def test_patterns_override_replaces_phrase_patterns(custom_nlp):
    doc = custom_nlp("A Freebie if you retweet us; also a free doorbell and a discount code.")
    got = [(s.label_, s.text, s.id_) for s in doc.spans[SPANS_KEY]]
    assert got == [("GIFT", "Freebie", "custom_gift"), ("PROMOTION", "retweet us", "")]


def test_patterns_override_keeps_entities(custom_nlp):
    assert ("VENDOR", "ShotSpotter", "SoundThinking") in ents(custom_nlp("ShotSpotter called."))


def test_patterns_override_survives_round_trip(custom_nlp, tmp_path):
    custom_nlp.to_disk(tmp_path / "custom")
    loaded = spacy.load(tmp_path / "custom")
    text = "A freebie if you retweet us, plus a free doorbell."
    assert spans_sig(loaded(text)) == spans_sig(custom_nlp(text))
    assert loaded.get_pipe("influence_phrases").rules.patterns == (
        custom_nlp.get_pipe("influence_phrases").rules.patterns
    )


@pytest.mark.parametrize(
    "line",
    [
        '{"label": "GIFT", "text": "freebie"}',
        '{"pattern": "freebie"}',
        '["GIFT", "freebie"]',
        '{"label": "GIFT", "pattern": 5}',
        '{"label": "GIFT", "pattern": "freebie", "attr": "LEMMA"}',
        '{"label": "GIFT", "pattern": "freebie"',
    ],
)
def test_malformed_pattern_line_names_the_expected_keys(tmp_path, line):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"label": "GIFT", "pattern": "ok"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InfluenceError) as info:
        influence.nlp.load(patterns=path)
    assert "'label'" in str(info.value) and "'pattern'" in str(info.value)


def test_invalid_token_pattern_is_an_influence_error(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"label": "GIFT", "pattern": [{"FOO": "x"}]}])
    with pytest.raises(InfluenceError, match="not a valid token pattern"):
        influence.nlp.load(patterns=path)


def test_missing_patterns_file_is_an_influence_error(tmp_path):
    with pytest.raises(InfluenceError, match="Cannot read patterns file"):
        influence.nlp.load(patterns=tmp_path / "nope.jsonl")


def test_doc_text_is_built_once_and_never_read_from_another_doc(nlp):
    from influence.nlp.rules import TEXT_KEY, doc_text

    doc = nlp("Ten sign-ups with  your code\n\nearn a free camera. ")
    assert doc_text(doc) == doc.text and doc.user_data[TEXT_KEY] == (len(doc), doc.text)
    other = nlp.make_doc("A different message.")
    other.user_data.update(doc.user_data)  # user data copied from another doc
    assert doc_text(other) == "A different message."
