"""`influence evaluate` on a hand-made labeled file scored by stub models whose scores we choose, so
every figure in metrics.json and the reports can be checked against a count done by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from influence.evaluate import render_markdown, run_evaluation, write_report
from influence.model import TARGET, Model

# 20 messages: (text, label, pattern, vendor, score of model A, score of model B)
ROWS = [
    ("For every 10 sign-ups with your code the station gets a doorbell.", 1, "code_tiers", "Ring", 0.95, 0.9),
    ("Lunch on Thursday? The rota is attached.", 0, "ordinary", None, 0.91, 0.20),
    ("We will comp your travel to the summit if the chief speaks for us.", 1, "speaking", "Flock", 0.85, 0.8),
    ("Range closed Friday for maintenance.", 0, "ordinary", None, 0.40, 0.30),
    ("Free trial units for officers who post the download link.", 1, "social_post", "Citizen", 0.70, 0.60),
    ("Budget meeting moved to 3pm.", 0, "ordinary", None, 0.35, 0.10),
    ("Swag bags for every officer who shares the launch post.", 1, "social_post", "Citizen", 0.30, 0.70),
    ("Invite residents to download the app.", 0, "promo_only", "Citizen", 0.55, 0.50),
    ("Reminder: timesheets due.", 0, "ordinary", None, 0.05, 0.05),
    ("Quote for 12 cameras attached, net 30.", 0, "pricing", "Axon", 0.20, 0.15),
    ("Training on Monday.", 0, "ordinary", None, 0.10, 0.12),
    ("Parking lot resurfacing next week.", 0, "ordinary", None, 0.12, 0.02),
    ("Holiday party RSVP.", 0, "ordinary", None, 0.08, 0.04),
    ("New radios arrive in May.", 0, "ordinary", None, 0.15, 0.09),
    ("Gift cards for the first 25 residents your officers sign up.", 1, "code_tiers", "Ring", 0.25, 0.65),
    ("Vendor demo on Tuesday, no commitments.", 0, "pricing", "Axon", 0.18, 0.16),
    ("Overtime approved.", 0, "ordinary", None, 0.03, 0.03),
    ("Evidence room audit.", 0, "ordinary", None, 0.02, 0.01),
    ("Fleet service schedule.", 0, "ordinary", None, 0.01, 0.06),
    ("Shift bid results.", 0, "ordinary", None, 0.04, 0.07),
]  # fmt: skip
THRESHOLD = 0.5


class Lookup:
    """A features step whose only feature is the score we chose for the Doc's text."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def transform(self, docs: list) -> np.ndarray:
        return np.array([self.scores[d.text.strip()] for d in docs])


class Proba:
    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.c_[1 - x, x]


