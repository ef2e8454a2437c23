"""Metric functions against values worked out by hand on tiny rankings."""

from __future__ import annotations

import numpy as np
import pytest

from influence.metrics import (
    binary_metrics,
    brier_score,
    calibration_bins,
    choose_threshold,
    expected_calibration_error,
    group_metrics,
    recall_at_effort,
    recall_at_precision,
    review_metrics,
    wss_at_recall,
)


def test_confusion_and_rates_counted_by_hand() -> None:
    y = [1, 1, 1, 0, 0, 0, 0, 0]
    p = [0.9, 0.8, 0.3, 0.7, 0.2, 0.1, 0.05, 0.6]
    m = binary_metrics(y, p, threshold=0.5)
    # flagged: .9 .8 .7 .6 -> tp 2 (.9 .8), fp 2 (.7 .6); missed .3
    assert m["confusion_matrix"] == {"tp": 2, "fp": 2, "fn": 1, "tn": 3}
    assert m["precision"] == 0.5 and m["recall"] == pytest.approx(0.6667, abs=1e-4)
    assert m["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), abs=1e-4)
    # AP: positives at ranks 1, 2 and 5 -> (1/1 + 2/2 + 3/5) / 3
    assert m["average_precision"] == pytest.approx((1 + 1 + 0.6) / 3, abs=1e-4)
    assert m["flag_rate"] == 0.5


def test_perfect_ranking() -> None:
    m = binary_metrics([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], threshold=0.5)
    assert m["average_precision"] == 1.0 and m["roc_auc"] == 1.0 and m["f1"] == 1.0


def test_single_class_has_no_ranking_metrics() -> None:
    m = binary_metrics([0, 0, 0], [0.1, 0.9, 0.3], threshold=0.5)
    assert m["average_precision"] is None and m["roc_auc"] is None
    assert m["confusion_matrix"]["fp"] == 1


def test_threshold_maximises_f1() -> None:
    y = np.array([0, 0, 1, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.8, 0.9])
    # cut at .8 -> P=1 R=2/3 F1=.8 ; cut at .3 -> P=3/4 R=1 F1=.857 (best)
    assert choose_threshold(y, p) == pytest.approx(0.3)


def test_recall_at_precision() -> None:
    y = np.array([1, 1, 0, 1, 0])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.1])
    # at precision >= .9 only the top two qualify -> recall 2/3
    assert recall_at_precision(y, p, 0.9) == pytest.approx(2 / 3)


def test_threshold_for_a_precision_target() -> None:
    y = np.array([0, 0, 1, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.8, 0.9])
    # precision >= .9 first holds at the .8 cut (P=1, R=2/3); lower cuts let the .4 negative in
    assert choose_threshold(y, p, min_precision=0.9) == pytest.approx(0.8)
    # unreachable target falls back to best F1
    assert choose_threshold(np.array([0, 1]), np.array([0.9, 0.1]), min_precision=0.99) == pytest.approx(0.1)


