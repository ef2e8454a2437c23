"""The window scorer: windows follow sentences and blank lines, rationales label them, and a
scorer trained on them finds the linking sentence wherever it sits."""

from __future__ import annotations

import numpy as np
import pytest

from influence.corpus import load_corpus
from influence.nlp import docs_for, load
from influence.types import Message
from influence.windows import WindowScorer, mark_rationale, segments, window_labels, windows
from tests.conftest import CORPUS

OFFER = "Every ten sign-ups with your code earns the station another free camera."


@pytest.fixture(scope="module")
def nlp():
    return load()


def doc_of(nlp, body: str, subject: str | None = None):
    return next(docs_for(nlp, [Message(id="m", source="t", subject=subject, body=body)]))


def test_segments_cut_at_blank_lines_and_length(nlp) -> None:
    doc = doc_of(nlp, "Hi Sam,\n\nThanks for the call. " + OFFER + "\n\nBest,\nKim Lutz\n" + "word " * 150)
    texts = [doc[a:b].text.strip() for a, b in segments(doc, 60)]
    assert OFFER in texts
    assert any(t.startswith("Hi Sam,") and "Thanks for the call" in t for t in texts)  # too short alone
    assert max(b - a for a, b in segments(doc, 60)) <= 60
    pairs = [w.text for w in windows(doc)]
    assert any(OFFER in t and "Thanks for the call" in t for t in pairs)  # two adjacent sentences


def test_one_word_lines_of_ocr_text_join_into_windows(nlp) -> None:
    """Printed releases come out of pdftotext one word per line; a window of "the" is noise."""
    ocr = "\n\n".join("Those in the know believe that the law enforcement perspective was heard".split())
    doc = doc_of(nlp, ocr)
    assert all(sum(t.is_alpha for t in doc[a:b]) >= 6 for a, b in segments(doc, 60))


def test_rationale_marks_the_windows_that_hold_it(nlp) -> None:
    doc = doc_of(nlp, "Hi Sam,\n\nThanks for the call.\n\n" + OFFER + "\n\nBest,\nKim")
    mark_rationale(doc, [OFFER.replace(" ", "  ", 1)])  # whitespace may differ after parsing
    assert doc.user_data["rationale"]
    wins = windows(doc)
    labels = window_labels(doc, wins, 1)
    assert any(w.text.startswith(OFFER) for w, t in zip(wins, labels) if t == 1)  # the sign-off joins it
    assert [t for w, t in zip(wins, labels) if OFFER not in w.text] == [0]  # the greeting
    assert window_labels(doc, wins, 0) == [0] * len(wins)
    doc.user_data["rationale"] = []
    assert set(window_labels(doc, wins, 1)) == {None}  # a positive without a rationale


def test_every_positive_rationale_is_found_in_its_message_text(nlp) -> None:
    examples = [e for e in load_corpus([CORPUS]).examples if e.labels["promotion_for_gifts"] == 1]
    docs = list(docs_for(nlp, [e.message for e in examples[::10]]))
    missing = []
    for d, e in zip(docs, examples[::10]):
        mark_rationale(d, e.rationale)
        if len(d.user_data["rationale"]) != len(e.rationale):
            missing.append(e.message.id)
    assert not missing  # header-only rationales would be lost when the headers are parsed off


def test_scorer_finds_a_buried_linking_sentence(nlp) -> None:
    examples = load_corpus([CORPUS / "positives_b.jsonl", CORPUS / "hard_negatives_b.jsonl"]).where("train")
    docs = list(docs_for(nlp, [e.message for e in examples]))
    for d, e in zip(docs, examples):
        mark_rationale(d, e.rationale)
    y = np.array([e.labels["promotion_for_gifts"] for e in examples])
    scorer = WindowScorer(folds=3).fit(docs, y)
    assert scorer.n_windows_ > len(docs) and scorer.message_ is not None  # the shipped setting: focus on
    filler = "\n\n".join(["The quarterly fleet maintenance schedule is attached for review."] * 60)
    alone = doc_of(nlp, OFFER)
    buried = doc_of(nlp, f"{filler}\n\n{OFFER}\n\n{filler}")
    p_alone, p_buried = scorer.predict_proba([alone, buried])[:, 1]
    assert abs(p_alone - p_buried) < 0.15  # one sentence in a long document scores like itself
    top = next(scorer.top_windows(buried, k=1))
    assert "sign-ups" in top[0].text