class StubPipeline:
    """Shaped like a fitted `Pipeline` (features step, then classifier) for `Model.predict`."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.steps = [("features", Lookup(scores)), ("classifier", Proba())]

    def predict_proba(self, docs: list) -> np.ndarray:
        return self.steps[1][1].predict_proba(self.steps[0][1].transform(docs))


def stub(name: str, column: int) -> Model:
    pipe = StubPipeline({r[0]: r[column] for r in ROWS})
    return Model({TARGET: pipe}, {TARGET: THRESHOLD}, set(), {"name": name, "sha256": name * 8})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("eval") / "hand.jsonl"
    with path.open("w") as fh:
        for i, (text, label, pattern, vendor, _, _) in enumerate(ROWS):
            fh.write(json.dumps({"id": f"h{i:02d}", "text": text, TARGET: label, "pattern": pattern,
                                 "vendor": vendor, "split": "test"}) + "\n")  # fmt: skip
    return path


@pytest.fixture(scope="module")
def evaluation(corpus: Path):
    return run_evaluation([corpus], stub("a", 4), compare=stub("b", 5))


def test_figures_match_hand_counts(evaluation) -> None:
    m = evaluation.metrics
    # Model A in score order: .95+ .91- .85+ .70+ .55- .40- .35- .30+ .25+ .20- ...
    # flagged (>= .5): .95+ .91- .85+ .70+ .55- -> tp 3, fp 2; missed .30+ .25+ -> fn 2
    assert m["confusion_matrix"] == {"tp": 3, "fp": 2, "fn": 2, "tn": 13}
    assert (m["precision"], m["recall"]) == (0.6, 0.6)
    # 10% of 20 = 2 read (.95+ .91-) -> 1 of 5; 5% and 1% = 1 read -> 1 of 5
    assert m["recall_at_10pct_reviewed"] == 0.2 and m["recall_at_1pct_reviewed"] == 0.2
    # 95% of 5 positives needs all 5; the last (.25) is 9th -> 11 unread; 11/20 - .05 = .5
    assert m["wss_at_95"] == pytest.approx(0.5)
    y = np.array([r[1] for r in ROWS])
    p = np.array([r[4] for r in ROWS])
    assert m["brier"] == pytest.approx(float(np.mean((p - y) ** 2)), abs=1e-4)
    # ECE: 10 bins; by hand per bin |positive rate - mean score| weighted by size
    bins = {}
    for score, label in zip(p, y):
        bins.setdefault(min(int(score * 10), 9), []).append((score, label))
    ece = sum(
        len(b) / 20 * abs(np.mean([lab for _, lab in b]) - np.mean([s for s, _ in b])) for b in bins.values()
    )
    assert m["ece"] == pytest.approx(ece, abs=1e-4)
    assert m["calibration"]["binning"].startswith("10 equal-width")


def test_groups_and_wrong_calls(evaluation) -> None:
    m = evaluation.metrics
    social = m["patterns"]["social_post"]  # .70+ caught, .30+ missed
    assert (social["n"], social["tp"], social["fn"], social["fp"], social["recall"]) == (2, 1, 1, 0, 0.5)
    assert m["patterns"]["ordinary"]["fp"] == 1  # the lunch message at .91
    assert m["vendors"]["Ring"]["fn"] == 1 and m["vendors"]["(none)"]["n"] == 12
    fps = m["errors"]["false_positives"]
    fns = m["errors"]["false_negatives"]
    assert [c["score"] for c in fps] == [0.91, 0.55]  # highest-scoring negatives first
    assert [c["score"] for c in fns] == [0.25, 0.30]  # lowest-scoring positives first
    labels = {e["label"] for e in fns[0]["evidence"]}
    assert "GIFT" in labels  # "Gift cards ... sign up" carries its evidence into the report


def test_comparison_on_the_same_rows(evaluation) -> None:
    m = evaluation.metrics
    comp = m["comparison"]
    assert comp["model"] == "b" and comp["metrics"]["n"] == m["n"] == 20
    # model B flags .90+ .80+ .60+ .70+ .65+ .50- -> tp 5, fp 1
    assert comp["metrics"]["confusion_matrix"] == {"tp": 5, "fp": 1, "fn": 0, "tn": 14}
    assert comp["delta"]["recall"] == pytest.approx(0.6 - 1.0)
    assert comp["delta"]["average_precision"] == pytest.approx(
        m["average_precision"] - comp["metrics"]["average_precision"]
    )
    md = render_markdown(m)
    assert "| metric | a | b | delta |" in md and "| recall | 0.6 | 1 | -0.4000 ▼ |" in md


def test_reports_written(evaluation, tmp_path: Path) -> None:
    write_report(evaluation, tmp_path, ["recall = 0.6 is below 0.9"], [("recall", 0.9)])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["comparison"]["model"] == "b"
    md = (tmp_path / "report.md").read_text()
    assert "FAILED: recall = 0.6 is below 0.9" in md and "Top false negatives" in md
    html = (tmp_path / "report.html").read_text()
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', html)) == 4
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert '<mark class="hl' in html and "FAILED" in html


def test_markdown_stays_short_with_many_patterns(evaluation) -> None:
    m = json.loads(json.dumps(evaluation.metrics))
    group = {"n": 3, "positives": 1, "flagged": 1, "tp": 0, "fp": 1, "fn": 1, "recall": 0.0, "precision": 0.0,
             "mean_score": 0.5}  # fmt: skip
    m["patterns"] = {f"pattern_{i}": dict(group) for i in range(300)}
    m["vendors"] = {f"vendor_{i}": dict(group) for i in range(300)}
    md = render_markdown(m, [])
    assert len(md.splitlines()) < 120 and len(md) < 12_000
    assert "292 more in report.html" in md
