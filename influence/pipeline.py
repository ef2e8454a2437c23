"""End-to-end runs that the CLI and tests share: paths in, rows out, a summary back."""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from influence.model import Model, load_model
from influence.readers import iter_messages
from influence.reports.tables import output_format, write_rows
from influence.scoring import score_messages
from influence.threads import link_messages
from influence.types import SCORE_COLUMNS, Message, ScoredRow

MESSAGE_COLUMNS = [
    "id", "source", "page", "bates", "line", "offset", "from", "to", "cc", "date", "subject",
    "message_id", "in_reply_to", "references", "body", "quoted", "attachments", "thread_id",
    "quotes", "duplicate_of", "error",
]  # fmt: skip


@dataclass
class Summary:
    messages: int = 0
    errors: int = 0
    flagged: int = 0
    top: list[ScoredRow] = field(default_factory=list)
    threshold: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return self.messages - self.errors

    def line(self) -> str:
        text = f"{self.scored} messages scored, {self.errors} could not be read"
        if self.threshold is not None:
            text += f", {self.flagged} flagged (score >= {self.threshold:.3f})"
        return text


def _count(
    rows: Iterable[ScoredRow], summary: Summary, top: int, on_row: Callable[[ScoredRow], None] | None = None
) -> Iterator[dict]:
    heap: list[tuple[float, int, ScoredRow]] = []
    for n, row in enumerate(rows):
        if on_row:
            on_row(row)
        summary.messages += 1
        if row.error:
            summary.errors += 1
        elif row.score is not None:
            summary.flagged += bool(row.flagged)
            if top:
                item = (row.score, -n, row)
                if len(heap) < top:
                    heapq.heappush(heap, item)
                else:
                    heapq.heappushpop(heap, item)
        yield row.to_dict()
    summary.top = [r for _, _, r in sorted(heap, key=lambda t: (-t[0], -t[1]))]


def score_paths(
    inputs: list[str | Path],
    out: str,
    *,
    model: Model | str | Path | None = None,
    spacy_model: str | None = None,
    top: int = 0,
    workers: int | None = None,
    on_message: Callable[[Message], None] | None = None,
    on_row: Callable[[ScoredRow], None] | None = None,
) -> Summary:
    """Score every message under `inputs` into `out`; one row per message, in input order.

    `on_row` sees every scored row as it is written (a second sink, e.g. the HTML review).

    `workers` processes run spaCy and the model (default: one per CPU core, at most 4).
    """
    output_format(out)  # fail on a bad output name before reading anything
    if not isinstance(model, Model):
        model = load_model(model)
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    summary = Summary(threshold=model.threshold, notes=pattern_drift(model, spacy_model))
    if note := model.rerank_note():
        summary.notes.append(note)
    messages: Iterable[Message] = link_messages(iter_messages(inputs))
    if on_message:
        messages = _tap(messages, on_message)
    rows = score_messages(messages, model, spacy_model=spacy_model, workers=workers)
    write_rows(_count(rows, summary, top, on_row), out, SCORE_COLUMNS)
    return summary


def pattern_drift(model: Model, spacy_model: str | None = None) -> list[str]:
    """A note when the phrase patterns differ from those the model was trained with: its rule
    features then mean something else, and scores drift without any error."""
    from influence.nlp import default_nlp
    from influence.nlp.rules import patterns_hash

    trained = model.card.get("patterns_hash")
    now = patterns_hash(default_nlp(spacy_model).get_pipe("influence_phrases").rules.patterns)
    if trained and trained != now:
        return [
            f"the phrase patterns changed since this model was trained (model {trained}, now {now}); "
            "scores may be off until it is retrained with `influence train`"
        ]
    return []


def ingest_paths(
    inputs: list[str | Path], out: str, on_message: Callable[[Message], None] | None = None
) -> Summary:
    """Parse every message under `inputs` into `out` without scoring."""
    output_format(out)
    summary = Summary()

    def rows() -> Iterator[dict]:
        for m in link_messages(iter_messages(inputs)):
            if on_message:
                on_message(m)
            summary.messages += 1
            summary.errors += m.error is not None
            yield m.to_dict()

    write_rows(rows(), out, MESSAGE_COLUMNS)
    return summary


def _tap(messages: Iterable[Message], fn: Callable[[Message], None]) -> Iterator[Message]:
    for m in messages:
        fn(m)
        yield m
