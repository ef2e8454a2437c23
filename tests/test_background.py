"""Background mail splits by file, so false positives are measured on files the model never saw."""

from __future__ import annotations

from pathlib import Path

import pytest

from influence.background import files, heldout_for


def _tree(root: Path) -> Path:
    for sub in ("2015-08", "2015-09"):
        for i in range(5):
            (root / sub).mkdir(parents=True, exist_ok=True)
            (root / sub / f"C0{i}.txt").write_text(f"From: a@b.gov\nSubject: {sub} {i}\n\nbody {i}\n")
    (root / ".DS_Store").write_text("")
    return root


def test_halves_alternate_and_cover_every_file_once(tmp_path: Path) -> None:
    root = _tree(tmp_path / "release")
    train, held = files([root], "train"), files([root], "heldout")
    assert len(train) + len(held) == len(files([root])) == 10
    assert not set(train) & set(held)
    assert {p.parent.name for p in train} == {p.parent.name for p in held} == {"2015-08", "2015-09"}
    assert all(not p.name.startswith(".") for p in files([root]))
    with pytest.raises(ValueError):
        files([root], "test")  # type: ignore[arg-type]


def test_heldout_follows_the_card(tmp_path: Path) -> None:
    root = _tree(tmp_path / "release")
    other = _tree(tmp_path / "fixtures")
    card = {"background": {"part": "train", "collections": ["release"]}}
    held, note = heldout_for(card, [root, other])
    assert held == files([root], "heldout") + [other] and "held-out half of release" in note
    assert heldout_for({}, [root]) == ([root], "every file")
    assert heldout_for({"background": {"part": "all"}}, [root])[0] == [root]


def test_background_examples_take_the_train_half(tmp_path: Path) -> None:
    from influence.training import background_examples

    root = _tree(tmp_path / "release")
    examples, info = background_examples([root], part="train")
    assert len(examples) == 5 and info["part"] == "train"
    sources = {Path(e.message.source).name for e in examples}
    assert sources == {p.name for p in files([root], "train")}
    assert all(e.labels["promotion_for_gifts"] == 0 and e.labels["gift_offer"] is None for e in examples)
