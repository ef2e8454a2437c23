"""The `influence` command: parse options, call the library, print results. Nothing else."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from influence.errors import InfluenceError

app = typer.Typer(
    help="Find vendor gifts traded for promotion in public-records email dumps.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)
STATE = {"debug": False}

Inputs = Annotated[list[Path], typer.Argument(help="Files or folders (eml, mbox, csv, jsonl, parquet, txt).")]
ModelOpt = Annotated[
    Path | None, typer.Option("--model", "-m", help="Model directory (default: the shipped model).")
]
FirstPassOpt = Annotated[
    bool,
    typer.Option("--first-pass-only", help="Skip the model's sentence-embedding second pass (faster, "
                 "less accurate; the first pass's own threshold applies)."),
]  # fmt: skip
OcrOpt = Annotated[bool, typer.Option("--ocr", help="OCR image-only PDF pages (needs tesseract-ocr).")]
SpacyOpt = Annotated[
    str | None,
    typer.Option("--spacy-model", help="Installed spaCy pipeline to build on, e.g. en_core_web_sm."),
]


@app.callback()
def root(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    STATE["debug"] = debug


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Library errors become one clear line and an exit code, unless --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InfluenceError as exc:
            if STATE["debug"]:
                raise
            err.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("Interrupted; no partial output was left behind.")
            raise typer.Exit(130) from None

    return wrapper


@contextmanager
def progress(what: str, inputs: list[Path] | None = None) -> Iterator[Callable[[Any], None]]:
    """Live progress on stderr (only on a terminal, so logs stay clean): messages done,
    messages/s, and the share of input bytes read with an ETA when the inputs are known."""
    from influence.progress import InputProgress

    tracker = InputProgress(inputs) if inputs and err.is_terminal else None
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                   TextColumn("{task.fields[messages]} messages, {task.fields[rate]}/s"),
                   *((BarColumn(), TaskProgressColumn(), TimeRemainingColumn()) if tracker else ()),
                   TimeElapsedColumn(), console=err, transient=True,
                   disable=not err.is_terminal)  # fmt: skip
    with bar:
        task = bar.add_task(what, total=tracker.total if tracker else None, messages=0, rate="-")
        count = 0

        def tick(message: Any) -> None:
            nonlocal count
            count += 1
            elapsed = bar.tasks[0].elapsed or 0
            rate = f"{count / elapsed:,.0f}" if elapsed > 1 else "-"
            done = {"completed": tracker.done(message)} if tracker else {}
            bar.update(task, description=f"{what} {escape(message.source or '')}", messages=f"{count:,}",
                       rate=rate, **done)  # fmt: skip

        yield tick


def print_top(rows: list[Any]) -> None:
    table = Table(title=f"Top {len(rows)} messages", show_lines=False)
    for col in ("rank", "score", "flag", "id", "from", "subject", "evidence"):
        table.add_column(col, overflow="fold")
    for i, r in enumerate(rows, 1):
        linked = ", ".join(f"{e.label}:{e.text}" for e in r.evidence[:4])
        m = r.message
        cells = (m.id, m.from_ or "", m.subject or "", linked)  # "[EXTERNAL] Re: …" is not markup
        table.add_row(str(i), f"{r.score:.3f}", "yes" if r.flagged else "", *map(escape, cells))
    # Piped output (make score in CI, a log file) gets a readable width instead of 80 columns.
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def use_ocr(on: bool) -> None:
    from influence.readers import pdf

    pdf.OCR = on


@app.command()
@friendly
def score(
    inputs: Inputs,
    out: Annotated[
        str,
        typer.Option("--out", "-o", help="Output: .csv, .jsonl, .parquet, or - for JSONL on stdout."),
    ],
    model: ModelOpt = None,
    spacy_model: SpacyOpt = None,
    top: Annotated[int, typer.Option("--top", help="Print the N highest-scoring messages.")] = 0,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 3 if any message could not be read.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes for spaCy and the model (default: CPU cores).")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML review page here.")
    ] = None,
    ocr: OcrOpt = False,
    first_pass_only: FirstPassOpt = False,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Run on a Dask cluster: a scheduler address "
                     "(tcp://host:8786), or 'local' for worker processes on this machine."),
    ] = None,
    parts: Annotated[
        Path | None,
        typer.Option("--parts", help="With --scheduler: also write a partitioned Parquet dataset "
                     "(one part per partition) into this folder."),
    ] = None,
) -> None:
    """Score every message for promotion-for-gifts; one row per message, in input order."""
    use_ocr(ocr)
    from influence.model import load_model
    from influence.pipeline import score_paths
    from influence.reports.html import ReviewWriter

    if parts and not scheduler:
        raise typer.BadParameter("--parts needs --scheduler (a local run writes one file)")
    loaded = load_model(model)
    loaded.use_rerank = not first_pass_only
    review = ReviewWriter(html, loaded, spacy_model=spacy_model, inputs=inputs) if html else nullcontext()
    with review as sink, progress("scoring", inputs) as tick:
        if scheduler:
            from influence.distributed import score_on_cluster

            def on_row(row: Any) -> None:
                tick(row.message)
                if sink:
                    sink.add(row)

            summary = score_on_cluster(inputs, out, scheduler=scheduler, model_dir=model,
                                       use_rerank=not first_pass_only, spacy_model=spacy_model, top=top,
                                       parts=parts, workers=workers, on_row=on_row,
                                       model=loaded)  # fmt: skip
        else:
            summary = score_paths(inputs, out, model=loaded, spacy_model=spacy_model, top=top,
                                  workers=workers, on_message=tick,
                                  on_row=sink.add if sink else None)  # fmt: skip
    if top and summary.top:
        print_top(summary.top)
    wrote = [str(p) for p in (out, html) if p and p != "-"] + ([f"{parts}/part-*.parquet"] if parts else [])
    for note in summary.notes:
        err.print(f"[yellow]Warning:[/yellow] {escape(note)}", highlight=False)
    err.print(escape(summary.line() + (f"; wrote {', '.join(wrote)}" if wrote else "")), highlight=False)
    if strict and summary.errors:
        raise typer.Exit(3)


@app.command()
@friendly
def explain(
    source: Annotated[
        str, typer.Argument(metavar="FILE_OR_TEXT", help="A file (any input format), a message's text, or -.")
    ],
    id: Annotated[str | None, typer.Option("--id", help="Which message of a multi-message file.")] = None,
    model: ModelOpt = None,
    spacy_model: SpacyOpt = None,
    top: Annotated[int, typer.Option("--top", help="Features to show each way.")] = 8,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a highlighted view.")
    ] = False,
    first_pass_only: FirstPassOpt = False,
) -> None:
    """Show why one message scores what it does: its evidence spans and top features."""
    from influence.explain import explain_message, load_message
    from influence.model import load_model
    from influence.nlp import default_nlp
    from influence.reports.terminal import print_explanation

    loaded = load_model(model)
    loaded.use_rerank = not first_pass_only
    result = explain_message(load_message(source, id), loaded, default_nlp(spacy_model), k=top)
    if as_json:
        row = result.row.to_dict() | {"spans": [s.to_dict() for s in result.spans]}
        typer.echo(json.dumps(row | {"features": result.features.to_dict()}, ensure_ascii=False, indent=2))
    else:
        print_explanation(Console(), result, loaded.threshold)


@app.command()
@friendly
def ingest(
    inputs: Inputs,
    out: Annotated[str, typer.Option("--out", "-o", help="Output: .jsonl, .csv, .parquet, or -.")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 3 if any message could not be read.")
    ] = False,
    ocr: OcrOpt = False,
) -> None:
    """Parse messages into one record each, without scoring."""
    use_ocr(ocr)
    from influence.pipeline import ingest_paths

    with progress("reading") as tick:
        summary = ingest_paths(inputs, out, on_message=tick)
    err.print(f"{summary.scored} messages read, {summary.errors} could not be read", highlight=False)
    if strict and summary.errors:
        raise typer.Exit(3)


@app.command()
@friendly
def train(
    corpus: Annotated[list[Path], typer.Argument(help="Labeled .jsonl/.csv/.parquet files or folders.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write.")],
    spacy_model: SpacyOpt = None,
    folds: Annotated[int, typer.Option(help="Grouped cross-validation folds.")] = 5,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    background: Annotated[
        list[Path] | None,
        typer.Option(help="Real mail known to hold no such exchange, added as negatives; repeatable."),
    ] = None,
    background_limit: Annotated[
        int | None, typer.Option(help="Use at most this many background messages.")
    ] = None,
    background_part: Annotated[
        str, typer.Option(help="all: every background file; train: every other file of each folder, "
                          "leaving the rest to measure false positives on (scripts/fpr.py reads the card).")
    ] = "all",
    rerank: Annotated[
        bool | None,
        typer.Option("--rerank/--no-rerank", help="Train the sentence-embedding second pass of a "
                     "message-scored target (default: when the embed extra is installed)."),
    ] = None,
    target_scorer: Annotated[
        str | None,
        typer.Option(help="window: score the target by its strongest sentences; message: by the whole "
                     "message (default: from the settings, window)."),
    ] = None,
) -> None:
    """Train a model on labeled messages (rows in the `test` split are never used)."""
    from influence.training import train as run_train

    if background_part not in ("all", "train"):
        raise typer.BadParameter("must be 'all' or 'train'", param_hint="--background-part")
    card = run_train(
        corpus, out, spacy_model=spacy_model, folds=folds, seed=seed, background=background,
        background_limit=background_limit, background_part=background_part,  # type: ignore[arg-type]
        rerank=rerank, target_scorer=target_scorer,
        progress=lambda msg: err.print(escape(msg), highlight=False),
    )  # fmt: skip
    held = "validation" if "validation" in card["metrics"] else "cross_validation"
    ap = card["metrics"][held]["average_precision"]
    where = escape(str(out))
    err.print(f"wrote {where}/model.joblib; {held.replace('_', '-')} average precision {ap}, "
              f"threshold {card['thresholds']['promotion_for_gifts']:.3f}", highlight=False)  # fmt: skip
    if rr := card.get("rerank"):
        v = rr["validation"]
        err.print(f"second pass: validation average precision {v['average_precision']}, recall at "
                  f"precision 0.9 {v['recall_at_precision_90']}, threshold {rr['threshold']:.3f}",
                  highlight=False)  # fmt: skip


@app.command()
@friendly
def evaluate(
    corpus: Annotated[list[Path], typer.Argument(help="Labeled files or folders.")],
    report: Annotated[Path, typer.Option("--report", help="Folder for metrics.json and report.md.")],
    model: ModelOpt = None,
    spacy_model: SpacyOpt = None,
    split: Annotated[
        str, typer.Option(help="Split to evaluate: auto (test if present), all, test, validation.")
    ] = "auto",
    fail_under: Annotated[
        list[str] | None, typer.Option("--fail-under", help="Gate METRIC=VALUE; repeatable.")
    ] = None,
    compare: Annotated[
        Path | None, typer.Option("--compare", help="Another model directory to evaluate on the same rows.")
    ] = None,
    first_pass_only: FirstPassOpt = False,
    record: Annotated[
        bool, typer.Option("--record", help="Add the figures to the model's card (when the model ships).")
    ] = False,
) -> None:
    """Evaluate a model on held-out labeled data (metrics.json, report.md, report.html); exit 1 if a
    gate fails."""
    from influence.evaluate import check_gates, parse_gates, render_markdown, run_evaluation, write_report
    from influence.model import load_model

    gates = parse_gates(fail_under or [])
    other = load_model(compare) if compare else None
    loaded = load_model(model)
    for m in (loaded, other):
        if m is not None:
            m.use_rerank = not first_pass_only
            if note := m.rerank_note():
                err.print(f"[yellow]Warning:[/yellow] {escape(note)}", highlight=False)
    result = run_evaluation(corpus, loaded, split=split, spacy_model=spacy_model, compare=other)
    failed = check_gates(result.metrics, gates)
    write_report(result, report, failed, gates)
    if record:
        from influence.card import record as record_in_card
        from influence.model import DEFAULT_MODEL_DIR

        record_in_card(model or DEFAULT_MODEL_DIR, f"{result.metrics['split']} split", result.metrics,
                       f"`influence evaluate {' '.join(map(str, corpus))} --split {split} --record`, "
                       f"{result.metrics['n']} rows, {loaded.passes}")  # fmt: skip
    typer.echo(render_markdown(result.metrics, failed if gates else None))
    for f in failed:
        err.print(f"[red]Gate failed:[/red] {escape(str(f))}", highlight=False)
    if failed:
        raise typer.Exit(1)


review_app = typer.Typer(
    help="Review a dump: a project file of its messages, their scores and your labels.", no_args_is_help=True
)
app.add_typer(review_app, name="review")
ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="The review project file (SQLite).")]


@review_app.command("init")
@friendly
def review_init(
    inputs: Inputs,
    project: ProjectOpt,
    model: ModelOpt = None,
    spacy_model: SpacyOpt = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes for spaCy and the model.")] = None,
    first_pass_only: FirstPassOpt = False,
) -> None:
    """Add a dump to a review project (created if new): every message it lacks, scored. Re-run it
    on a grown dump, or after an interrupted run, to add only what is missing."""
    from influence.model import load_model
    from influence.review import init

    loaded = load_model(model)
    loaded.use_rerank = not first_pass_only
    with progress("adding", inputs) as tick:
        added, state = init(project, inputs, model=loaded, spacy_model=spacy_model, workers=workers,
                            on_message=tick)  # fmt: skip
    err.print(escape(f"added {added} messages to {project}: {state.line()}"), highlight=False)


@review_app.command("label")
@friendly
def review_label(
    message_id: Annotated[str, typer.Argument(help="The message's id (the `id` column).")],
    label: Annotated[str, typer.Argument(help="positive, negative, unsure, or undo.")],
    project: ProjectOpt,
    reviewer: Annotated[str, typer.Option(help="Who judged it (default: your login name).")] = "",
    note: Annotated[str | None, typer.Option(help="Why, in your words.")] = None,
) -> None:
    """Label one message (committed before the command returns)."""
    import getpass

    from influence.project import add_label, open_project

    with open_project(project) as db:
        n = add_label(db, message_id, label, reviewer or getpass.getuser(), note)
    err.print(escape(f"label {n}: {message_id} {label}"), highlight=False)


@review_app.command("status")
@friendly
def review_status(project: ProjectOpt) -> None:
    """What the project holds: messages, scores, labels, model versions."""
    from influence.project import open_project, status

    with open_project(project) as db:
        typer.echo(status(db).line())


@review_app.command("next")
@friendly
def review_next(
    project: ProjectOpt,
    n: Annotated[int, typer.Option("-n", help="How many messages to hand out.")] = 1,
    explore: Annotated[
        float, typer.Option(help="Share drawn at random from the unread (keeps the recall estimate honest).")
    ] = 0.1,
) -> None:
    """The next unread messages to judge: the highest-scoring, with a share drawn at random."""
    from influence.project import open_project
    from influence.queue import next_messages

    with open_project(project) as db:
        handouts = next_messages(db, n, explore)
    if not handouts:
        err.print("nothing left unread")
    for h in handouts:
        score = "" if h.score is None else f"{h.score:.3f}"
        where = " ".join(x for x in (f"p. {h.page}" if h.page else "", h.bates or "") if x)
        typer.echo("\t".join([h.id, h.kind, score, h.sender or "", h.subject or "", where]))


CorpusOpt = Annotated[
    list[Path] | None,
    typer.Option("--corpus", help="Labeled corpus to retrain on too (default: corpora/labeled)."),
]


@review_app.command("serve")
@friendly
def review_serve(
    project: ProjectOpt,
    host: Annotated[str, typer.Option(help="Address to listen on; keep the default.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free one).")] = 0,
    reviewer: Annotated[str, typer.Option(help="Whose labels these are (default: your login name).")] = "",
    retrain_every: Annotated[
        int, typer.Option(help="Retrain in the background after this many new labels (0: only on demand).")
    ] = 25,
    corpus: CorpusOpt = None,
    explore: Annotated[float, typer.Option(help="Share of hand-outs drawn at random from the unread.")] = 0.1,
) -> None:
    """Open the review app in your browser: one message at a time, ranked by the current model,
    labelled with one key. Only this computer can reach it, and only with the printed address."""
    import getpass

    from influence.webapp import serve

    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(escape(f"warning: listening on {host}; anyone who can reach it and has the address "
                         "can read the project"), highlight=False)  # fmt: skip

    def ready(url: str) -> None:  # plain echo: the address must never be wrapped or marked up
        typer.echo(f"review app for {project}; open this address (only you have its token):", err=True)
        typer.echo(url, err=True)
        typer.echo("Ctrl+C stops it; every label is saved as you make it.", err=True)

    serve(project, host=host, port=port, reviewer=reviewer or getpass.getuser(), corpus=corpus,
          retrain_every=retrain_every, explore=explore, on_ready=ready)  # fmt: skip


@review_app.command("retrain")
@friendly
def review_retrain(project: ProjectOpt, corpus: CorpusOpt = None) -> None:
    """Train a new model version on the corpus plus the project's labels and re-rank the queue."""
    from influence.learning import Learner, corpus_paths, retrain
    from influence.project import open_project

    with open_project(project) as db:
        retrain(db, Learner(corpus_paths(corpus)), say=lambda m: err.print(escape(m), highlight=False))


