"""Metric functions against values worked out by hand on tiny rankings."""

from __future__ import annotations

import numpy as np
import pytest

from influence.metrics import binary_metrics, choose_threshold, recall_at_precision


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
    assert choose_threshold(
        np.array([0, 1]), np.array([0.9, 0.1]), min_precision=0.99
    ) == pytest.approx(0.1)
