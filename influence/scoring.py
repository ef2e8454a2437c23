"""Messages → scored rows, in input order, one per message (errors pass through unscored)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from spacy.language import Language

from influence.features import evidence, vendors_of
from influence.model import TARGET, Model
from influence.nlp import docs_for
from influence.types import Message, ScoredRow

BATCH = 256


def _batches(items: Iterable[Message], size: int) -> Iterator[list[Message]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _score_batch(batch: list[Message], model: Model, nlp: Language) -> list[ScoredRow]:
    readable = [m for m in batch if m.error is None]
    docs = list(docs_for(nlp, readable))
    probs = model.predict(docs) if docs else {}
    by_id: dict[int, ScoredRow] = {}
    for i, (message, doc) in enumerate(zip(readable, docs)):
        score = float(probs[TARGET][i])
        by_id[id(message)] = ScoredRow(
            message=message,
            score=score,
            flagged=score >= model.threshold,
            gift_offer=float(probs["gift_offer"][i]) if "gift_offer" in probs else None,
            promotion_request=(
                float(probs["promotion_request"][i]) if "promotion_request" in probs else None
            ),
            evidence=evidence(doc),
            vendors=vendors_of(doc),
        )
    return [by_id.get(id(m)) or ScoredRow(message=m) for m in batch]


def score_messages(
    messages: Iterable[Message], model: Model, nlp: Language, batch_size: int = BATCH
) -> Iterator[ScoredRow]:
    """Score a stream; a batch that fails is retried message by message so one bad text only
    costs its own row."""
    for batch in _batches(messages, batch_size):
        try:
            yield from _score_batch(batch, model, nlp)
        except Exception:
            for message in batch:
                try:
                    yield from _score_batch([message], model, nlp)
                except Exception as exc:
                    message.error = f"could not be scored: {exc}"
                    yield ScoredRow(message=message)
