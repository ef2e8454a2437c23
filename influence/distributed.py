"""The scoring run on a Dask `distributed` cluster, for dumps one machine cannot get through.

The same readers, spaCy pipeline and model as a local run, so the rows are the same: the input is
cut into partitions (small files grouped, large mbox and JSONL files cut into byte ranges at
message starts, so their message ids and line numbers stay those of a whole-file read); each
worker loads the model and pipeline once (a worker plugin, re-run on a worker that replaces a
dead one) and reads and scores whole partitions. The client takes partitions back in input
order, links threads and duplicates over the whole stream as a local run does (linking needs
every earlier message, scoring needs none), and writes the usual single file plus, optionally, a
partitioned Parquet dataset (`part-00000.parquet`, ...), one part per partition.

Nothing is dropped: Dask re-runs the tasks of a worker that dies, a partition that still fails
is read and scored in the client process, and both are reported in the run's notes.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from influence.errors import InfluenceError
from influence.model import Model, load_model
from influence.pipeline import Summary, _count, pattern_drift
from influence.readers import check_paths, iter_files, read_file, split_file
from influence.reports.tables import _write_parquet, atomic_path, output_format, write_rows
from influence.scoring import BATCH, _batches, score_batch
from influence.threads import Linker
from influence.types import SCORE_COLUMNS, ByteRange, Message, ScoredRow

PLUGIN = "influence-scorer"
PARTITION_BYTES = 32 * 2**20  # input bytes per task, at most: small enough to retry cheaply
MIN_PARTITION_BYTES = 2**20  # and at least: a task must pay for its scheduling
PARTITION_FILES = 256  # small files grouped into one task
RETRIES = 2  # a task that raised is tried this many more times before the client takes it over


class ClusterError(InfluenceError):
    pass


@dataclass(frozen=True)
class Piece:
    path: str  # as the user gave it: it names the message's source, as in a local run
    where: str  # the absolute path the workers open
    span: ByteRange | None = None

    def describe(self) -> str:
        if self.span is None:
            return self.path
        end = self.span.end if self.span.end is not None else "end"
        return f"{self.path} (bytes {self.span.start}-{end})"


@dataclass(frozen=True)
class Partition:
    number: int
    pieces: tuple[Piece, ...]

    def describe(self) -> str:
        names = [p.describe() for p in self.pieces]
        return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more files"


def plan(
    inputs: Iterable[str | os.PathLike[str]], every: int = PARTITION_BYTES, files: int = PARTITION_FILES
) -> Iterator[Partition]:
    """Partitions of the input, in input order: consecutive small files grouped up to `every`
    bytes or `files` files, a large mbox or JSONL file cut into ranges of about `every` bytes."""
    number = 0
    group: list[Piece] = []
    size = 0

    def flush() -> Iterator[Partition]:
        nonlocal number, group, size
        if group:
            yield Partition(number, tuple(group))
            number += 1
        group, size = [], 0

    for root in check_paths(inputs):
        for path in iter_files(root):
            where = str(path.resolve())
            spans = split_file(path, every)
            if spans != [None]:
                yield from flush()
                for span in spans:
                    yield from flush()
                    group = [Piece(str(path), where, span)]
                yield from flush()
                continue
            try:
                size += path.stat().st_size
            except OSError:
                pass  # read_file reports it
            group.append(Piece(str(path), where))
            if size >= every or len(group) >= files:
                yield from flush()
    yield from flush()


def read_partition(part: Partition) -> Iterator[Message]:
    for piece in part.pieces:
        yield from read_file(Path(piece.where), source=piece.path, span=piece.span)


def _scorer_class() -> type:
    from distributed import WorkerPlugin

    class Scorer(WorkerPlugin):
        """Loads the model and spaCy pipeline once per worker process."""

        name = PLUGIN

        def __init__(self, model_dir: str | None, use_rerank: bool, spacy_model: str | None,
                     threads: int | None) -> None:  # fmt: skip
            self.model_dir, self.use_rerank, self.spacy_model, self.threads = (
                model_dir, use_rerank, spacy_model, threads
            )
            self.model: Model | None = None
            self.nlp: Any = None

        def setup(self, worker: Any) -> None:
            from influence.nlp import default_nlp

            self.model = load_model(self.model_dir)
            self.model.use_rerank = self.use_rerank
            if self.threads and self.model.reranking:
                from influence.embeddings import set_threads

                set_threads(self.threads)
            self.nlp = default_nlp(self.spacy_model)

    return Scorer


def score_partition(part: Partition) -> list[ScoredRow]:
    """The task each worker runs: read one partition and score it with the worker's model."""
    from distributed import get_worker

    scorer = get_worker().plugins[PLUGIN]
    return _score(part, scorer.model, scorer.nlp)


def _score(part: Partition, model: Model, nlp: Any) -> list[ScoredRow]:
    rows: list[ScoredRow] = []
    for batch in _batches(read_partition(part), BATCH):
        rows.extend(score_batch(batch, model, nlp))
    return rows


