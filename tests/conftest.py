"""Shared fixtures: paths of the project's own data, a small trained model, the real collections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpora" / "labeled"
SAMPLE_DUMP = ROOT / "corpora" / "sample-dump"
SAMPLE_LABELS = ROOT / "corpora" / "sample-dump.labels.csv"
REAL = ROOT.parent / "shared" / "corpora" / "real"


def labeled_rows() -> list[dict]:
    return [json.loads(line) for f in sorted(CORPUS.glob("*.jsonl"))
            for line in f.read_text().splitlines() if line.strip()]  # fmt: skip


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small labeled file drawn from the shipped corpus (train split only), for fast training."""
    rows = [r for r in labeled_rows() if r.get("split", "train") == "train"]
    pos = [r for r in rows if r["promotion_for_gifts"] == 1][::6]
    neg = [r for r in rows if r["promotion_for_gifts"] == 0][::8]
    path = tmp_path_factory.mktemp("corpus") / "small.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in pos + neg))
    return path


@pytest.fixture(scope="session")
def small_model(small_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from influence.training import train

    out = tmp_path_factory.mktemp("models") / "small"
    train([small_corpus], out, folds=3)
    return out


@pytest.fixture
def real() -> Path:
    if not REAL.is_dir():
        pytest.skip("../shared/corpora/real is not present (it only exists beside the project checkout)")
    return REAL
