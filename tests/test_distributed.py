"""Scoring on a Dask cluster: a `LocalCluster` of 2 worker processes gives the rows of a local
run (same order, same scores to 1e-6, same threads and duplicates), and a worker killed mid-run
costs no message."""

from __future__ import annotations

import json
import mailbox
import os
import signal
from email.message import EmailMessage
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from influence.distributed import Partition, plan, read_partition, score_on_cluster  # noqa: E402
from influence.model import load_model  # noqa: E402
from influence.pipeline import score_paths  # noqa: E402
from influence.readers import iter_messages  # noqa: E402
from tests.conftest import labeled_rows  # noqa: E402
from tests.test_cli import invoke  # noqa: E402

SMALL = 40_000  # bytes per partition in these tests: the mbox and the JSONL file are cut in several


def _email(row: dict, i: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = row.get("from") or "Dana Reyes <dreyes@vendor.example.com>"
    msg["To"] = row.get("to") or "records@pd.example.gov"
    msg["Subject"] = row.get("subject") or f"message {i}"
    msg["Message-ID"] = f"<dist-{i}@example.org>"
    msg.set_content(row["text"])
    return msg


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small dump in several formats: an mbox (with copies of earlier messages further down, so
    duplicates are found across partitions), a JSONL file with a broken line, eml files and a file
    no reader takes; positives and negatives from the corpus."""
    rows = labeled_rows()[::11][:260]
    root = tmp_path_factory.mktemp("dump")
    box = mailbox.mbox(str(root / "a-mailbox.mbox"))
    for i, row in enumerate(rows[:170]):
        box.add(_email(row, i))
    for i in range(0, 40, 4):  # the same messages exported again
        box.add(_email(rows[i], i))
    box.flush()
    with (root / "b-export.jsonl").open("w") as fh:
        for row in rows[170:250]:
            fh.write(json.dumps({"text": row["text"], "subject": row.get("subject")}) + "\n")
        fh.write("{not json\n")
    for i, row in enumerate(rows[250:], 250):
        (root / f"c-{i}.eml").write_bytes(_email(row, i).as_bytes())
    (root / "d-scan.bin").write_bytes(b"\x00\x89PNG\x01\x02" * 50)
    return root


def _rows(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def _same(local: list[dict], cluster: list[dict], threshold: float) -> None:
    assert [r["id"] for r in cluster] == [r["id"] for r in local]
    for a, b in zip(local, cluster):
        assert (a["error"], a["thread_id"], a["duplicate_of"]) == (
            b["error"], b["thread_id"], b["duplicate_of"]
        ), a["id"]  # fmt: skip
        if a["score"] is None:
            assert b["score"] is None
            continue
        assert abs(a["score"] - b["score"]) <= 1e-6, a["id"]
        # A corpus text whose score set the threshold sits on it: float noise (another batch,
        # another thread count) may flip its flag, and only its
        if abs(a["score"] - threshold) > 1e-4:
            assert a["flagged"] == b["flagged"], a["id"]
        assert a["evidence"] == b["evidence"]


def test_plan_cuts_large_files_at_message_starts_and_keeps_every_message(dump: Path) -> None:
    parts = list(plan([dump], every=SMALL))
    assert [p.number for p in parts] == list(range(len(parts)))
    cut = {p.pieces[0].path for p in parts if p.pieces[0].span is not None}
    assert cut == {str(dump / "a-mailbox.mbox"), str(dump / "b-export.jsonl")}
    assert max(len(p.pieces) for p in parts) >= 2  # the small files travel together
    whole = [(m.id, m.line, m.offset, m.body, m.error) for m in iter_messages([dump])]
    pieces = [(m.id, m.line, m.offset, m.body, m.error) for p in parts for m in read_partition(p)]
    assert pieces == whole and len(whole) == 260 + 10 + 1 + 1  # + copies, broken line, bad file


def test_score_on_a_local_cluster_from_the_cli_matches_a_local_run(dump: Path, tmp_path: Path) -> None:
    local, cluster, parts = tmp_path / "local.parquet", tmp_path / "dask.parquet", tmp_path / "parts"
    assert invoke("score", dump, "-o", local).exit_code == 0
    result = invoke("score", dump, "--scheduler", "local", "--workers", "2", "-o", cluster, "--parts", parts)
    assert result.exit_code == 0, result.output
    assert "messages scored" in result.output and "part-*.parquet" in result.output
    expected, got = _rows(local), _rows(cluster)
    model = load_model()
    _same(expected, got, model.threshold)
    assert sum(r["flagged"] or 0 for r in got) > 0 and sum(r["duplicate_of"] is not None for r in got) == 10
    import pyarrow.dataset as ds

    dataset = ds.dataset(parts, format="parquet").to_table().to_pylist()
    assert sorted(r["id"] for r in dataset) == sorted(r["id"] for r in got)


def test_a_worker_killed_mid_run_loses_no_message(dump: Path, tmp_path: Path) -> None:
    from distributed import LocalCluster

    model = load_model()
    model.use_rerank = False
    score_paths([dump], str(tmp_path / "local.parquet"), model=model, workers=1)
    killed: list[int] = []

    def kill_one(number: int, client) -> None:
        if number == 0:
            pid = next(iter(client.run(os.getpid).values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        summary = score_on_cluster([dump], str(tmp_path / "dask.parquet"), scheduler=address,
                                   use_rerank=False, every=SMALL, on_partition=kill_one)  # fmt: skip
    assert killed and summary.messages == 272 and summary.errors == 2
    _same(_rows(tmp_path / "local.parquet"), _rows(tmp_path / "dask.parquet"), model.threshold)
    assert any("worker(s) were lost" in n for n in summary.notes)


def test_a_partition_that_fails_everywhere_is_scored_by_the_client(
    dump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When every try of a task fails, the client reads and scores that partition itself and
    says so: the output still has every message."""
    import influence.distributed as dist

    def broken(part: Partition):
        raise MemoryError("worker out of memory")

    monkeypatch.setattr(dist, "score_partition", broken)
    with dist.connect("local", workers=1) as client:
        address = client.scheduler.address
        summary = score_on_cluster([dump / "b-export.jsonl"], str(tmp_path / "out.jsonl"), scheduler=address,
                                   use_rerank=False, every=SMALL)  # fmt: skip
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(rows) == 81 and rows[-1]["error"].startswith("unreadable row")
    assert any("failed on the cluster (MemoryError" in n for n in summary.notes)
