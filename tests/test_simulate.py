"""Review simulation: the measures on reading orders with known answers, the replay loop with a
learner whose ranking is known, and the command on a small labeled corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from influence.simulate import Run, replay
from tests.conftest import labeled_rows
from tests.test_cli import invoke


def test_measures_of_a_reading_order() -> None:
    # 4 positives in 100 messages, found at reads 1, 2, 10 and 50
    order = [0] * 100
    for i in (0, 1, 9, 49):
        order[i] = 1
    run = Run(seed=0, pool=100, positives=4, order=order, random=[False] * 100, retrains=0)
    assert run.effort_at(0.95) == 50 and run.effort_at(0.5) == 2
    assert run.recall_after(10) == 0.75
    s = run.summary()
    assert s["wss_95"] == pytest.approx((100 - 50) / 100 - 0.05)
    assert s["rrf_10"] == 0.75


class Oracle:
    """A learner whose ranking is the truth plus noise: replay's bookkeeping is then checkable."""

    def __init__(self, y: np.ndarray, noise: float, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.base = y + rng.normal(0, noise, len(y))
        self.fits: list[dict[int, int]] = []

    def fit(self, labels: dict[int, int]) -> dict[int, int]:
        self.fits.append(dict(labels))
        return labels

    def scores(self, labels: dict[int, int]) -> np.ndarray:
        return self.base


def test_replay_reads_every_positive_and_the_rules_stop_where_they_should() -> None:
    y = np.zeros(3000, dtype=int)
    y[np.random.default_rng(1).choice(3000, 30, replace=False)] = 1
    learner = Oracle(y, noise=0.3)
    run = replay(learner, np.arange(3000), y, seed=0, explore=0.1, target=0.95)
    assert sum(run.order) <= 30 and len(run.order) <= 3000
    s = run.summary()
    assert s["effort_95_share"] < 0.2  # a near-perfect ranking finds 95% early
    # labels seen by each retrain only ever grow, and never include unread messages
    sizes = [len(f) for f in learner.fits]
    assert sizes == sorted(sizes) and sizes[:2] == [0, 10]  # the corpus alone ranks the first batch
    sample = run.stops["sample"]
    assert sample["effort"] is not None and sample["recall"] >= 0.95  # it stops, and not too early
    assert sum(run.random) > 0 and abs(np.mean(run.random) - 0.1) < 0.05


def test_simulate_command_on_a_small_labeled_corpus(tmp_path: Path) -> None:
    rows = labeled_rows()
    train = [r for r in rows if r["split"] == "train"][::5]
    validation = [r for r in rows if r["split"] == "validation"][::5]
    test = [r for r in rows if r["split"] == "test"][::4]
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in train + validation + test))
    out = tmp_path / "sim"
    result = invoke("review", "simulate", path, "--seeds", "2", "--prevalence", "0.1", "--report", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seeds"] == 2 and len(summary["runs"]) == 2
    assert 0 < summary["effort_95_share"] <= 1 and -0.05 <= summary["wss_95"] <= 1
    assert summary["settings"]["prevalence"] == pytest.approx(0.1, abs=0.02)
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "WSS@95" in html
    assert "| WSS@95 |" in (out / "report.md").read_text()
