"""The HTML review page: one self-contained file a reporter opens in any browser, offline.

Every message is one row of a table ranked by score; its text, highlighted spans and top features
sit in a `<script type="application/json">` block of their own and are rendered only when the row
is opened, so a 20,000-message page opens at once. Rows arrive one at a time from the scoring
pass (`ReviewWriter.add`): the table keeps a few short fields per message and the details go
straight to a temporary file, which is streamed into the page at the end.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from influence.explain import TOP_K, Explanation, explain_rows, explainer_for
from influence.model import Model
from influence.reports.tables import atomic_path
from influence.types import Evidence, ScoredRow

BATCH = 128
MAX_TEXT = 50_000  # characters of one message shown in the page
MAX_CELL = 160  # characters of a table cell (the detail pane shows the whole field)
COLUMNS = ["i", "id", "score", "flag", "date", "from", "to", "subject", "vendors", "source", "page", "bates",
           "labels", "error"]  # fmt: skip


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("influence.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = lambda v, nd=4: (
        "n/a" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else v)
    )
    return env


def asset(name: str) -> Markup:
    """A CSS or JS file shipped beside the templates, to inline into a page."""
    return Markup(resources.files("influence.reports").joinpath("templates", name).read_text("utf-8"))


def script_json(value: Any) -> str:
    """JSON that is safe inside `<script type="application/json">`: no `<`, `>` or `&` survive, so
    no text from a message can close the element or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _cut(value: str | None, n: int = MAX_CELL) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= n else value[: n - 1] + "…"


def utf16_offsets(text: str) -> Any:
    """Python counts code points, JavaScript strings count UTF-16 units: an emoji is one of the
    first and two of the second. Returns a function mapping one to the other."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return lambda i: i
    extra = [0]
    for c in text:
        extra.append(extra[-1] + (ord(c) >= 0x10000))
    return lambda i: i + extra[min(i, len(text))]


def _feature(c: Any) -> list[Any]:
    return [c.feature, round(c.value, 4), round(c.weight, 4), round(c.contribution, 4)]


def detail(row: ScoredRow, spans: list[Evidence] | None, why: Explanation | None) -> dict[str, Any]:
    """Everything the detail pane shows for one message."""
    m = row.message
    text = m.text
    shown = text[:MAX_TEXT]
    out = {k: v for k, v in row.to_dict().items() if k != "evidence" and v not in (None, "", [])}
    out.update({
        "cc": m.cc, "line": m.line, "message_id": m.message_id, "attachments": m.attachments or None,
        "text": shown, "cut": len(text) - len(shown),
        "subject_chars": len(m.subject) + 2 if m.subject else 0, "quote_start": m.quote_start,
    })  # fmt: skip
    js = utf16_offsets(shown)
    out["subject_chars"] = js(out["subject_chars"])
    if m.quote_start is not None:
        out["quote_start"] = js(m.quote_start)
    if spans is not None:
        out["spans"] = [[s.label, js(s.start), js(s.end), s.where] for s in spans if s.end <= len(shown)]
    if why is not None:
        out.update({"up": [_feature(c) for c in why.up], "down": [_feature(c) for c in why.down],
                    "decision": round(why.decision, 4), "intercept": round(why.intercept, 4)})  # fmt: skip
    return {k: v for k, v in out.items() if v is not None}


class ReviewWriter:
    """Collects scored rows into a review page at `out`; call `close()` at the end.

    Used as a context manager it writes the page on a clean exit and leaves nothing behind (not
    even a half file) when the scoring pass fails.
    """

    def __init__(
        self,
        out: str | Path,
        model: Model,
        *,
        spacy_model: str | None = None,
        title: str | None = None,
        top_k: int = TOP_K,
        inputs: list[Any] | None = None,
    ) -> None:
        from influence.nlp import default_nlp

        self.out = str(out)
        self.model = model
        self.title = title or "influence review"
        self.inputs = [str(p) for p in inputs or []]
        self.top_k = top_k
        self.explainer = explainer_for(model)
        self.nlp = default_nlp(spacy_model)
        self.rows: list[list[Any]] = []
        self.vendors: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self._buffer: list[ScoredRow] = []
        fd, self._tmp = tempfile.mkstemp(prefix="influence-review-", suffix=".part")
        self._details = os.fdopen(fd, "w", encoding="utf-8")

    def add(self, row: ScoredRow) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        batch, self._buffer = self._buffer, []
        for row, found in zip(batch, explain_rows(batch, self.explainer, self.nlp, self.top_k)):
            i = len(self.rows)
            spans, why = found if found else (None, None)
            m = row.message
            labels = sorted({e.label for e in row.evidence})
            score = None if row.score is None else round(row.score, 4)
            self.rows.append([
                i, _cut(m.id, 200), score, bool(row.flagged), (m.date or "")[:10], _cut(m.from_), _cut(m.to),
                _cut(m.subject), row.vendors, _cut(m.source, 400), m.page, m.bates, labels,
                _cut(m.error) if m.error else None,
            ])  # fmt: skip
            self.vendors.update(row.vendors)
            self.counts["messages"] += 1
            self.counts["errors"] += m.error is not None
            self.counts["flagged"] += bool(row.flagged)
            self._details.write(f'<script type="application/json" id="d{i}">'
                                f"{script_json(detail(row, spans, why))}</script>\n")  # fmt: skip

    def _detail_lines(self) -> Any:
        self._details.flush()
        with open(self._tmp, encoding="utf-8") as fh:
            yield from fh

    def close(self) -> Path:
        """Write the page (atomically) and remove the temporary file."""
        try:
            self._flush()
            score = COLUMNS.index("score")
            self.rows.sort(key=lambda r: (r[score] is None, -(r[score] or 0.0), r[0]))
            context = {
                "title": self.title,
                "generated": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                "inputs": self.inputs,
                "model": self.model.card.get("name") or "model",
                "model_sha256": (self.model.card.get("sha256") or "")[:12],
                "threshold": self.model.threshold,
                "counts": self.counts,
                "vendors": [v for v, _ in self.vendors.most_common()],
                "table": Markup(script_json({"columns": COLUMNS, "rows": self.rows})),
                "details": (Markup(line) for line in self._detail_lines()),
                "css": asset("review.css"),
                "js": asset("review.js"),
            }
            with atomic_path(self.out) as tmp, tmp.open("w", encoding="utf-8") as fh:
                environment().get_template("review.html").stream(**context).dump(fh)
            return Path(self.out)
        finally:
            self.abort()

    def abort(self) -> None:
        if not self._details.closed:
            self._details.close()
        if os.path.exists(self._tmp):
            os.unlink(self._tmp)

    def __enter__(self) -> ReviewWriter:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
