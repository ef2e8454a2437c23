"""Learning from the reviewer: the first pass retrained on the shipped corpus plus a project's labels.

Why features are fitted once: a review retrains every few dozen labels, and what costs time is
spaCy and the vectorisers, not the regression. The `Learner` reads the corpus and the project's
messages through spaCy once per process, fits the first pass's features on both (unsupervised, so
the project's own vocabulary, its people, vendors and jargon, gets features even before any of it
is labelled), and keeps the matrices; each retrain is then one weighted, calibrated regression.

The corpus's `test` split is never read. The threshold is chosen on the corpus's validation split,
which no retrain trains on, and a model's card says which labels trained it, so that only labels
made after it can judge it (`project_check`).
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from influence.card import library_versions
from influence.corpus import load_corpus
from influence.errors import InfluenceError
from influence.metrics import binary_metrics, choose_threshold
from influence.model import (
    DEFAULT_MODEL_DIR,
    TARGET,
    Model,
    build_classifier,
    build_features,
    dump_payload,
    load_payload,
)
from influence.project import _audit, current_labels, message_of, transaction
from influence.settings import settings
from influence.types import Message

DEFAULT_CORPUS = DEFAULT_MODEL_DIR.parent.parent / "corpora" / "labeled"
FIT_SAMPLE = 5000  # project messages the vectorisers are fitted on (the rest are only transformed)
CHUNK = 512  # docs through spaCy and the features at a time, so memory does not grow with the pool


class LearningError(InfluenceError):
    pass


def corpus_paths(corpus: Sequence[str | Path] | None) -> list[Path]:
    paths = [Path(p) for p in corpus] if corpus else [DEFAULT_CORPUS]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise LearningError(
            f"Retraining needs the labeled corpus the model was built from; {missing[0]} is missing "
            "(pass --corpus DIR, e.g. the corpora/labeled folder of an influence checkout)"
        )
    return paths


@dataclass
class Fitted:
    classifier: Any
    threshold: float
    validation: dict[str, Any]
    project_rows: int
    project_positives: int


@dataclass
class Learner:
    """The first pass's features over the corpus (train and validation) and a pool of messages,
    fitted once; `fit` trains the target's classifier on the corpus train rows plus pool labels."""

    corpus: list[Path]
    spacy_model: str | None = None
    weight: float = 5.0  # a project label counts this many corpus rows
    seed: int = 0
    features: Any = None
    X_train: Any = None
    y_train: Any = None
    X_val: Any = None
    y_val: Any = None
    pool_keys: list[Any] = field(default_factory=list)
    X_pool: Any = None
    _nlp: Any = None

    def _docs(self, messages: Sequence[Message]) -> list:
        from influence.nlp import docs_for, load

        if self._nlp is None:
            self._nlp = load(self.spacy_model)
        return list(docs_for(self._nlp, messages))

    def _transform(self, messages: Sequence[Message]) -> Any:
        parts = [self.features.transform(self._docs(messages[i : i + CHUNK]))
                 for i in range(0, len(messages), CHUNK)]  # fmt: skip
        return sp.vstack(parts).tocsr() if parts else None

    def prepare(self, keys: Sequence[Any], messages: Sequence[Message]) -> None:
        """Fit the features on the corpus and (a sample of) the pool, and transform everything."""
        corpus = load_corpus(self.corpus)
        train, val = corpus.where("train"), corpus.where("validation")
        if len({e.labels[TARGET] for e in train}) < 2:
            raise LearningError("The corpus's train split needs both labels to retrain on")
        step = max(1, len(messages) // FIT_SAMPLE)
        sample = list(messages[::step])[:FIT_SAMPLE]
        fit_docs = self._docs([e.message for e in train + val] + sample)
        self.features = build_features().fit(fit_docs)
        n_train = len(train)
        X = self.features.transform(fit_docs[: n_train + len(val)])
        del fit_docs
        self.X_train, self.X_val = X[:n_train], X[n_train:]
        self.y_train = np.array([e.labels[TARGET] for e in train], dtype=int)
        self.y_val = np.array([e.labels[TARGET] for e in val], dtype=int)
        self.pool_keys, self.X_pool = [], None
        self.extend(keys, messages)

    def extend(self, keys: Sequence[Any], messages: Sequence[Message]) -> None:
        """Add messages to the pool (a dump grown since the features were fitted)."""
        if not messages:
            return
        X = self._transform(messages)
        self.X_pool = X if self.X_pool is None else sp.vstack([self.X_pool, X]).tocsr()
        self.pool_keys.extend(keys)

    def fit(self, labels: dict[int, int]) -> Fitted:
        """`labels`: pool row -> 0/1."""
        rows = sorted(labels)
        y_project = np.array([labels[r] for r in rows], dtype=int)
        X = sp.vstack([self.X_train, self.X_pool[rows]]).tocsr() if rows else self.X_train
        y = np.concatenate([self.y_train, y_project])
        w = np.concatenate([np.ones(len(self.y_train)), np.full(len(rows), self.weight)])
        clf = build_classifier(self.seed).fit(X, y, sample_weight=w)
        min_precision = settings()["threshold"]["min_precision"]
        if len(set(self.y_val.tolist())) < 2:  # no validation split to choose on: the default cut-off
            return Fitted(clf, 0.5, {}, len(rows), int(y_project.sum()))
        p_val = clf.predict_proba(self.X_val)[:, 1]
        threshold = choose_threshold(self.y_val, p_val, min_precision)
        return Fitted(clf, threshold, binary_metrics(self.y_val, p_val, threshold), len(rows),
                      int(y_project.sum()))  # fmt: skip

    def scores(self, fitted: Fitted) -> np.ndarray:
        return fitted.classifier.predict_proba(self.X_pool)[:, 1]

    def model(self, fitted: Fitted) -> Model:
        from sklearn.pipeline import Pipeline

        pipe = Pipeline([("features", self.features), ("classifier", fitted.classifier)])
        return Model({TARGET: pipe}, {TARGET: fitted.threshold})


# ------------------------------------------------------------------------------ projects


def _pool(db: sqlite3.Connection, after: int = 0) -> tuple[list[int], list[Message]]:
    rows = db.execute(
        "SELECT * FROM messages WHERE error IS NULL AND seq > ? ORDER BY seq", (after,)
    ).fetchall()
    return [r["seq"] for r in rows], [message_of(r) for r in rows]


def _training_labels(db: sqlite3.Connection, learner: Learner) -> tuple[dict[int, int], int]:
    """Standing positive/negative labels by pool row (duplicates count once, through their
    canonical copy), and the last label row they include."""
    index = {seq: i for i, seq in enumerate(learner.pool_keys)}
    seq_of = dict(db.execute("SELECT id, seq FROM messages"))
    labels: dict[int, int] = {}
    for mid, label in current_labels(db).items():
        row = index.get(seq_of.get(mid))
        if row is not None and label in ("positive", "negative"):
            labels[row] = int(label == "positive")
    last = db.execute("SELECT COALESCE(MAX(n), 0) FROM labels").fetchone()[0]
    return labels, int(last)


def retrain(
    db: sqlite3.Connection,
    learner: Learner,
    *,
    actor: str = "influence",
    say: Callable[[str], None] | None = None,
) -> int:
    """Train a new model version on the corpus plus the project's labels, score every message
    with it and store both in one transaction (the queue sees the whole new ranking or none of it);
    returns the new version."""
    say = say or (lambda _m: None)
    started = time.time()
    if learner.features is None:
        keys, messages = _pool(db)
        say(f"reading {len(messages)} project messages and the corpus through spaCy (once per process)")
        learner.prepare(keys, messages)
    else:
        keys, messages = _pool(db, after=max(learner.pool_keys, default=0))
        learner.extend(keys, messages)
    labels, last_label = _training_labels(db, learner)
    if not labels:
        say("no positive or negative labels yet: training on the corpus alone")
    say(f"fitting on the corpus train split plus {len(labels)} project labels (weight {learner.weight:g})")
    fitted = learner.fit(labels)
    scores = learner.scores(fitted)
    model = learner.model(fitted)
    buf = io.BytesIO()
    dump_payload({"pipelines": model.pipelines, "thresholds": model.thresholds, "train_keys": [],
                  "rerank": None}, buf)  # fmt: skip
    blob = buf.getvalue()
    card = {
        "name": "project retrain",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "target": TARGET,
        "sha256": hashlib.sha256(blob).hexdigest(),
        "passes": "first pass only (the embedding second pass is not retrained)",
        "thresholds": {TARGET: round(fitted.threshold, 6)},
        "threshold_source": "the corpus validation split (never trained on)",
        "metrics": {"validation": fitted.validation},
        "training_data": {
            "corpus": [str(p) for p in learner.corpus],
            "corpus_train_rows": int(len(learner.y_train)),
            "project_labels": fitted.project_rows,
            "project_positives": fitted.project_positives,
            "project_weight": learner.weight,
            "last_label": last_label,  # labels after this row never trained this model
        },
        "seconds": round(time.time() - started, 1),
        "versions": library_versions(),
    }
    with transaction(db):
        cur = db.execute(
            "INSERT INTO model_versions (created_at, source, threshold, card) VALUES (?, ?, ?, ?)",
            (
                time.time(),
                f"corpus + {fitted.project_rows} project labels",
                fitted.threshold,
                json.dumps(card),
            ),
        )
        version = int(cur.lastrowid)
        db.execute("INSERT INTO model_files VALUES (?, ?)", (version, blob))
        # the evidence shown stays that of the message's first scoring (spans, rules, sentences)
        first = "(SELECT {0} FROM scores WHERE message_seq = ? ORDER BY version LIMIT 1)"
        db.executemany(
            "INSERT INTO scores (message_seq, version, score, flagged, evidence, vendors) "
            f"VALUES (?, ?, ?, ?, {first.format('evidence')}, {first.format('vendors')})",
            [(seq, version, float(s), int(s >= fitted.threshold), seq, seq)
             for seq, s in zip(learner.pool_keys, scores)],
        )  # fmt: skip
        _audit(
            db,
            actor,
            "retrain",
            {"version": version, "labels": fitted.project_rows, "last_label": last_label},
        )
    say(f"model version {version}: {fitted.project_rows} project labels, threshold {fitted.threshold:.3f}, "
        f"{int((scores >= fitted.threshold).sum())} flagged, {card['seconds']} s")  # fmt: skip
    return version


def project_check(db: sqlite3.Connection) -> dict[str, Any] | None:
    """How the latest retrained model does on the labels made after it was trained (labels that
    never trained it), or None when there is no retrained model or no such label yet."""
    row = db.execute(
        "SELECT version, card, threshold FROM model_versions ORDER BY version DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    last = json.loads(row["card"]).get("training_data", {}).get("last_label")
    if last is None:
        return None
    later = db.execute(
        "SELECT l.message_seq, l.label, s.flagged FROM labels l JOIN scores s "
        "ON s.message_seq = l.message_seq AND s.version = ? WHERE l.n > ? ORDER BY l.n",
        (row["version"], last),
    ).fetchall()
    judged = {
        r["message_seq"]: (r["label"], r["flagged"]) for r in later if r["label"] in ("positive", "negative")
    }
    if not judged:
        return None
    tp = sum(lab == "positive" and f for lab, f in judged.values())
    fp = sum(lab == "negative" and f for lab, f in judged.values())
    fn = sum(lab == "positive" and not f for lab, f in judged.values())
    return {"version": row["version"], "labels": len(judged), "tp": tp, "fp": fp, "fn": fn}


def load_project_model(db: sqlite3.Connection, version: int | None = None) -> Model:
    """A retrained model out of the project (the latest, or `version`), checked against its card."""
    q = "SELECT v.version, v.card, f.model FROM model_versions v JOIN model_files f ON f.version = v.version"
    row = db.execute(q + (" WHERE v.version = ?" if version else " ORDER BY v.version DESC LIMIT 1"),
                     (version,) if version else ()).fetchone()  # fmt: skip
    if row is None:
        raise LearningError(
            "This project has no retrained model" + (f" version {version}" if version else "")
        )
    card = json.loads(row["card"])
    if hashlib.sha256(row["model"]).hexdigest() != card.get("sha256"):
        raise LearningError(f"Model version {row['version']} does not match its card's sha256; not loaded")
    data = load_payload(io.BytesIO(row["model"]), f"model version {row['version']}")
    return Model(data["pipelines"], data["thresholds"], set(), card, None)


class Retrainer:
    """Retrains in a background thread, one run at a time, on its own database connection; the
    server asks for a run every N labels or on demand and keeps serving meanwhile."""

    def __init__(self, project: Path, learner: Learner, every: int = 25) -> None:
        self.project, self.learner, self.every = project, learner, every
        self._lock = threading.Lock()
        self.running = False
        self.last_error: str | None = None
        self.last_version: int | None = None
        self.log: list[str] = []
        self._labels_at_last = 0
        self._thread: threading.Thread | None = None

    def due(self, labels: int) -> bool:
        return self.every > 0 and labels - self._labels_at_last >= self.every

    def start(self, labels: int) -> bool:
        """Start a run unless one is going; returns whether one started."""
        with self._lock:
            if self.running:
                return False
            self.running = True
            self._labels_at_last = labels
        self._thread = threading.Thread(target=self._run, name="influence-retrain", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        from influence.project import connect

        try:
            db = connect(self.project)
            try:
                self.last_version = retrain(db, self.learner, say=self.log.append)
                self.last_error = None
            finally:
                db.close()
        except Exception as exc:  # reported in the progress panel; the server keeps running
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.log.append(f"retrain failed: {self.last_error}")
        finally:
            self.running = False

    def wait(self, timeout: float | None = None) -> None:
        if self._thread:
            self._thread.join(timeout)
