"""Stopping rules on review curves whose answer is known."""

from __future__ import annotations

import random

from influence.stopping import clopper_pearson_upper, knee, sample_bound


def _review(positives_first: int, spread: int, tail: int, seed: int = 1) -> list[bool]:
    """A ranked review: `positives_first` positives within the first `spread` messages read, then
    `tail` messages with none."""
    rng = random.Random(seed)
    head = [True] * positives_first + [False] * (spread - positives_first)
    rng.shuffle(head)
    return head + [False] * tail


def test_knee_stops_once_positives_have_run_out_and_not_before() -> None:
    assert knee(_review(100, 300, 2000)).stop
    assert not knee(_review(100, 300, 40)).stop  # the bend has only just begun
    steady = [random.Random(2).random() < 0.3 for _ in range(2000)]  # still finding them
    assert not knee(steady).stop
    early = knee(_review(10, 20, 50))
    assert not early.stop and "too early" in early.reason


def test_clopper_pearson_upper_bound() -> None:
    assert abs(clopper_pearson_upper(0, 300, 0.95) - (1 - 0.05 ** (1 / 300))) < 1e-9
    assert clopper_pearson_upper(5, 100, 0.95) > 0.05 > clopper_pearson_upper(0, 100, 0.95)
    assert clopper_pearson_upper(0, 0, 0.95) == 1.0


def test_sample_bound_stops_only_when_the_bound_reaches_the_target() -> None:
    few = sample_bound(found=95, unread=10_000, sample_positives=0, sample_size=300)
    assert not few.stop and few.remaining and few.remaining[1] > 90  # 300 draws bound little
    many = sample_bound(found=950, unread=10_000, sample_positives=0, sample_size=3000)
    assert many.stop and many.recall_low is not None and many.recall_low >= 0.95
    hits = sample_bound(found=500, unread=10_000, sample_positives=6, sample_size=3000)
    assert not hits.stop and hits.remaining and 15 < hits.remaining[0] < 25
    assert not sample_bound(found=10, unread=100, sample_positives=0, sample_size=0).stop