@contextmanager
def connect(scheduler: str, workers: int | None = None) -> Iterator[Any]:
    """A client for `scheduler`: "local" starts a `LocalCluster` of worker processes on this
    machine (one thread each: spaCy and the model hold the GIL), else the scheduler's address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ClusterError(
            "Running on a Dask cluster needs the dask extra: pip install 'influence[dask]'"
        ) from exc
    if scheduler == "local":
        n = workers or min(4, os.cpu_count() or 1)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)  # fmt: skip
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"Cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    with client:
        yield client


def score_on_cluster(
    inputs: list[str | Path],
    out: str,
    *,
    scheduler: str,
    model_dir: str | Path | None = None,
    use_rerank: bool = True,
    spacy_model: str | None = None,
    top: int = 0,
    parts: str | Path | None = None,
    workers: int | None = None,
    every: int | None = None,
    on_row: Callable[[ScoredRow], None] | None = None,
    on_partition: Callable[[int, Any], None] | None = None,
    model: Model | None = None,
) -> Summary:
    """`score_paths` on a Dask cluster: the same rows, in the same order, to `out` (and one
    Parquet part per partition under `parts`). Partitions hold `every` input bytes (default: a
    quarter of each worker's share, 1 to 32 MB). `on_partition(k, client)` runs after partition
    k is written (progress; tests use it to kill a worker mid-run). `model`: the client's copy
    of the model in `model_dir`, when the caller has loaded it already."""
    output_format(out)
    if model is None:
        model = load_model(model_dir)  # fail here, before a cluster starts, on a bad model
    model.use_rerank = use_rerank
    summary = Summary(threshold=model.threshold, notes=pattern_drift(model, spacy_model))
    if note := model.rerank_note():
        summary.notes.append(note)
    sizes = [p.stat().st_size for root in check_paths(inputs) for p in iter_files(root) if p.is_file()]
    if parts is not None:
        Path(parts).mkdir(parents=True, exist_ok=True)
        for old in Path(parts).glob("part-*.parquet"):
            old.unlink()  # a dataset of this run only
    with connect(scheduler, workers) as client:
        n_workers = len(client.scheduler_info()["workers"]) or 1
        threads = max(1, (os.cpu_count() or 1) // n_workers) if scheduler == "local" else None
        client.register_plugin(_scorer_class()(
            str(model_dir) if model_dir else None, use_rerank, spacy_model, threads
        ))  # fmt: skip
        if every is None:  # enough partitions to keep every worker busy, none too big to retry
            every = min(PARTITION_BYTES, max(MIN_PARTITION_BYTES, sum(sizes) // (4 * n_workers)))
        partitions = list(plan(inputs, every))
        started_with = set(client.scheduler_info()["workers"])
        rows = _ordered(client, partitions, 2 * n_workers + 1, model, spacy_model, summary, parts,
                        on_partition)  # fmt: skip
        write_rows(_count(rows, summary, top, on_row), out, SCORE_COLUMNS)
        lost = started_with - set(client.scheduler_info()["workers"])
    if lost:
        summary.notes.append(
            f"{len(lost)} Dask worker(s) were lost during the run; Dask re-ran their partitions "
            "on the other workers, so no message is missing"
        )
    return summary


def _ordered(
    client: Any,
    partitions: list[Partition],
    ahead: int,
    model: Model,
    spacy_model: str | None,
    summary: Summary,
    parts: str | Path | None,
    on_partition: Callable[[int, Any], None] | None,
) -> Iterator[ScoredRow]:
    """Rows of every partition in input order, linked as one stream, with a bounded number of
    partitions in flight so the client's memory does not grow with the dump."""
    linker = Linker()
    todo = iter(partitions)
    pending: deque[tuple[Partition, Any]] = deque()
    local: list[Any] = []  # the client's own spaCy pipeline, loaded only if it has to take over

    def submit() -> None:
        part = next(todo, None)
        if part is not None:
            pending.append((part, client.submit(score_partition, part, retries=RETRIES, pure=False)))

    for _ in range(ahead):
        submit()
    while pending:
        part, future = pending.popleft()
        submit()
        try:
            rows = future.result()
        except Exception as exc:  # failed on every try (or every worker that ran it died)
            summary.notes.append(
                f"partition {part.number} ({part.describe()}) failed on the cluster "
                f"({type(exc).__name__}: {exc}); it was read and scored in this process instead"
            )
            rows = _score_here(part, model, spacy_model, local)
        future.release()
        for row in rows:
            linker.link(row.message)
        if parts is not None:
            with atomic_path(str(Path(parts) / f"part-{part.number:05d}.parquet")) as tmp:
                _write_parquet((r.to_dict() for r in rows), tmp, SCORE_COLUMNS)
        yield from rows
        if on_partition:
            on_partition(part.number, client)


def _score_here(part: Partition, model: Model, spacy_model: str | None, local: list[Any]) -> list[ScoredRow]:
    if not local:
        from influence.nlp import default_nlp

        local.append(default_nlp(spacy_model))
    return _score(part, model, local[0])
