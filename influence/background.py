"""Real mail as background negatives, split by file: the model trains on one half of a
collection and its false-positive rate is measured on the other half, which it never saw.

Files, not messages, are the unit: the messages of one file (a release batch, a production
volume) share writers, layout and threads. The halves alternate over the sorted file list, so
both hold every sub-folder (release month, production box) of a collection.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

Part = Literal["all", "train", "heldout"]
PARTS: tuple[str, ...] = ("all", "train", "heldout")


def files(paths: Iterable[str | Path], part: Part = "all") -> list[Path]:
    """The files under `paths` in `part`: every file, the even-numbered ones of each path's sorted
    list ("train") or the odd-numbered ones ("heldout"). A path that is a file counts as a list of one
    file, which falls in "train"."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, not {part!r}")
    out: list[Path] = []
    for path in map(Path, paths):
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        found = [p for p in found if not p.name.startswith(".")]
        out += found if part == "all" else found[0::2] if part == "train" else found[1::2]
    return out


def heldout_for(card: dict, paths: Iterable[str | Path]) -> tuple[list[Path], str]:
    """The files of `paths` a model with this card never trained on, and a note saying which: of a
    collection whose train half it trained on, the held-out half; of any other, every file."""
    bg = card.get("background") or {}
    names = bg.get("collections") or (bg.get("name") or "").split(", ")
    halved = set(names) if bg.get("part") == "train" else set()
    out: list[Path] = []
    for path in map(Path, paths):
        out += files([path], "heldout") if path.name in halved else [path]
    if not halved:
        return out, "every file"
    return out, f"the held-out half of {', '.join(sorted(halved))} (it trained on the other), all of the rest"