def test_a_window_scored_model_shows_the_sentence_as_evidence(nlp) -> None:
    from sklearn.pipeline import Pipeline

    from influence.model import TARGET, Model
    from influence.scoring import score_messages

    examples = load_corpus([CORPUS / "positives_c.jsonl", CORPUS / "ordinary_a.jsonl"]).where("train")
    docs = list(docs_for(nlp, [e.message for e in examples]))
    for d, e in zip(docs, examples):
        mark_rationale(d, e.rationale)
    y = np.array([e.labels[TARGET] for e in examples])
    model = Model({TARGET: Pipeline([("windows", WindowScorer(folds=3).fit(docs, y))])}, {TARGET: 0.5})
    message = Message(id="m", source="t", subject="Spring newsletter",
                      body="Schedules are attached.\n\n" + OFFER + "\n\nSee you at roll call.")  # fmt: skip
    row = next(score_messages([message], model))
    sentences = [e for e in row.evidence if e.label == "SENTENCE"]
    assert sentences and OFFER in sentences[0].text
    assert message.text[sentences[0].start : sentences[0].end] == sentences[0].text


def test_support_backs_a_lone_sentence_and_discounts_a_fluke(nlp) -> None:
    """The message score leans on the best window that shares text with the strongest one; a
    message of one sentence backs itself."""
    scorer = WindowScorer(combine="support", context=False)
    one = doc_of(nlp, OFFER)
    wins = windows(one)
    assert len(wins) == 1
    assert scorer._combine(wins, np.array([0.9]), one)[:2] == [0.9, 0.9]
    two = doc_of(nlp, "The quarterly fleet maintenance schedule is attached for review.\n\n" + OFFER)
    wins = windows(two)
    scores = np.array([0.1 if OFFER not in w.text else 0.9 if w.text.strip() == OFFER else 0.4 for w in wins])
    p1, support = scorer._combine(wins, scores, two)[:2]
    assert (p1, support) == (0.9, 0.4)


def test_the_focus_of_a_long_message_keeps_the_exchange_with_its_spans(nlp) -> None:
    """The whole-message scorer reads a long message's focus: the strongest window and a few
    sentences around it, with entities, rule spans and the sender flag carried over."""
    from influence.windows import focus

    filler = "The quarterly fleet maintenance schedule is attached for review today."
    body = "\n\n".join([filler] * 20 + [OFFER] + [filler] * 20)
    doc = next(docs_for(nlp, [Message(id="m", source="t", from_="rep@flocksafety.com", body=body)]))
    wins = windows(doc)
    scores = np.array([0.9 if "sign-ups" in w.text else 0.1 for w in wins])
    f = focus(doc, wins, scores, radius=3)
    assert OFFER in f.text and len(f) < len(doc) / 4
    assert f.text.count(filler) <= 2 * 3  # radius either side
    labels = {s.label_ for s in f.spans["influence"]}
    assert labels == {s.label_ for s in doc.spans["influence"]} and "GIFT" in labels
    assert all(f.text[s.start_char : s.end_char] == s.text for s in f.spans["influence"])
    assert f.user_data.get("sender_vendor") == doc.user_data.get("sender_vendor")
    short = doc_of(nlp, "Thanks for the call.\n\n" + OFFER)
    # a short message is read the same way: here its focus is all of it
    whole = focus(short, windows(short), np.ones(len(windows(short))), radius=3)
    assert whole.text.split() == short.text.split()


def test_the_focused_message_scorer_joins_the_combiner_when_asked(nlp) -> None:
    """`message = true` (off in the shipped model): the whole-message scorer reads each message's
    focus, so a buried offer scores as it does alone."""
    examples = load_corpus([CORPUS / "positives_b.jsonl", CORPUS / "hard_negatives_b.jsonl"]).where("train")
    docs = list(docs_for(nlp, [e.message for e in examples]))
    for d, e in zip(docs, examples):
        mark_rationale(d, e.rationale)
    y = np.array([e.labels["promotion_for_gifts"] for e in examples])
    scorer = WindowScorer(folds=3, message=True).fit(docs, y)
    assert scorer.message_ is not None and scorer.combiner_.coef_.shape[1] == 7  # 4 + message + 2 context
    filler = "\n\n".join(["The quarterly fleet maintenance schedule is attached for review."] * 60)
    buried = doc_of(nlp, f"{filler}\n\n{OFFER}\n\n{filler}")
    p_alone, p_buried = scorer.predict_proba([doc_of(nlp, OFFER), buried])[:, 1]
    assert abs(p_alone - p_buried) < 0.15  # the message scorer reads the focus, not 120 filler lines
