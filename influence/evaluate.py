"""`influence evaluate`: held-out metrics of a model (optionally beside another), reports, gates."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from influence.corpus import Example, load_corpus
from influence.errors import CorpusError, InfluenceError
from influence.metrics import ECE_BINS, binary_metrics, calibration_bins, group_metrics, review_metrics
from influence.model import LABELS, TARGET, Model, text_key
from influence.nlp import docs_for, load
from influence.types import Evidence

# Figures of the headline table, in order; also the keys compared between two models.
HEADLINE = ("average_precision", "roc_auc", "recall_at_precision_90", "precision", "recall", "f1",
            "recall_at_1pct_reviewed", "recall_at_5pct_reviewed", "recall_at_10pct_reviewed", "wss_at_95",
            "brier", "ece", "threshold", "flag_rate")  # fmt: skip
LOWER_IS_BETTER = {"brier", "ece"}
N_CASES = 10  # false positives and false negatives kept for the report
MD_GROUP_ROWS = 8  # per-pattern / per-vendor rows in report.md (all of them are in report.html)
MD_CASES = 5

DEFINITIONS = {
    "average_precision": "area under the precision-recall curve (scikit-learn's step-wise sum)",
    "roc_auc": "probability that a random positive scores above a random negative",
    "recall_at_precision_90": "highest recall of any cut-off whose precision is at least 0.9",
    "precision / recall / f1": "at the model's stored threshold (score >= threshold is flagged)",
    "recall_at_K_reviewed": "share of positives among the top ceil(K% x n) messages by score; ties "
    "are broken pessimistically (negatives first). It cannot exceed ceil(K% x n) / positives",
    "wss_at_95": "work saved over sampling at 95% recall (Cohen et al. 2006): read in score order, stop "
    "at the smallest cut-off with recall >= 0.95; WSS = (TN + FN) / N - 0.05. 0 is no better than a "
    "random sample; the maximum is negatives / N - 0.05",
    "brier": "mean of (score - label)^2; 0 is perfect",
    "ece": f"expected calibration error over {ECE_BINS} equal-width score bins [0, 0.1), ..., [0.9, 1.0]: "
    "sum of (bin size / N) x |positive rate - mean score|",
}


@dataclass
class Case:
    """A wrong call at the threshold, kept with its text and evidence for the report."""

    id: str
    score: float
    label: int
    pattern: str | None
    vendor: str | None
    subject: str | None
    text: str
    evidence: list[Evidence]
    quote_start: int | None = None

    def to_dict(self) -> dict[str, Any]:
        evidence = [{"label": e.label, "text": e.text, "where": e.where} for e in self.evidence]
        return {"id": self.id, "score": round(self.score, 4), "label": self.label, "pattern": self.pattern,
                "vendor": self.vendor, "subject": self.subject, "evidence": evidence}  # fmt: skip


@dataclass
class Evaluation:
    """Metrics plus what the plots need: labels and each model's scores on the same rows."""

    metrics: dict[str, Any]
    y: np.ndarray
    scores: dict[str, np.ndarray]  # model name -> target score per row
    cases: dict[str, list[Case]] = field(default_factory=dict)  # "false_positives", "false_negatives"


def _model_name(model: Model, fallback: str) -> str:
    return str(model.card.get("name") or fallback)


def _metrics(model: Model, examples: list[Example], docs: list, y: np.ndarray) -> tuple[dict, np.ndarray]:
    probs = model.predict(docs)
    p = probs[TARGET]
    metrics: dict[str, Any] = binary_metrics(y, p, model.threshold)
    metrics.update(review_metrics(y, p))
    metrics["model"] = model.card.get("name")
    metrics["second_pass"] = model.reranking
    metrics["passes"] = model.passes
    metrics["model_sha256"] = model.card.get("sha256")
    labels: dict[str, Any] = {}
    for label in LABELS[1:]:
        keep = [i for i, e in enumerate(examples) if e.labels.get(label) is not None]
        if label in probs and keep:
            yl = np.array([examples[i].labels[label] for i in keep])
            labels[label] = binary_metrics(yl, probs[label][keep], model.thresholds[label])
    metrics["labels"] = labels
    metrics["calibration"] = {
        "binning": f"{ECE_BINS} equal-width score bins over [0, 1], the last one closed",
        "bins": [{k: round(v, 4) if isinstance(v, float) else v for k, v in b.items()}
                 for b in calibration_bins(y, p)],
    }  # fmt: skip
    metrics["patterns"] = group_metrics(y, p, model.threshold, [e.pattern for e in examples])
    metrics["vendors"] = group_metrics(y, p, model.threshold, [e.vendor for e in examples])
    return metrics, p


