"""`influence evaluate`: held-out metrics of a model, a short Markdown report, and gates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from influence.corpus import load_corpus
from influence.errors import CorpusError, InfluenceError
from influence.metrics import binary_metrics
from influence.model import LABELS, TARGET, Model, text_key
from influence.nlp import docs_for, load


def evaluate(
    paths: list[str | Path],
    model: Model,
    *,
    split: str = "auto",
    spacy_model: str | None = None,
) -> dict[str, Any]:
    """Metrics of `model` on labeled data it was not trained on.

    `split="auto"` uses the `test` rows when the data has a split column, else every row. Rows
    whose text the model was trained on are always left out and counted.
    """
    corpus = load_corpus(paths)
    examples = corpus.examples
    if split == "auto":
        split = "test" if any(e.split == "test" for e in examples) else "all"
    if split != "all":
        examples = [e for e in examples if e.split == split]
    seen = [e for e in examples if text_key(e.message.text) in model.train_keys]
    examples = [e for e in examples if text_key(e.message.text) not in model.train_keys]
    if not examples:
        raise CorpusError(
            f"Nothing to evaluate: no rows in split {split!r} that the model was not trained on"
        )
    nlp = load(spacy_model)
    docs = list(docs_for(nlp, [e.message for e in examples]))
    probs = model.predict(docs)
    y = np.array([e.labels[TARGET] for e in examples])
    metrics: dict[str, Any] = binary_metrics(y, probs[TARGET], model.threshold)
    metrics.update({
        "split": split,
        "excluded_seen_in_training": len(seen),
        "model": model.card.get("name"),
        "model_sha256": model.card.get("sha256"),
        "data_sha256": corpus.sha256,
    })  # fmt: skip
    labels: dict[str, Any] = {}
    for label in LABELS[1:]:
        keep = [i for i, e in enumerate(examples) if e.labels.get(label) is not None]
        if label in probs and keep:
            yl = np.array([examples[i].labels[label] for i in keep])
            labels[label] = binary_metrics(yl, probs[label][keep], model.thresholds[label])
    metrics["labels"] = labels
    by_pattern: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        by_pattern.setdefault(e.pattern or "(none)", []).append(i)
    metrics["patterns"] = {
        pat: {
            "n": len(idx),
            "positives": int(y[idx].sum()),
            "flagged": int((probs[TARGET][idx] >= model.threshold).sum()),
        }
        for pat, idx in sorted(by_pattern.items())
    }
    return metrics


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


def render_markdown(metrics: dict[str, Any], failed: list[str] | None = None) -> str:
    cm = metrics["confusion_matrix"]
    lines = [
        f"## influence evaluation: {metrics.get('model')}",
        "",
        f"Split `{metrics['split']}`: {metrics['n']} messages, {metrics['positives']} positive "
        f"({metrics['excluded_seen_in_training']} left out because the model was trained on them).",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for key in ("average_precision", "roc_auc", "recall_at_precision_90", "precision", "recall",
                "f1", "threshold", "flag_rate"):  # fmt: skip
        lines.append(f"| {key} | {metrics.get(key)} |")
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
            lines.append(f"| {label} | {m['average_precision']} | {m['precision']} | "
                         f"{m['recall']} | {m['f1']} |")  # fmt: skip
    if failed is not None:
        lines += ["", "Gates: " + ("all passed" if not failed else "FAILED: " + "; ".join(failed))]
    return "\n".join(lines) + "\n"


def write_report(metrics: dict[str, Any], report_dir: str | Path, failed: list[str]) -> Path:
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (out / "report.md").write_text(render_markdown(metrics, failed))
    return out
