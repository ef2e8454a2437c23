"""The robustness transforms change layout and length but never the exchange, and the report
measures what it says on a trained model."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from influence.corpus import load_corpus
from influence.robustness import Check, alone, config, in_layout, padded, real_filler, run, with_disclaimer
from influence.types import Message
from tests.conftest import CORPUS, REAL

OFFER = Message(id="m1", source="t", from_="Kim Lutz <kim@flock-example.com>", subject="Tier update",
                body="Every ten sign-ups with your code earns the station another camera.")  # fmt: skip


def test_padding_surrounds_the_message_with_whole_real_messages() -> None:
    pool = ["word " * 50 + "one", "other " * 80 + "two"]
    out = padded(OFFER, pool, 1000, random.Random(0))
    before, _, after = out.body.partition(OFFER.body)
    assert _ and len(before.split()) >= 500 and len(after.split()) >= 500
    assert out.subject == OFFER.subject and out.from_ == OFFER.from_


def test_layout_and_disclaimer_keep_the_body() -> None:
    note = config()["text"]["disclaimers"][0]
    assert with_disclaimer(OFFER, note).body == f"{OFFER.body}\n\n{note}"
    printed = in_layout(OFFER).body
    assert OFFER.body in printed and "-----Original Message-----" in printed and "Page 2 of 3" in printed


def test_rationale_alone_is_the_annotated_words() -> None:
    corpus = load_corpus([CORPUS / "positives_a.jsonl"])
    annotated = [e for e in corpus.examples if e.rationale]
    assert annotated, "positives_a carries rationales"
    e = annotated[0]
    assert alone(e).text == "\n".join(e.rationale)
    # the words stand in the text the pipeline reads (headers parsed off, whitespace may differ)
    squash = " ".join(e.message.text.split())
    assert all(" ".join(span.split()) in squash for span in e.rationale)


def test_check_verdicts() -> None:
    assert Check("a", 0.95, 0.9).passed and not Check("a", 0.5, 0.9).passed
    assert Check("fp", 0.002, 0.01, higher_is_better=False).passed
    assert Check("skipped", None, 0.9).passed is None and "skipped" in Check("s", None, 0.9).line()


@pytest.mark.skipif(not REAL.is_dir(), reason="the real collections (../shared) are not present")
def test_real_filler_reads_ordinary_mail() -> None:
    pool = real_filler(REAL, limit=50)
    assert len(pool) == 50 and all(len(b.split()) >= 40 for b in pool)


def test_report_runs_every_check_on_a_trained_model(small_model: Path) -> None:
    from influence.model import load_model

    examples = load_corpus([CORPUS / "positives_a.jsonl", CORPUS / "ordinary_a.jsonl"]).where("test")
    checks = run(load_model(small_model), examples, shared=None)
    names = [c.name for c in checks]
    assert any("padded with 1000" in n for n in names) and any("layout" in n for n in names)
    assert [c.passed for c in checks if "padded" in c.name] == [None, None]  # no ../shared given
    assert all(c.value is not None for c in checks if "padded" not in c.name)


def test_the_shipped_model_holds_the_length_and_layout_invariances(real: Path) -> None:
    """Issue 9's invariances on the shipped model, on a sample of the test split (`make robustness`
    measures all of it): burying a flagged positive in 1,000 words of real mail it never trained on,
    or adding a sign-off, keeps it flagged; printing negatives as a released thread adds no flags."""
    from influence.model import load_model
    from influence.robustness import scores

    model = load_model()
    examples = load_corpus([CORPUS]).where("test")
    pos = [e for e in examples if e.labels["promotion_for_gifts"] == 1][::3]
    neg = [e for e in examples if e.labels["promotion_for_gifts"] == 0][::4]
    base = scores(model, [e.message for e in pos])
    flagged = [e for e, s in zip(pos, base) if s >= model.threshold]
    assert len(flagged) >= 30
    pool = real_filler(real, limit=400, card=model.card)
    rng = random.Random(0)
    buried = scores(model, [padded(e.message, pool, 1000, rng) for e in flagged])
    assert (buried >= model.threshold).mean() >= 0.9
    notes = config()["text"]["disclaimers"]
    signed = scores(model, [with_disclaimer(e.message, notes[i % len(notes)]) for i, e in enumerate(flagged)])
    assert (signed >= model.threshold).mean() >= 0.9
    before = scores(model, [e.message for e in neg]) >= model.threshold
    after = scores(model, [in_layout(e.message) for e in neg]) >= model.threshold
    assert after.mean() - before.mean() <= 0.01


def test_the_shipped_model_flags_the_agreement_clause_canary() -> None:
    """A one-sentence clause crediting an agency per resident download toward free devices (issue 9).
    The seed's own tier account is not flagged yet (0.66 against a 0.88 threshold): `make robustness`
    reports it."""
    from influence.model import load_model
    from influence.robustness import scores

    model = load_model()
    canary = next(c for c in config()["canary"] if "download" in c["name"])
    assert scores(model, [Message(id="c", source="t", body=canary["text"])])[0] >= model.threshold
