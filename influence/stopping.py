"""When to stop reviewing: stopping rules from the technology-assisted review literature.

A reviewer reads messages in the model's order and labels them. Two questions have no answer in
any score: how many positives are still unread, and when has enough been read. Two rules answer
them from the review so far:

- `knee`: Cormack & Grossman (2016), "Engineering quality and reliability in technology-assisted
  review". The gain curve (positives found against messages read) bends once the positives run
  out; stop when the slope before the bend is at least `156 - min(found, 150)` times the slope
  after it, and at least `min_reviewed` messages have been read (their "adjusted" knee).
- `sample_bound`: a target-recall rule with a confidence bound, after Lewis, Yang & Frieder (2021),
  "Certifying one-phase technology-assisted reviews": among the messages read, those drawn
  uniformly at random from the unread ones (the review's exploration share) sample the unread
  pool without bias; a one-sided Clopper-Pearson upper bound on its prevalence bounds the
  positives left, so `found / (found + left_upper)` is a lower bound on recall at that
  confidence. Stop when that bound reaches the target. Draws made earlier, from a larger unread
  pool that still held positives found since, overstate what is left: the bound stays safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import beta


@dataclass
class Verdict:
    rule: str
    stop: bool
    reason: str
    recall: float | None = None  # estimated recall so far
    recall_low: float | None = None  # its lower confidence bound
    remaining: tuple[float, float] | None = None  # positives left: estimate, upper bound


def knee(labels: Sequence[bool], min_reviewed: int = 150, ratio: float | None = None) -> Verdict:
    """`labels`: whether each message read, in reading order, was positive."""
    s = len(labels)
    found = sum(labels)
    if s < min_reviewed or found == 0:
        return Verdict("knee", False, f"{s} read, {found} positive: too early to find a knee")
    gain = [0]
    for positive in labels:
        gain.append(gain[-1] + bool(positive))
    # the knee: the point of the gain curve farthest above the line from (0, 0) to (s, found)
    best, at = -1.0, 0
    for i in range(1, s + 1):
        distance = (gain[i] * s - i * found) / math.hypot(s, found)
        if distance > best:
            best, at = distance, i
    before = gain[at] / at
    after = (found - gain[at] + 1) / (s - at) if s > at else math.inf
    rho = before / after
    needed = ratio if ratio is not None else 156 - min(found, 150)
    stop = rho >= needed
    reason = (f"slope ratio {rho:.1f} at the knee (message {at} of {s}), "
              f"{'at or above' if stop else 'below'} {needed:.0f}")  # fmt: skip
    return Verdict("knee", stop, reason)


def clopper_pearson_upper(k: int, n: int, confidence: float) -> float:
    """One-sided upper bound on a proportion from k successes in n draws."""
    if n == 0:
        return 1.0
    if k >= n:
        return 1.0
    return float(beta.ppf(confidence, k + 1, n - k))


def sample_bound(
    found: int,
    unread: int,
    sample_positives: int,
    sample_size: int,
    target: float = 0.95,
    confidence: float = 0.95,
) -> Verdict:
    """`found`: positives among everything read; `unread`: messages not read yet;
    `sample_positives` of `sample_size`: positives among the messages read because they were drawn
    at random from the unread ones (the exploration draws), a sample of the unread pool."""
    if sample_size == 0:
        return Verdict("sample", False, "no random draws yet: nothing bounds what is left")
    rate = sample_positives / sample_size
    upper = clopper_pearson_upper(sample_positives, sample_size, confidence)
    left, left_upper = rate * unread, upper * unread
    recall_low = found / (found + left_upper) if found + left_upper > 0 else 1.0
    stop = recall_low >= target
    reason = (f"recall at least {recall_low:.1%} at {confidence:.0%} confidence "
              f"({sample_positives} of {sample_size} random draws positive; at most {left_upper:.0f} "
              f"positives among {unread} unread), {'at or above' if stop else 'below'} the "
              f"{target:.0%} target")  # fmt: skip
    estimate = found / (found + left) if found + left > 0 else 1.0
    return Verdict("sample", stop, reason, recall=estimate, recall_low=recall_low,
                   remaining=(left, left_upper))  # fmt: skip
