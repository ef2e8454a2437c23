"""The review workflow over a project file (`influence.project`): add a dump, label, report.

`init` reads the whole dump again on every run (threads and duplicates link across old and new
messages alike) but scores and stores only messages the project does not hold yet, so re-running
it on a grown dump adds the new messages and re-running it after a crash finishes the job.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from influence.model import Model, load_model
from influence.project import Status, add_rows, known_ids, model_version, open_project, status, transaction
from influence.project import _audit as audit
from influence.readers import iter_messages
from influence.scoring import score_messages
from influence.threads import link_messages
from influence.types import Message


def init(
    project: str | Path,
    inputs: list[str | Path],
    *,
    model: Model | str | Path | None = None,
    spacy_model: str | None = None,
    workers: int | None = None,
    on_message: Callable[[Message], None] | None = None,
) -> tuple[int, Status]:
    """Add every message of `inputs` that the project lacks, scored by `model`; returns how many
    were added and the project's status."""
    source = "shipped" if model is None else str(model)
    loaded = model if isinstance(model, Model) else load_model(model)
    with open_project(project, create=True) as db:
        version = model_version(db, loaded.card, loaded.threshold, source)
        with transaction(db):
            audit(db, "influence", "init", {"inputs": [str(p) for p in inputs], "version": version})
        known = known_ids(db)
        fresh = _new(link_messages(iter_messages(inputs)), known, on_message)
        rows = score_messages(fresh, loaded, spacy_model=spacy_model,
                              workers=workers or min(4, os.cpu_count() or 1))  # fmt: skip
        added = add_rows(db, rows, version)
        return added, status(db)


def _new(
    messages: Iterable[Message], known: set[str], tap: Callable[[Message], None] | None
) -> Iterator[Message]:
    for m in messages:
        if tap:
            tap(m)
        if m.id not in known:
            yield m