def ranking_of(n: int, positive_ranks: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """n messages scored 1.00, 0.99, ... in rank order (1-based), positives at the given ranks,
    shuffled so nothing depends on input order."""
    rank = np.arange(1, n + 1)
    y = np.isin(rank, positive_ranks).astype(int)
    p = 1.0 - rank / 100
    perm = np.random.default_rng(0).permutation(n)
    return y[perm], p[perm]


def test_recall_at_review_effort_counted_by_hand() -> None:
    y, p = ranking_of(20, [1, 3, 8, 15])
    # 1% and 5% of 20 -> ceil(0.2) = ceil(1.0) = 1 message read: rank 1 is positive -> 1 of 4
    assert recall_at_effort(y, p, 0.01) == 0.25
    assert recall_at_effort(y, p, 0.05) == 0.25
    # 10% -> 2 messages (ranks 1, 2) -> 1 of 4; 20% -> 4 messages (1..4) -> 2 of 4
    assert recall_at_effort(y, p, 0.10) == 0.25
    assert recall_at_effort(y, p, 0.20) == 0.5
    # 40% -> 8 messages -> ranks 1, 3, 8 -> 3 of 4
    assert recall_at_effort(y, p, 0.40) == 0.75
    # 7% of 100 is 7 messages, not 8 (7.000000000000001 in floating point)
    y100, p100 = ranking_of(100, [7, 8])
    assert recall_at_effort(y100, p100, 0.07) == 0.5
    assert recall_at_effort([0, 0], [0.1, 0.2], 0.5) is None


def test_ties_are_broken_against_the_model() -> None:
    # two messages share the top score; reading one of them may well be the negative
    assert recall_at_effort([1, 0, 0, 0], [0.9, 0.9, 0.1, 0.1], 0.25) == 0.0
    assert recall_at_effort([0, 1, 0, 0], [0.9, 0.9, 0.1, 0.1], 0.25) == 0.0


def test_wss_at_95_counted_by_hand() -> None:
    # 4 positives: 95% recall needs all 4, the last at rank 15 -> read 15 of 20;
    # unread: 5 messages, all negatives -> TN + FN = 5 + 0; WSS = 5/20 - 0.05 = 0.20
    y, p = ranking_of(20, [1, 3, 8, 15])
    assert wss_at_recall(y, p, 0.95) == pytest.approx(0.20)
    # 20 positives, 19 of them (95%) in the top 19, the 20th at rank 60: stop after 19 read;
    # unread 81 = 80 TN + 1 FN; WSS = 81/100 - 0.05 = 0.76
    y, p = ranking_of(100, list(range(1, 20)) + [60])
    assert wss_at_recall(y, p, 0.95) == pytest.approx(0.76)
    # a random-like ranking with positives last saves nothing (negative WSS)
    y, p = ranking_of(10, [10])
    assert wss_at_recall(y, p, 0.95) == pytest.approx(0.0 - 0.05)
    assert wss_at_recall([0, 0], [0.3, 0.2]) is None


def test_brier_by_hand() -> None:
    # (0.9-1)^2 + (0.2-0)^2 + (0.6-0)^2 = 0.01 + 0.04 + 0.36 = 0.41, over 3
    assert brier_score([1, 0, 0], [0.9, 0.2, 0.6]) == pytest.approx(0.41 / 3)
    assert brier_score([1, 0], [1.0, 0.0]) == 0.0


def test_ece_by_hand_on_two_bins() -> None:
    y = [0, 1, 1, 1]
    p = [0.2, 0.4, 0.5, 0.9]
    # bin [0, .5): scores .2 .4 -> mean .3, positives 1/2 -> |.5 - .3| = .2, weight 2/4
    # bin [.5, 1]: scores .5 .9 -> mean .7, positives 2/2 -> |1 - .7| = .3, weight 2/4
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.5 * 0.2 + 0.5 * 0.3)
    bins = calibration_bins(y, p, bins=2)
    assert [(b["low"], b["high"], b["n"]) for b in bins] == [(0.0, 0.5, 2), (0.5, 1.0, 2)]
    # a score of exactly 1.0 falls in the last (closed) bin; empty bins are left out
    assert [b["n"] for b in calibration_bins([1, 0], [1.0, 0.05])] == [1, 1]
    assert expected_calibration_error([1, 0], [1.0, 0.0]) == 0.0


def test_review_metrics_keys() -> None:
    y, p = ranking_of(20, [1, 3, 8, 15])
    m = review_metrics(y, p)
    assert m["recall_at_10pct_reviewed"] == 0.25 and m["wss_at_95"] == pytest.approx(0.2)
    assert m["ece_bins"] == 10 and set(m) >= {
        "brier",
        "ece",
        "recall_at_1pct_reviewed",
        "recall_at_5pct_reviewed",
    }


def test_group_metrics_by_hand() -> None:
    y = [1, 1, 0, 0, 1]
    p = [0.9, 0.2, 0.8, 0.1, 0.7]
    g = group_metrics(y, p, 0.5, ["a", "a", "a", None, "b"])
    assert g["a"] == {"n": 3, "positives": 2, "flagged": 2, "tp": 1, "fp": 1, "fn": 1, "recall": 0.5,
                      "precision": 0.5, "mean_score": round((0.9 + 0.2 + 0.8) / 3, 4)}  # fmt: skip
    assert g["(none)"]["recall"] is None and g["(none)"]["precision"] is None
    assert g["b"]["tp"] == 1 and g["b"]["recall"] == 1.0


def test_a_score_on_a_bin_edge_goes_up() -> None:
    # 0.7 belongs to [0.7, 0.8) even though 0.7 < np.linspace(0, 1, 11)[7] in floating point
    assert [(b["low"], b["n"]) for b in calibration_bins([1, 0], [0.7, 0.3])] == [(0.3, 1), (0.7, 1)]


def test_figures_at_prevalence_keep_every_negative_and_thin_the_positives() -> None:
    from influence.metrics import at_prevalence

    rng = np.random.default_rng(1)
    neg = rng.uniform(0.0, 0.6, 990)
    neg[:3] = 0.95  # three real messages the model flags
    pos = np.r_[rng.uniform(0.7, 1.0, 90), rng.uniform(0.0, 0.5, 10)]  # nine in ten found
    r = at_prevalence(pos, neg, threshold=0.9, prevalence=0.01, seeds=10)
    assert r["positives"] == 10 and r["negatives"] == 990 and r["prevalence"] == 0.01
    assert r["false_alarms"]["mean"] == 3  # every negative is in every draw
    assert r["precision"]["mean"] < 0.9  # at 1%, three false alarms weigh against a few positives
    assert r["recall"]["worst"] <= r["recall"]["mean"] <= 1
    perfect = at_prevalence(np.ones(50), np.zeros(990), threshold=0.5, seeds=3)
    assert perfect["average_precision"] == {"mean": 1.0, "worst": 1.0}
