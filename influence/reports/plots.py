"""Evaluation plots as PNG images (base64), drawn with matplotlib's Agg canvas (no display needed)."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import numpy as np

from influence.metrics import ECE_BINS, calibration_bins, effort_curve

COLOURS = ("#1f5fbf", "#d9480f", "#2f9e44", "#862e9c")
SIZE = (5.2, 3.7)


def _png(draw: Callable) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.grid(True, color="#e6e9ef", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    draw(ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def precision_recall(y: np.ndarray, scores: dict[str, np.ndarray], thresholds: dict[str, float]) -> str:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    def draw(ax) -> None:
        for (name, p), colour in zip(scores.items(), COLOURS):
            precision, recall, cuts = precision_recall_curve(y, p)
            ap = average_precision_score(y, p)
            ax.step(recall, precision, where="post", color=colour, label=f"{name} (AP {ap:.3f})")
            t = thresholds.get(name)
            if t is not None:
                pred = p >= t
                r = (pred & (y == 1)).sum() / max(y.sum(), 1)
                pr = (pred & (y == 1)).sum() / max(pred.sum(), 1)
                ax.plot([r], [pr], "o", color=colour, markersize=6)
        ax.axhline(y.mean(), color="#999", linestyle=":", linewidth=1, label=f"random ({y.mean():.2f})")
        ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02),
               title="Precision-recall (dot: the threshold)")  # fmt: skip
        ax.legend(loc="lower left", fontsize=8)

    return _png(draw)


def review_effort(y: np.ndarray, scores: dict[str, np.ndarray]) -> str:
    def draw(ax) -> None:
        for (name, p), colour in zip(scores.items(), COLOURS):
            effort, recall = effort_curve(y, p)
            ax.plot(np.r_[0, effort] * 100, np.r_[0, recall], color=colour, label=name)
        share = y.mean()
        ax.plot([0, share * 100, 100], [0, 1, 1], color="#999", linestyle="--", linewidth=1, label="perfect")
        ax.plot([0, 100], [0, 1], color="#999", linestyle=":", linewidth=1, label="random order")
        ax.axhline(0.95, color="#c92a2a", linewidth=0.8, alpha=0.6)
        ax.set(xlabel="% of messages read, highest score first", ylabel="recall", xlim=(0, 100),
               ylim=(0, 1.02), title="Recall against review effort")  # fmt: skip
        ax.legend(loc="lower right", fontsize=8)

    return _png(draw)


def calibration(y: np.ndarray, scores: dict[str, np.ndarray]) -> str:
    def draw(ax) -> None:
        ax.plot([0, 1], [0, 1], color="#999", linestyle=":", linewidth=1, label="perfectly calibrated")
        for (name, p), colour in zip(scores.items(), COLOURS):
            bins = calibration_bins(y, p)
            x = [b["mean_score"] for b in bins]
            ax.plot(x, [b["positive_rate"] for b in bins], "o-", color=colour, label=name, markersize=4)
        ax.set(xlabel=f"mean score in bin ({ECE_BINS} equal-width bins)", ylabel="share positive",
               xlim=(0, 1), ylim=(0, 1.02), title="Calibration")  # fmt: skip
        ax.legend(loc="upper left", fontsize=8)

    return _png(draw)


def histogram(y: np.ndarray, p: np.ndarray, threshold: float) -> str:
    def draw(ax) -> None:
        edges = np.linspace(0, 1, 26)
        ax.hist(p[y == 0], bins=edges, color="#868e96", alpha=0.75, label=f"negative ({int((y == 0).sum())})")
        ax.hist(p[y == 1], bins=edges, color="#d9480f", alpha=0.75, label=f"positive ({int((y == 1).sum())})")
        ax.axvline(
            threshold, color="#1d2330", linestyle="--", linewidth=1, label=f"threshold {threshold:.3f}"
        )
        ax.set_yscale("log")
        ax.set(xlabel="score", ylabel="messages (log scale)", xlim=(0, 1), title="Scores by true label")
        ax.legend(loc="upper center", fontsize=8)

    return _png(draw)
