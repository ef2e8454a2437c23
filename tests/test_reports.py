"""The HTML review page: self-contained, safe with hostile message text, ranked by score, and
working in a real headless browser (skipped when /usr/bin/chromium is absent)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from influence.cli import app
from influence.explain import where_in
from influence.model import load_model
from influence.reports.html import ReviewWriter, script_json, utf16_offsets
from influence.types import Message, ScoredRow
from tests import browser
from tests.conftest import SAMPLE_DUMP

runner = CliRunner()
HOSTILE = (
    "From: Mallory <m@ring.com>\nTo: chief@city.gov\nSubject: <script>alert(1)</script> free cameras\n\n"
    "</script><img src=x onerror=alert(2)><!-- For every 10 sign-ups with your code we send a free "
    "camera 🎁 to the station & a gift card. https://evil.example/track.png\n"
)


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("review")
    result = runner.invoke(
        app, ["score", str(SAMPLE_DUMP), "-o", str(out / "s.csv"), "--html", str(out / "r.html")]
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "r.html" in result.output
    return out / "r.html", list(csv.DictReader((out / "s.csv").open()))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    (out / "evil.txt").write_text(HOSTILE, encoding="utf-8")
    (out / "broken.eml").write_bytes(b"")
    result = runner.invoke(
        app, ["score", str(out), "-o", str(out / "s.jsonl"), "--html", str(out / "r.html")]
    )
    assert result.exit_code == 0, result.output
    return out / "r.html"


def table_of(html: str) -> dict:
    raw = re.search(r'<script type="application/json" id="table">(.*?)</script>', html, re.S).group(1)
    return json.loads(raw)


def details_of(html: str) -> dict[int, dict]:
    found = re.findall(r'<script type="application/json" id="d(\d+)">(.*?)</script>', html, re.S)
    return {int(i): json.loads(raw) for i, raw in found}


def test_script_json_cannot_close_its_element() -> None:
    text = script_json({"t": "</script><!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"t": "</script><!-- & -->"}


def test_utf16_offsets() -> None:
    text = "a🎁b gift"
    js = utf16_offsets(text)
    assert [js(i) for i in (0, 1, 2, 3, 4)] == [0, 1, 3, 4, 5]  # the emoji is two UTF-16 units
    assert utf16_offsets("plain")(3) == 3


def test_review_page_is_ranked_self_contained_and_complete(review: tuple[Path, list[dict]]) -> None:
    path, rows = review
    html = path.read_text(encoding="utf-8")
    table = table_of(html)
    cols = table["columns"]
    scores = [r[cols.index("score")] for r in table["rows"]]
    assert len(scores) == len(rows) == 50
    assert scores == sorted(scores, reverse=True)
    assert max(scores) == max(float(r["score"]) for r in rows)
    details = details_of(html)
    assert len(details) == 50
    top = details[table["rows"][0][cols.index("i")]]
    assert top["flagged"] and top["up"] and "spans" in top
    assert {s[0] for s in top["spans"]} & {"GIFT", "PROMOTION", "EXCHANGE", "THRESHOLD"}
    for s in top["spans"]:  # offsets point into the text shown (no astral characters here)
        assert 0 <= s[1] < s[2] <= len(top["text"]) and s[3] in ("subject", "body", "quote")
    # self-contained: no external scripts, styles, images or fonts; a CSP forbids fetching any
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "default-src 'none'" in html and "@import" not in html


def test_hostile_text_is_escaped(hostile: Path) -> None:
    html = hostile.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html and "<!-- For" not in html
    details = list(details_of(html).values())
    evil = next(d for d in details if "evil" in d["source"])
    assert evil["subject"] == "<script>alert(1)</script> free cameras"
    spans = {s[0] for s in evil["spans"]}
    assert "GIFT" in spans
    # the emoji shifts later offsets by one UTF-16 unit; recompute in UTF-16 and compare
    units = evil["text"].encode("utf-16-le")
    for _, start, end, _ in evil["spans"]:
        assert units[2 * start : 2 * end].decode("utf-16-le").strip()
    assert any(d.get("error") for d in details)  # the empty file is an error row, still listed


def test_quoted_spans_are_marked_as_quotes() -> None:
    m = Message(
        id="q", source="x", subject="Re: codes", body="Sounds good.", quoted="> free camera for every 10 uses"
    )
    assert where_in(m, 0) == "subject" and where_in(m, m.text.index("Sounds")) == "body"
    assert where_in(m, m.text.index("free")) == "quote"


def test_a_failed_run_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    writer = ReviewWriter(out, load_model())
    with pytest.raises(RuntimeError), writer:
        writer.add(ScoredRow(message=Message(id="e", source="x", error="unreadable")))
        raise RuntimeError("scoring failed")
    assert not out.exists() and not Path(writer._tmp).exists()


ROWS = "[...document.querySelectorAll('#rows tbody tr')]"


def set_filter(page: browser.Page, field: str, value: str) -> int:
    """Set one filter control as a user would; returns the number of rows shown."""
    page.eval(f"(e => {{ e.value = {json.dumps(value)}; e.dispatchEvent(new Event('input')) }})"
              f"(document.getElementById('f-{field}'))")  # fmt: skip
    return page.eval(f"{ROWS}.length")


@pytest.mark.skipif(not browser.available(), reason="Chromium is not installed at /usr/bin/chromium")
def test_review_and_report_in_a_real_browser(review: tuple[Path, list[dict]], hostile: Path) -> None:
    path, rows = review
    with browser.Chromium() as chrome:
        page = chrome.open(path)
        assert page.eval("document.body.dataset.ready") == "1"
        assert page.errors() == []
        assert {u.split(":")[0] for u in page.requests()} <= {"file", "data"}
        cells = page.eval(f"{ROWS}.map(tr => +tr.children[1].textContent)")
        assert len(cells) == 50 and cells == sorted(cells, reverse=True)
        # the top message is open, with its spans highlighted in the text
        marks = page.eval(
            "[...document.querySelectorAll('#detail pre.text mark.hl')].map(m => m.dataset.labels)"
        )
        assert any(set(m.split()) & {"GIFT", "PROMOTION", "EXCHANGE", "THRESHOLD"} for m in marks)
        assert page.eval(f"{ROWS}[0].classList.contains('selected')")
        assert page.eval("document.querySelectorAll('#detail table.features tr.up').length") > 0
        # filters: flagged only, then a score floor
        assert set_filter(page, "flag", "flagged") == sum(r["flagged"] == "True" for r in rows)
        set_filter(page, "flag", "all")
        assert set_filter(page, "score", "0.3") == sum(float(r["score"]) >= 0.3 for r in rows)
        # clicking another row opens it
        page.eval(f"{ROWS}[1].click()")
        assert page.eval(f"document.querySelector('#rows tbody tr.selected') === {ROWS}[1]")
        assert page.errors() == []

        evil = chrome.open(hostile)
        assert evil.errors() == [] and evil.eval("document.images.length") == 0
        evil.eval(f"{ROWS}.find(tr => tr.textContent.includes('alert(1)')).click()")
        subject = evil.eval("document.querySelector('#detail h2').textContent")
        assert subject == "<script>alert(1)</script> free cameras"
        marks = "[...document.querySelectorAll('#detail pre.text mark.hl')]"
        gift = evil.eval(f"{marks}.filter(m => m.dataset.labels.includes('GIFT')).map(m => m.textContent)")
        assert gift and all(g.strip() for g in gift)
        assert {u.split(":")[0] for u in evil.requests()} <= {"file", "data"}
