"""Messages → scored rows, in input order, one per message (errors pass through unscored).

The spaCy pass and the model are the expensive part, so batches go to worker processes when
`workers > 1`; the reader stays in the calling process and results come back in input order, with
a bounded number of batches in flight so memory stays flat however large the dump.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice

from spacy.language import Language

from influence.features import evidence, sentence_evidence, vendors_of
from influence.model import TARGET, Model
from influence.nlp import default_nlp, docs_for
from influence.types import Message, ScoredRow

BATCH = 128
_WORKER: dict[str, object] = {}


def _batches(items: Iterable[Message], size: int) -> Iterator[list[Message]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _score_batch(batch: list[Message], model: Model, nlp: Language) -> list[ScoredRow]:
    readable = [m for m in batch if m.error is None]
    docs = list(docs_for(nlp, readable))
    probs = model.predict(docs) if docs else {}
    scored: dict[int, ScoredRow] = {}
    for i, (message, doc) in enumerate(zip(readable, docs)):
        score = float(probs[TARGET][i])
        scored[id(message)] = ScoredRow(
            message=message,
            score=score,
            flagged=score >= model.threshold,
            gift_offer=float(probs["gift_offer"][i]) if "gift_offer" in probs else None,
            promotion_request=(
                float(probs["promotion_request"][i]) if "promotion_request" in probs else None
            ),
            evidence=sentence_evidence(model, doc) + evidence(doc),
            vendors=vendors_of(doc),
        )
    return [scored.get(id(m)) or ScoredRow(message=m) for m in batch]


def score_batch(batch: list[Message], model: Model, nlp: Language) -> list[ScoredRow]:
    """Score one batch; if it fails, retry message by message so one bad text costs one row."""
    try:
        return _score_batch(batch, model, nlp)
    except Exception:
        rows = []
        for message in batch:
            try:
                rows.extend(_score_batch([message], model, nlp))
            except Exception as exc:
                message.error = f"could not be scored: {exc}"
                rows.append(ScoredRow(message=message))
        return rows


def _init_worker(model: Model, spacy_model: str | None, threads: int) -> None:
    from influence.embeddings import set_threads

    if model.reranking:
        set_threads(threads)
    _WORKER["model"] = model
    _WORKER["nlp"] = default_nlp(spacy_model)


def _work(batch: list[Message]) -> list[ScoredRow]:
    return score_batch(batch, _WORKER["model"], _WORKER["nlp"])  # type: ignore[arg-type]


def score_messages(
    messages: Iterable[Message],
    model: Model,
    *,
    spacy_model: str | None = None,
    workers: int = 1,
    batch_size: int = BATCH,
) -> Iterator[ScoredRow]:
    """Score a stream of messages; rows come back in input order."""
    batches = _batches(messages, batch_size)
    if workers <= 1:
        nlp = default_nlp(spacy_model)
        for batch in batches:
            yield from score_batch(batch, model, nlp)
        return
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    pending: deque[tuple[list[Message], Future[list[ScoredRow]]]] = deque()
    with ProcessPoolExecutor(
        workers, mp_context=mp.get_context(method), initializer=_init_worker,
        initargs=(model, spacy_model, max(1, (os.cpu_count() or 1) // workers)),
    ) as pool:  # fmt: skip
        try:
            for batch in batches:
                pending.append((batch, pool.submit(_work, batch)))
                if len(pending) > 2 * workers:
                    yield from pending.popleft()[1].result()
            while pending:
                yield from pending.popleft()[1].result()
        except BrokenProcessPool:
            # A worker died (out of memory, a crash in a native library): finish in this process.
            nlp = default_nlp(spacy_model)
            for batch, _ in pending:
                yield from score_batch(batch, model, nlp)
            for batch in batches:
                yield from score_batch(batch, model, nlp)