@review_app.command("simulate")
@friendly
def review_simulate(
    corpus: Annotated[list[Path], typer.Argument(help="Labeled corpus files or folders.")],
    split: Annotated[str, typer.Option(help="The split reviewed (never trained on).")] = "test",
    background: Annotated[
        list[Path] | None, typer.Option(help="Real mail holding no such exchange, mixed in as negatives.")
    ] = None,
    background_limit: Annotated[int | None, typer.Option(help="At most this many of them.")] = None,
    prevalence: Annotated[float, typer.Option(help="Share of positives in the simulated pool.")] = 0.01,
    seeds: Annotated[int, typer.Option(help="Simulated reviews, each with its own draws.")] = 5,
    explore: Annotated[float, typer.Option(help="Share of hand-outs drawn at random.")] = 0.1,
    target: Annotated[float, typer.Option(help="The recall the sample-based stopping rule aims at.")] = 0.95,
    report: Annotated[Path, typer.Option(help="Folder for summary.json, report.md, report.html.")] = Path(
        "out/simulation"
    ),
) -> None:
    """Replay review on labeled data (labels hidden until read): recall against effort, WSS@95,
    RRF@10, and where each stopping rule stops, over several seeds."""
    from influence.simulate import simulate, write_report

    sim = simulate(corpus, split=split, background=background or [], background_limit=background_limit,
                   prevalence=prevalence, seeds=seeds, explore=explore, target=target,
                   say=lambda m: err.print(escape(m), highlight=False))  # fmt: skip
    write_report(sim, report)
    typer.echo((report / "report.md").read_text())
    err.print(escape(f"report: {report / 'report.html'}"), highlight=False)


