"""report.html of `influence evaluate`: metrics, plots (inline PNG), groups and wrong calls."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from influence.evaluate import DEFINITIONS, HEADLINE, LOWER_IS_BETTER, Case, Evaluation, worst_groups
from influence.explain import segments
from influence.reports import plots
from influence.reports.html import asset, environment

CASE_CHARS = 4000  # characters of a wrong call's text shown in the report
PHRASES = ("EXCHANGE", "THRESHOLD", "GIFT", "PROMOTION", "CODE", "MONEY")  # colour priority


def highlight_html(text: str, spans: list, start: int = 0, end: int | None = None) -> Markup:
    """`text[start:end]` escaped, with `<mark>` around each span (same markup as the review page)."""
    end = len(text) if end is None else end
    inside = [s for s in spans if s.start < end and s.end > start]
    out = []
    for a, b, labels in segments(text[:end], inside):
        if b <= start:
            continue
        piece = escape(text[max(a, start) : b])
        if labels:
            kind = next((x for x in PHRASES if x in labels), "")
            mark = Markup('<mark class="hl{}" data-kind="{}" data-labels="{}" title="{}">{}</mark>')
            multi = " multi" if len(labels) > 1 else ""
            out.append(mark.format(multi, kind, " ".join(labels), ", ".join(labels), piece))
        else:
            out.append(piece)
    return Markup("").join(out)


def _case(c: Case) -> dict[str, Any]:
    cut = min(len(c.text), CASE_CHARS)
    qs = c.quote_start if c.quote_start is not None and c.quote_start < cut else None
    return {
        "case": c,
        "author": highlight_html(c.text, c.evidence, 0, qs if qs is not None else cut),
        "quote": highlight_html(c.text, c.evidence, qs, cut) if qs is not None else None,
        "cut": len(c.text) - cut,
    }


def render_html(evaluation: Evaluation, failed: list[str], gates: list[tuple[str, float]]) -> str:
    m, y = evaluation.metrics, evaluation.y
    comp = m.get("comparison")
    names = list(evaluation.scores)
    thresholds = {names[0]: m["threshold"]}
    if comp:
        thresholds[names[1]] = comp["metrics"]["threshold"]
    main = evaluation.scores[names[0]]
    images = [
        ("Precision-recall curve", plots.precision_recall(y, evaluation.scores, thresholds)),
        ("Recall against review effort", plots.review_effort(y, evaluation.scores)),
        ("Calibration curve", plots.calibration(y, evaluation.scores)),
        ("Score histogram by label", plots.histogram(y, main, m["threshold"])),
    ]
    context = {
        "m": m,
        "comp": comp,
        "names": names,
        "headline": HEADLINE,
        "lower_is_better": LOWER_IS_BETTER,
        "definitions": DEFINITIONS,
        "images": images,
        "patterns": worst_groups(m.get("patterns") or {}, 10_000),
        "vendors": worst_groups(m.get("vendors") or {}, 10_000),
        "cases": {k: [_case(c) for c in v] for k, v in evaluation.cases.items()},
        "gates": gates,
        "failed": failed,
        "css": asset("review.css"),
    }
    return environment().get_template("report.html").render(**context)
