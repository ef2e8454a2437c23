"""Ranking and threshold metrics, computed the same way for training cards and evaluations."""

from __future__ import annotations

import math
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


# --- Review-effort and calibration metrics (evaluation reports) ----------------------------------

ECE_BINS = 10
EFFORT_FRACTIONS = (0.01, 0.05, 0.10)


def review_order(y: Any, p: Any) -> np.ndarray:
    """Indices in the order a reviewer reads them: highest score first.

    Ties are broken pessimistically (negatives before positives), so a model that gives many
    messages the same score gets no credit for the luck of input order.
    """
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    return np.lexsort((y, -p))


def _reviewed(fraction: float, n: int) -> int:
    """Messages read when reviewing the top `fraction` of `n`: ceil(fraction * n)."""
    return min(n, math.ceil(round(fraction * n, 9)))  # round: 0.07 * 100 is 7.000000000000001


def recall_at_effort(y: Any, p: Any, fraction: float) -> float | None:
    """Share of positives found after reading the top ceil(fraction * n) messages by score."""
    y = np.asarray(y, dtype=int)
    if not y.sum():
        return None
    k = _reviewed(fraction, len(y))
    return float(y[review_order(y, p)[:k]].sum() / y.sum())


def effort_curve(y: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
    """(fraction of messages read, recall) after each message in review order."""
    y = np.asarray(y, dtype=int)
    found = np.cumsum(y[review_order(y, p)])
    return np.arange(1, len(y) + 1) / len(y), found / max(int(y.sum()), 1)


def wss_at_recall(y: Any, p: Any, target: float = 0.95) -> float | None:
    """Work saved over sampling at `target` recall (Cohen et al. 2006).

    Read messages in score order and stop at the smallest cut-off whose recall is >= target;
    the unread ones are the true and false negatives, so WSS = (TN + FN) / N - (1 - target).
    0 means no better than reading a random sample of the same size; the best possible value
    is (negatives / N) - (1 - target).
    """
    y = np.asarray(y, dtype=int)
    if not y.sum():
        return None
    found = np.cumsum(y[review_order(y, p)])
    k = int(np.argmax(found >= target * y.sum() - 1e-9)) + 1  # messages read
    return float((len(y) - k) / len(y) - (1 - target))


def brier_score(y: Any, p: Any) -> float:
    """Mean squared difference between score and label (0 is perfect)."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    return float(np.mean((p - y) ** 2))


def calibration_bins(y: Any, p: Any, bins: int = ECE_BINS) -> list[dict[str, Any]]:
    """Equal-width score bins over [0, 1] (the last one closed): count, mean score, positive rate."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # bin b holds [b / bins, (b + 1) / bins); rounding first keeps 0.7 out of [0.6, 0.7)
    which = np.clip(np.floor(np.round(p * bins, 9)).astype(int), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append({"low": round(float(edges[b]), 4), "high": round(float(edges[b + 1]), 4),
                        "n": int(mask.sum()), "mean_score": float(p[mask].mean()),
                        "positive_rate": float(y[mask].mean())})  # fmt: skip
    return out


def expected_calibration_error(y: Any, p: Any, bins: int = ECE_BINS) -> float:
    """ECE over `bins` equal-width bins: sum over bins of (n_bin / N) * |positive rate - mean score|."""
    n = len(np.asarray(y))
    return float(
        sum(b["n"] / n * abs(b["positive_rate"] - b["mean_score"]) for b in calibration_bins(y, p, bins))
    )


def review_metrics(y: Any, p: Any) -> dict[str, Any]:
    """Calibration and review-effort figures of a score, rounded for reports."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)

    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 4)

    out: dict[str, Any] = {
        "brier": r(brier_score(y, p)),
        "ece": r(expected_calibration_error(y, p)),
        "ece_bins": ECE_BINS,
    }
    for f in EFFORT_FRACTIONS:
        out[f"recall_at_{round(f * 100)}pct_reviewed"] = r(recall_at_effort(y, p, f))
    out["wss_at_95"] = r(wss_at_recall(y, p, 0.95))
    return out


def group_metrics(y: Any, p: Any, threshold: float, groups: list[str | None]) -> dict[str, dict[str, Any]]:
    """Counts at the threshold per group (pattern, vendor): what is caught, missed, wrongly flagged."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    index: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        index.setdefault(g or "(none)", []).append(i)
    out = {}
    for name, idx in sorted(index.items()):
        yg, flag = y[idx], p[idx] >= threshold
        tp, fp = int((flag & (yg == 1)).sum()), int((flag & (yg == 0)).sum())
        pos = int(yg.sum())
        out[name] = {
            "n": len(idx), "positives": pos, "flagged": int(flag.sum()), "tp": tp, "fp": fp,
            "fn": pos - tp, "recall": round(tp / pos, 4) if pos else None,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "mean_score": round(float(p[idx].mean()), 4),
        }  # fmt: skip
    return out


def at_prevalence(pos: Any, neg: Any, threshold: float, prevalence: float = 0.01, seeds: int = 20,
                  seed: int = 0) -> dict[str, Any]:  # fmt: skip
    """Figures as a real dump would give them: every negative score kept, positives drawn without
    replacement down to `prevalence`, once per seed; the mean (and worst) of each figure.

    Precision at a fixed threshold falls with prevalence even when the ranking is as good, so a
    corpus at a third positives flatters it; this says what a reader of the flagged list would see.
    """
    pos, neg = np.asarray(pos, dtype=float), np.asarray(neg, dtype=float)
    k = min(len(pos), max(1, round(prevalence * len(neg) / (1 - prevalence))))
    rng = np.random.default_rng(seed)
    runs: list[dict[str, float]] = []
    for _ in range(seeds):
        drawn = rng.choice(pos, size=k, replace=False)
        y = np.r_[np.ones(k, dtype=int), np.zeros(len(neg), dtype=int)]
        p = np.r_[drawn, neg]
        flagged = p >= threshold
        tp = int(np.sum(flagged & (y == 1)))
        runs.append({
            "average_precision": float(average_precision_score(y, p)),
            "recall_at_precision_90": recall_at_precision(y, p, 0.9),
            "precision": tp / max(1, int(flagged.sum())),
            "recall": tp / k,
            "false_alarms": float(np.sum(flagged & (y == 0))),
        })  # fmt: skip
    out: dict[str, Any] = {"positives": k, "negatives": len(neg), "prevalence": round(k / (k + len(neg)), 4),
                           "seeds": seeds}  # fmt: skip
    for key in runs[0]:
        values = [r[key] for r in runs]
        worst = max(values) if key == "false_alarms" else min(values)
        out[key] = {"mean": round(float(np.mean(values)), 4), "worst": round(float(worst), 4)}
    return out