def _cases(examples: list[Example], docs: list, y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    from influence.features import evidence

    flagged = p >= threshold
    fp = [i for i in np.argsort(-p, kind="stable") if flagged[i] and y[i] == 0][:N_CASES]
    fn = [i for i in np.argsort(p, kind="stable") if not flagged[i] and y[i] == 1][:N_CASES]

    def case(i: int) -> Case:
        e = examples[i]
        return Case(e.message.id, float(p[i]), int(y[i]), e.pattern, e.vendor, e.message.subject,
                    e.message.text, evidence(docs[i]), e.message.quote_start)  # fmt: skip

    return {"false_positives": [case(i) for i in fp], "false_negatives": [case(i) for i in fn]}


def run_evaluation(
    paths: list[str | Path],
    model: Model,
    *,
    split: str = "auto",
    spacy_model: str | None = None,
    compare: Model | None = None,
) -> Evaluation:
    """Evaluate `model` (and `compare`, on exactly the same rows) on labeled data.

    `split="auto"` uses the `test` rows when the data has a split column, else every row. Rows whose
    text either model was trained on are left out and counted.
    """
    corpus = load_corpus(paths)
    examples = corpus.examples
    if split == "auto":
        split = "test" if any(e.split == "test" for e in examples) else "all"
    if split != "all":
        examples = [e for e in examples if e.split == split]
    trained = model.train_keys | (compare.train_keys if compare is not None else set())
    kept = [e for e in examples if text_key(e.message.text) not in trained]
    if not kept:
        raise CorpusError(
            f"Nothing to evaluate: no rows in split {split!r} that the model was not trained on"
        )
    nlp = load(spacy_model)
    docs = list(docs_for(nlp, [e.message for e in kept]))
    y = np.array([e.labels[TARGET] for e in kept])
    metrics, p = _metrics(model, kept, docs, y)
    metrics.update({
        "split": split,
        "excluded_seen_in_training": len(examples) - len(kept),
        "data_sha256": corpus.sha256,
    })  # fmt: skip
    name = _model_name(model, "model")
    scores = {name: p}
    if compare is not None:
        other, q = _metrics(compare, kept, docs, y)
        other_name = _model_name(compare, "compare")
        if other_name == name:
            other_name += " (compare)"
        scores[other_name] = q
        metrics["comparison"] = {
            "model": other_name,
            "metrics": other,
            "delta": {k: round(metrics[k] - other[k], 4) for k in HEADLINE
                      if metrics.get(k) is not None and other.get(k) is not None},
        }  # fmt: skip
    cases = _cases(kept, docs, y, p, model.threshold)
    metrics["errors"] = {k: [c.to_dict() for c in v] for k, v in cases.items()}
    return Evaluation(metrics, y, scores, cases)


def evaluate(
    paths: list[str | Path],
    model: Model,
    *,
    split: str = "auto",
    spacy_model: str | None = None,
    compare: Model | None = None,
) -> dict[str, Any]:
    """Metrics of `model` on labeled data it was not trained on (see `run_evaluation`)."""
    return run_evaluation(paths, model, split=split, spacy_model=spacy_model, compare=compare).metrics


def lookup(metrics: dict[str, Any], name: str) -> Any:
    """A metric by key, dotted for nested ones (`labels.gift_offer.f1`)."""
    value: Any = metrics
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            raise InfluenceError(f"Unknown metric {name!r} in gate; use a key of metrics.json "
                                 "such as average_precision, recall, f1")  # fmt: skip
        value = value[part]
    return value


def parse_gates(gates: list[str]) -> list[tuple[str, float]]:
    parsed = []
    for gate in gates:
        name, sep, raw = gate.partition("=")
        try:
            parsed.append((name.strip(), float(raw)))
        except ValueError:
            sep = ""
        if not sep:
            raise InfluenceError(f"Gate {gate!r} should look like METRIC=VALUE, "
                                 "e.g. average_precision=0.9")  # fmt: skip
    return parsed


def check_gates(metrics: dict[str, Any], gates: list[tuple[str, float]]) -> list[str]:
    """Failed gates, each as a sentence."""
    failed = []
    for name, floor in gates:
        value = lookup(metrics, name)
        if value is None or float(value) < floor:
            failed.append(f"{name} = {value} is below {floor}")
    return failed


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _delta(key: str, value: float) -> str:
    better = value < 0 if key in LOWER_IS_BETTER else value > 0
    mark = "" if value == 0 or key in ("threshold", "flag_rate") else (" ▲" if better else " ▼")
    return f"{value:+.4f}{mark}"


def worst_groups(groups: dict[str, dict[str, Any]], limit: int) -> list[tuple[str, dict[str, Any]]]:
    """Groups with the most wrong calls first (missed + wrongly flagged), then the largest."""
    ranked = sorted(groups.items(), key=lambda kv: (-(kv[1]["fn"] + kv[1]["fp"]), -kv[1]["n"], kv[0]))
    return ranked[:limit]


def _group_table(title: str, groups: dict[str, dict[str, Any]], limit: int) -> list[str]:
    if not groups or set(groups) == {"(none)"}:
        return []
    lines = ["", f"{title} (most wrong calls first):", "",
             "| | n | positives | caught | missed | wrongly flagged | recall |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, g in worst_groups(groups, limit):
        lines.append(f"| {name} | {g['n']} | {g['positives']} | {g['tp']} | {g['fn']} | {g['fp']} | "
                     f"{_fmt(g['recall'])} |")  # fmt: skip
    if len(groups) > limit:
        lines.append(f"\n{len(groups) - limit} more in report.html and metrics.json.")
    return lines


def _case_line(c: dict[str, Any]) -> str:
    ev = ", ".join(f"{e['label']} “{e['text']}”" + (" (quoted)" if e["where"] == "quote" else "")
                   for e in c["evidence"][:4]) or "no evidence spans"  # fmt: skip
    subject = (c.get("subject") or "(no subject)").replace("|", "/")[:70]
    return f"- `{c['id']}` {c['score']:.3f} · {c.get('pattern') or '-'} · {subject} · {ev}"


def render_markdown(metrics: dict[str, Any], failed: list[str] | None = None) -> str:
    """A short report, small enough for a CI job summary (details live in report.html)."""
    cm = metrics["confusion_matrix"]
    comp = metrics.get("comparison")
    title = f"## influence evaluation: {metrics.get('model')}" + (f" vs {comp['model']}" if comp else "")
    lines = [
        title,
        "",
        f"Split `{metrics['split']}`: {metrics['n']} messages, {metrics['positives']} positive "
        f"({metrics['excluded_seen_in_training']} left out because the model was trained on them). "
        + ("Scores from both passes (first pass, then sentence embeddings)."
           if metrics.get("second_pass") else f"promotion_for_gifts {metrics['passes']}."
           if metrics.get("passes", "").startswith("scored by") else "Scores from the first pass only."),
        "",
    ]
    if comp:
        lines += [f"| metric | {metrics.get('model')} | {comp['model']} | delta |", "|---|---|---|---|"]
        for key in HEADLINE:
            d = comp["delta"].get(key)
            lines.append(f"| {key} | {_fmt(metrics.get(key))} | {_fmt(comp['metrics'].get(key))} | "
                         f"{'' if d is None else _delta(key, d)} |")  # fmt: skip
    else:
        lines += ["| metric | value |", "|---|---|"]
        lines += [f"| {key} | {_fmt(metrics.get(key))} |" for key in HEADLINE]
    lines += [
        "",
        "Confusion matrix at the threshold:",
        "",
        "| | flagged | not flagged |",
        "|---|---|---|",
        f"| positive | {cm['tp']} | {cm['fn']} |",
        f"| negative | {cm['fp']} | {cm['tn']} |",
    ]
    if metrics.get("labels"):
        lines += ["", "| label | AP | precision | recall | f1 |", "|---|---|---|---|---|"]
        for label, m in metrics["labels"].items():
            lines.append(f"| {label} | {_fmt(m['average_precision'])} | {_fmt(m['precision'])} | "
                         f"{_fmt(m['recall'])} | {_fmt(m['f1'])} |")  # fmt: skip
    lines += _group_table("Per pattern", metrics.get("patterns") or {}, MD_GROUP_ROWS)
    lines += _group_table("Per vendor", metrics.get("vendors") or {}, MD_GROUP_ROWS)
    errors = metrics.get("errors") or {}
    for key, title in (
        ("false_positives", "Top false positives"),
        ("false_negatives", "Top false negatives"),
    ):
        if errors.get(key):
            lines += ["", f"{title} (id, score, pattern, subject, evidence):", ""]
            lines += [_case_line(c) for c in errors[key][:MD_CASES]]
    lines += ["", "<details><summary>Definitions</summary>", ""]
    lines += [f"- **{k}**: {v}" for k, v in DEFINITIONS.items()]
    lines += ["", "</details>"]
    if failed is not None:
        lines += ["", "Gates: " + ("all passed" if not failed else "FAILED: " + "; ".join(failed))]
    return "\n".join(lines) + "\n"


def write_report(
    metrics: dict[str, Any] | Evaluation, report_dir: str | Path, failed: list[str],
    gates: list[tuple[str, float]] | None = None,
) -> Path:  # fmt: skip
    """metrics.json and report.md, plus report.html with plots when given an `Evaluation`."""
    evaluation = metrics if isinstance(metrics, Evaluation) else None
    data = evaluation.metrics if evaluation else metrics
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    (out / "report.md").write_text(render_markdown(data, failed if gates is None or gates else None))
    if evaluation is not None:
        from influence.reports.evaluation import render_html

        (out / "report.html").write_text(render_html(evaluation, failed, gates or []), encoding="utf-8")
    return out
