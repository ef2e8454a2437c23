"""Outputs are written whole or not at all, in the format the name asks for."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from influence.errors import OutputError
from influence.reports.tables import write_rows


def rows(n: int, fail_at: int | None = None):
    for i in range(n):
        if i == fail_at:
            raise RuntimeError("disk pulled")
        yield {"id": f"m{i}", "score": i / n, "evidence": [{"label": "GIFT", "text": "free"}],
               "vendors": ["Ring", "Axon"], "error": None}  # fmt: skip


def test_csv_cells_are_spreadsheet_friendly(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    assert write_rows(rows(3), str(out), ["id", "score", "evidence", "vendors", "error"]) == 3
    got = list(csv.DictReader(out.open()))
    assert got[1]["vendors"] == "Ring; Axon"
    assert got[1]["evidence"].startswith('[{"label": "GIFT"')
    assert got[1]["error"] == ""


def test_interrupted_write_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    with pytest.raises(RuntimeError):
        write_rows(rows(10, fail_at=5), str(out), ["id", "score"])
    assert list(tmp_path.iterdir()) == []


def test_existing_output_survives_a_failed_run(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    write_rows(rows(2), str(out), ["id"])
    before = out.read_text()
    with pytest.raises(RuntimeError):
        write_rows(rows(10, fail_at=3), str(out), ["id"])
    assert out.read_text() == before


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="csv, .jsonl or .parquet"):
        write_rows(rows(1), str(tmp_path / "o.xlsx"), ["id"])
