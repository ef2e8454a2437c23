"""Ranking and threshold metrics, computed the same way for training cards and evaluations."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score


def choose_threshold(y: np.ndarray, p: np.ndarray, min_precision: float | None = None) -> float:
    """A score cut-off chosen on held-out predictions.

    With `min_precision`, the lowest cut-off whose precision reaches it (most recall at that
    precision): real dumps hold far fewer positives than a labeled set, so a cut-off tuned for F1
    on balanced data flags too much. Without it, or when no cut-off reaches it, the best F1.
    """
    y, p = np.asarray(y), np.asarray(p)
    if y.sum() == 0:
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y, p)
    precision, recall = precision[:-1], recall[:-1]
    if min_precision is not None:
        ok = np.flatnonzero(precision >= min_precision)
        if ok.size:
            return float(thresholds[ok[np.argmax(recall[ok])]])
    f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall + 1e-12), 0)
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)
    return float(thresholds[best[-1]])


def recall_at_precision(y: np.ndarray, p: np.ndarray, min_precision: float) -> float:
    precision, recall, _ = precision_recall_curve(y, p)
    ok = recall[precision >= min_precision]
    return float(ok.max()) if ok.size else 0.0


def binary_metrics(y: Any, p: Any, threshold: float) -> dict[str, Any]:
    """Metrics of one label: ranking quality, and the confusion matrix at `threshold`."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    pred = p >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    tn = int(np.sum(~pred & (y == 0)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    both = 0 < y.sum() < len(y)
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "threshold": round(float(threshold), 6),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "average_precision": round(float(average_precision_score(y, p)), 4) if both else None,
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "recall_at_precision_90": round(recall_at_precision(y, p, 0.9), 4) if both else None,
        "flag_rate": round(float(pred.mean()), 4) if len(y) else 0.0,
        "confusion_matrix": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }
