"""The CLI as a user runs it: each command through Typer's CliRunner, checked through files."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from influence.cli import app
from tests.conftest import CORPUS, SAMPLE_DUMP, SAMPLE_LABELS

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def sample_positive_keys() -> set[str]:
    with SAMPLE_LABELS.open() as fh:
        return {r["message_id"] for r in csv.DictReader(fh) if r["promotion_for_gifts"] == "1"}


def test_score_sample_dump_ranks_positives_first(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    result = invoke("score", SAMPLE_DUMP, "-o", out, "--top", "5")
    assert result.exit_code == 0, result.output
    assert "50 messages scored, 0 could not be read" in result.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 50
    # Rows stay in input order: sorted files, mbox messages in file order.
    assert rows[0]["source"].endswith("exports/messages.csv")
    ingested = json.loads(invoke("ingest", SAMPLE_DUMP, "-o", "-").output.splitlines()[0])
    assert ingested["id"] == rows[0]["id"]
    positives = sample_positive_keys()
    mid = {r["id"]: r for r in rows}
    ingest_rows = [json.loads(line) for line in invoke("ingest", SAMPLE_DUMP, "-o", "-").output.splitlines()
                   if line.startswith("{")]  # fmt: skip
    key_of = {r["id"]: (r["message_id"] or r["id"]) for r in ingest_rows}
    ranked = sorted(rows, key=lambda r: -float(r["score"]))
    top = [key_of[r["id"]] for r in ranked[: len(positives)]]
    assert sum(k in positives for k in top) >= len(positives) - 1, top
    for r in ranked[:3]:
        assert key_of[r["id"]] in positives
        evidence = json.loads(mid[r["id"]]["evidence"])
        labels = {e["label"] for e in evidence}
        assert {"GIFT", "PROMOTION"} <= labels or {"EXCHANGE", "PROMOTION"} <= labels


def test_score_jsonl_keeps_ids_and_writes_stdout(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "DOC-17", "text": "Lunch Thursday? The new rota is attached."}) + "\n"
        + json.dumps({"id": "DOC-18", "text": "From: a@ring.com\nTo: b@city.gov\nSubject: codes\n\n"
                      "For every 10 uses of your code we will send the station a free camera."}) + "\n"
    )  # fmt: skip
    result = invoke("score", src, "-o", "-")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["id"] for r in rows] == ["DOC-17", "DOC-18"]
    assert rows[1]["from"] == "a@ring.com" and rows[1]["subject"] == "codes"
    assert rows[1]["score"] > rows[0]["score"]


def test_score_parquet_and_jsonl_outputs(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    assert invoke("score", SAMPLE_DUMP / "inbox", "-o", tmp_path / "s.parquet").exit_code == 0
    table = pq.read_table(tmp_path / "s.parquet")
    assert table.num_rows == 22 and "score" in table.column_names
    assert invoke("score", SAMPLE_DUMP / "inbox", "-o", tmp_path / "s.jsonl").exit_code == 0
    assert len((tmp_path / "s.jsonl").read_text().splitlines()) == 22


def test_unreadable_files_become_error_rows(tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    shutil.copytree(SAMPLE_DUMP / "inbox", dump)
    (dump / "empty.eml").write_bytes(b"")
    (dump / "blob.bin").write_bytes(bytes(range(256)) * 8)
    (dump / "bad.jsonl").write_text('{"id": "ok-1", "text": "hello there, meeting moved"}\n{not json\n')
    out = tmp_path / "s.csv"
    result = invoke("score", dump, "-o", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    errors = {r["source"].split("/")[-1]: r["error"] for r in rows if r["error"]}
    assert set(errors) == {"empty.eml", "blob.bin", "bad.jsonl"}
    assert "invalid JSON on line 2" in errors["bad.jsonl"]
    assert len(rows) == 22 + 1 + 1 + 2
    assert "3 could not be read" in result.output
    assert invoke("score", dump, "-o", out, "--strict").exit_code == 3


def test_clear_errors_without_traceback(tmp_path: Path) -> None:
    result = invoke("score", tmp_path / "nope", "-o", tmp_path / "s.csv")
    assert result.exit_code == 2
    assert "No such file or folder" in result.output and "Traceback" not in result.output
    result = invoke("score", SAMPLE_DUMP, "-o", tmp_path / "s.xlsx")
    assert result.exit_code == 2 and ".csv, .jsonl or .parquet" in result.output
    result = invoke("score", SAMPLE_DUMP, "-o", tmp_path / "s.csv", "-m", tmp_path)
    assert result.exit_code == 2 and "model.joblib is missing" in result.output


def test_train_score_evaluate_with_new_labels(tmp_path: Path, small_corpus: Path) -> None:
    new = tmp_path / "new_labels.csv"
    with new.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "promotion_for_gifts", "gift_offer", "promotion_request", "thread_id"])
        w.writerow(["n1", "Sgt. Ruiz - Flock will comp two extra cameras if the chief records a "
                    "testimonial video for their conference.", 1, 1, 1, "nt1"])  # fmt: skip
        w.writerow(["n2", "Reminder that the range is closed Friday for maintenance.", 0, 0, 0, "nt2"])
    model_dir = tmp_path / "model"
    result = invoke("train", small_corpus, new, "-o", model_dir, "--folds", "3")
    assert result.exit_code == 0, result.output
    card = json.loads((model_dir / "card.json").read_text())
    assert card["training_data"]["train_rows"] == len(small_corpus.read_text().splitlines()) + 2
    assert (model_dir / "README.md").read_text().startswith("# Model card")
    out = tmp_path / "s.jsonl"
    assert invoke("score", SAMPLE_DUMP / "inbox", "-m", model_dir, "-o", out).exit_code == 0
    report = tmp_path / "report"
    result = invoke("evaluate", CORPUS, "-m", model_dir, "--report", report)
    assert result.exit_code == 0, result.output
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["split"] == "test" and metrics["n"] > 50
    assert "average_precision" in (report / "report.md").read_text()


def test_altered_model_is_refused(tmp_path: Path, small_model: Path) -> None:
    model_dir = tmp_path / "m"
    shutil.copytree(small_model, model_dir)
    data = bytearray((model_dir / "model.joblib").read_bytes())
    data[len(data) // 2] ^= 0x01
    (model_dir / "model.joblib").write_bytes(bytes(data))
    result = invoke("score", SAMPLE_DUMP / "inbox", "-m", model_dir, "-o", tmp_path / "s.csv")
    assert result.exit_code == 2
    assert "does not match the sha256" in result.output
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize(
    ("gates", "code", "text"),
    [
        (["average_precision=0.0", "recall=0.0"], 0, "all passed"),
        (["average_precision=1.01"], 1, "Gate failed: average_precision"),
        (["labels.gift_offer.f1=1.01"], 1, "labels.gift_offer.f1"),
        (["no_such_metric=0.5"], 2, "Unknown metric"),
        (["average_precision"], 2, "METRIC=VALUE"),
    ],
)
def test_evaluate_gates(tmp_path: Path, small_model: Path, gates: list[str], code: int, text: str) -> None:
    args = ["evaluate", CORPUS, "-m", small_model, "--report", tmp_path / "r"]
    for g in gates:
        args += ["--fail-under", g]
    result = invoke(*args)
    assert result.exit_code == code, result.output
    assert text in result.output


def test_evaluate_compare_writes_both_models_and_an_html_report(tmp_path: Path, small_model: Path) -> None:
    report = tmp_path / "r"
    result = invoke("evaluate", CORPUS, "--report", report, "--compare", small_model,
                    "--fail-under", "average_precision=0.5", "--fail-under", "wss_at_95=0.1")  # fmt: skip
    assert result.exit_code == 0, result.output
    m = json.loads((report / "metrics.json").read_text())
    comp = m["comparison"]
    assert comp["model"] == "small" and comp["metrics"]["n"] == m["n"]
    assert comp["delta"]["average_precision"] == pytest.approx(
        m["average_precision"] - comp["metrics"]["average_precision"], abs=1e-4
    )
    assert "| metric | default | small | delta |" in result.output and "Gates: all passed" in result.output
    md = (report / "report.md").read_text()
    assert "Per pattern" in md and "Per vendor" in md and len(md.splitlines()) < 130
    html = (report / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 4 and "small" in html
    result = invoke("evaluate", CORPUS, "--report", report, "--compare", small_model,
                    "--fail-under", "recall_at_10pct_reviewed=1.01")  # fmt: skip
    assert result.exit_code == 1 and "Gate failed: recall_at_10pct_reviewed" in result.output
    assert "FAILED" in (report / "report.html").read_text()


def test_score_warns_when_patterns_changed_since_training(tmp_path: Path, small_model: Path) -> None:
    model_dir = tmp_path / "m"
    shutil.copytree(small_model, model_dir)
    result = invoke("score", SAMPLE_DUMP / "inbox", "-m", model_dir, "-o", tmp_path / "a.csv")
    assert result.exit_code == 0 and "patterns changed" not in result.output
    card = json.loads((model_dir / "card.json").read_text())
    card["patterns_hash"] = "0123456789abcdef"
    (model_dir / "card.json").write_text(json.dumps(card))
    result = invoke("score", SAMPLE_DUMP / "inbox", "-m", model_dir, "-o", tmp_path / "b.csv")
    assert result.exit_code == 0
    assert "phrase patterns changed since this model was trained" in result.output


def test_text_with_brackets_is_printed_as_written(tmp_path: Path, small_model: Path) -> None:
    """Rich would read `[embed]` as markup and drop it: user-facing text is escaped."""
    missing = tmp_path / "dump[embed]"
    result = invoke("score", missing, "-m", small_model, "-o", tmp_path / "a.csv")
    assert result.exit_code != 0 and "dump[embed]" in result.output


def test_scoring_an_ingest_export_scores_what_scoring_the_files_does(tmp_path: Path) -> None:
    """`influence ingest` writes each message's own words and its quoted history apart (and
    messages with no words of their own, only a subject or a forward): scoring that JSONL must
    give the rows that scoring the original files gives, sources included."""
    exported = tmp_path / "messages.jsonl"
    assert invoke("ingest", SAMPLE_DUMP, "-o", exported).exit_code == 0
    direct, again = tmp_path / "direct.csv", tmp_path / "again.csv"
    assert invoke("score", SAMPLE_DUMP, "-o", direct).exit_code == 0
    assert invoke("score", exported, "-o", again).exit_code == 0
    with direct.open() as a, again.open() as b:
        rows_a, rows_b = list(csv.DictReader(a)), list(csv.DictReader(b))
    assert len(rows_a) == len(rows_b) >= 50
    keep = ("id", "source", "score", "flagged", "evidence", "thread_id", "duplicate_of")
    assert [{k: r[k] for k in keep} for r in rows_b] == [{k: r[k] for k in keep} for r in rows_a]
    assert any(r["evidence"] and '"quote"' in r["evidence"] for r in rows_a)  # quoted history counts