@review_app.command("export")
@friendly
def review_export(
    project: ProjectOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write.")],
    fmt: Annotated[
        str, typer.Option("--format", help="corpus (for influence train), prodigy, or label-studio.")
    ] = "corpus",
) -> None:
    """Write the project's labels for training or for another annotation tool."""
    from influence.interop import export
    from influence.project import open_project

    with open_project(project) as db:
        n = export(db, fmt, out)
    err.print(escape(f"wrote {n} labelled messages to {out} ({fmt})"), highlight=False)


@review_app.command("import")
@friendly
def review_import(
    path: Annotated[Path, typer.Argument(help="A corpus JSONL, Prodigy JSONL or Label Studio JSON file.")],
    project: ProjectOpt,
    reviewer: Annotated[
        str | None, typer.Option(help="Record the labels under this name (default: as in the file).")
    ] = None,
) -> None:
    """Read labels made elsewhere (the format is told from the records) into the project."""
    from influence.interop import import_labels
    from influence.project import open_project

    with open_project(project) as db:
        added, missing = import_labels(db, path, reviewer)
    tail = f"; {missing} records name messages this project does not hold and were skipped" if missing else ""
    err.print(escape(f"imported {added} labels from {path}{tail}"), highlight=False)


def main() -> None:
    app(prog_name="influence")


if __name__ == "__main__":
    sys.exit(main())
