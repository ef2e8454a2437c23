"""Per-message explanations: contributions that add up to the model's own decision value, readable
feature names, spans for highlighting, and `influence explain` in the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from influence.cli import app
from influence.errors import InputError
from influence.explain import (
    Explainer,
    WindowExplainer,
    explain_message,
    explainer_for,
    load_message,
    readable,
    segments,
    text_message,
)
from influence.features import doc_features
from influence.model import TARGET, load_model
from influence.nlp import default_nlp, docs_for
from influence.types import Evidence
from tests.conftest import SAMPLE_DUMP

POSITIVE = ("Sgt. Ruiz - for every 10 residents who sign up with your code, Ring will send the "
            "station a free doorbell camera. Please share the referral link on Facebook.")  # fmt: skip
runner = CliRunner()


@pytest.fixture(scope="module")
def model(small_model: Path):
    return load_model(small_model)


def test_readable_names() -> None:
    assert readable("words__free trial") == "word: free trial"
    assert readable("rules__gift_promotion_same_sentence") == "rule: gift_promotion_same_sentence"
    assert readable("rules__phrase=GIFT") == "rule: phrase=GIFT"
    assert readable("plain") == "plain"


def test_segments_cut_at_every_span_edge() -> None:
    text = "free camera for every sign-up"
    spans = [Evidence("GIFT", "free camera", 0, 11), Evidence("PRODUCT", "camera", 5, 11),
             Evidence("EXCHANGE", "for every", 12, 21)]  # fmt: skip
    assert segments(text, spans) == [
        (0, 5, ["GIFT"]), (5, 11, ["GIFT", "PRODUCT"]), (11, 12, []), (12, 21, ["EXCHANGE"]), (21, 29, []),
    ]  # fmt: skip
    assert segments("abc", [Evidence("GIFT", "x", 2, 9)]) == [(0, 3, [])]  # out of range: ignored


def test_contributions_add_up_to_the_decision_value(model) -> None:
    """A message-scored label (the target is scored by windows: see the next test)."""
    nlp = default_nlp(None)
    docs = list(docs_for(nlp, [text_message(POSITIVE), text_message("Lunch on Thursday? Rota attached.")]))
    explainer = Explainer(model, "gift_offer")
    explanations = explainer.explain_docs(docs, k=5)
    pipe = model.pipelines["gift_offer"]
    X = pipe[:-1].transform(docs)
    # computed independently: the mean decision function of the calibrated ensemble's regressions
    decision = np.mean([c.estimator.decision_function(X) for c in pipe[-1].calibrated_classifiers_], axis=0)
    assert [e.decision for e in explanations] == pytest.approx(decision.tolist(), abs=1e-9)
    pos = explanations[0]
    assert len(pos.up) == 5 and all(c.contribution > 0 for c in pos.up)
    assert all(c.contribution < 0 for c in pos.down)
    assert [c.contribution for c in pos.up] == sorted((c.contribution for c in pos.up), reverse=True)
    assert all(c.feature.split(": ", 1)[0] in ("word", "rule", "linked") for c in pos.up + pos.down)
    assert pos.decision > explanations[1].decision


def test_a_window_scored_target_is_explained_by_its_strongest_window(model) -> None:
    nlp = default_nlp(None)
    body = "Rota for next week is attached.\n\n" + POSITIVE + "\n\nThanks,\nDana"
    docs = list(docs_for(nlp, [text_message(body), text_message("Lunch on Thursday? Rota attached.")]))
    explainer = explainer_for(model)
    assert isinstance(explainer, WindowExplainer)
    explanations = explainer.explain_docs(docs, k=6)
    scorer = model.pipelines[TARGET][-1]
    for doc, e in zip(docs, explanations):
        window, _ = next(scorer.top_windows(doc, k=1))
        decision = scorer.window_classifier_.decision_function(scorer.window_matrix([window]))[0]
        assert e.decision == pytest.approx(decision, abs=1e-9)  # contributions add up to the window's own
        assert all(c.value * c.weight == pytest.approx(c.contribution) for c in e.up + e.down)
    pos = explanations[0]
    assert pos.up and {c.feature.split(": ", 1)[0] for c in pos.up} <= {"word", "char", "rule"}
    assert pos.decision > explanations[1].decision
    assert "Rota" not in next(scorer.top_windows(docs[0], k=1))[0].text  # the exchange, not the logistics


def test_rule_features_are_shown_in_their_own_units(model) -> None:
    doc = next(docs_for(default_nlp(None), [text_message(POSITIVE)]))
    explainer = Explainer(model, "gift_offer")
    raw = doc_features(doc)
    found = {c.feature: c for e in explainer.explain_docs([doc], k=10_000) for c in e.up + e.down}
    rules = {name[len("rule: ") :]: c for name, c in found.items() if name.startswith("rule: ")}
    assert rules
    for name, c in rules.items():
        assert c.value == pytest.approx(raw[name])  # e.g. a flag is 1.0, not its scaled value
        assert c.value * c.weight == pytest.approx(c.contribution)


def test_explain_message_spans_and_quotes(model) -> None:
    message = text_message(f"Subject: codes\n\nThanks, will do.\n\n> {POSITIVE}")
    result = explain_message(message, model, default_nlp(None))
    assert 0 <= result.row.score <= 1
    labels = {s.label for s in result.spans}
    assert {"GIFT", "EXCHANGE"} <= labels and "VENDOR" in labels
    text = message.text
    assert all(text[s.start : s.end] == s.text for s in result.spans)
    if message.quote_start is not None:  # quoted history is told apart from the author's words
        assert all(s.where == "quote" for s in result.spans if s.start >= message.quote_start)


def test_load_message(tmp_path: Path) -> None:
    assert load_message("Free cameras for sign-ups").body == "Free cameras for sign-ups"
    m = load_message("From: a@ring.com\nSubject: hi\n\nFree trial for every download.")
    assert m.from_ == "a@ring.com" and m.subject == "hi"
    with pytest.raises(InputError, match="No such file"):
        load_message(str(tmp_path / "missing.eml"))
    with pytest.raises(InputError, match="holds 3 messages; pick one with --id"):
        path = tmp_path / "three.jsonl"
        path.write_text("".join(json.dumps({"id": f"m{i}", "text": f"text {i}"}) + "\n" for i in range(3)))
        load_message(str(path))
    assert load_message(str(path), "m1").body == "text 1"
    with pytest.raises(InputError, match="No message with id 'zz'"):
        load_message(str(path), "zz")
    with pytest.raises(InputError, match="does not apply to literal text"):
        load_message("some words here", "m1")


def test_explain_cli(small_model: Path) -> None:
    result = runner.invoke(app, ["explain", POSITIVE, "-m", str(small_model)])
    assert result.exit_code == 0, result.output
    assert "Features that pushed the score up" in result.output and "EXCHANGE" in result.output
    eml = SAMPLE_DUMP / "inbox" / "0004.eml"
    result = runner.invoke(app, ["explain", str(eml), "-m", str(small_model), "--json", "--top", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["source"].endswith("0004.eml") and len(data["features"]["up"]) <= 3
    assert {"label", "start", "end", "where"} <= set(data["spans"][0])
    mbox = next((SAMPLE_DUMP / "mail").glob("*.mbox"))
    result = runner.invoke(app, ["explain", str(mbox), "-m", str(small_model)])
    assert result.exit_code == 2 and "pick one with --id" in result.output
    first_id = result.output.split("ids: ")[1].split(",")[0]
    result = runner.invoke(app, ["explain", str(mbox), "--id", first_id, "-m", str(small_model)])
    assert result.exit_code == 0, result.output
