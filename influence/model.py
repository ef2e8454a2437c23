"""The model: one scikit-learn Pipeline per label, saved with a card and refused if altered.

joblib files are pickles, so loading one runs code. We only load a file whose sha256 matches the
one written in its card at training time, and warn when library versions differ from training.
The joblib file holds the model pickled by the standard library (`dump_payload`): joblib's own
unpickler is pure Python and took 1.7 s to read the shipped model, the C one takes 0.15 s, which
every `influence score` and every worker pays at start-up.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MaxAbsScaler
from spacy.tokens import Doc

from influence.errors import ModelError
from influence.features import DocFeatures, DocText, LinkedText
from influence.ngrams import CharTfidf
from influence.rerank import Reranker
from influence.settings import settings

TARGET = "promotion_for_gifts"
LABELS = (TARGET, "gift_offer", "promotion_request")
MODEL_FILE = "model.joblib"
CARD_FILE = "card.json"
FORMAT = 2  # 1: the payload itself in the joblib file; 2: the payload pickled inside it
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "default"


def build_pipeline(seed: int = 0) -> Pipeline:
    """Features, then a class-weighted linear model, calibrated."""
    return Pipeline([("features", build_features()), ("classifier", build_classifier(seed))])


def build_features() -> FeatureUnion:
    """Word n-grams of the whole text and of the linked sentences, joined with scaled rule
    features. Unsupervised, so one fitted instance can serve every label."""
    conf = settings()["model"]
    words = Pipeline([
        ("text", DocText()),
        ("tfidf", TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=conf["max_features"],
                                  sublinear_tf=True, strip_accents="unicode")),
    ])  # fmt: skip
    rules = Pipeline([
        ("extract", DocFeatures()),
        ("vectorize", DictVectorizer()),
        ("scale", MaxAbsScaler()),
    ])  # fmt: skip
    linked = Pipeline([
        ("text", LinkedText()),
        ("tfidf", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                  strip_accents="unicode")),
    ])  # fmt: skip
    # Character n-grams within words: robust to typos, texting style and OCR noise.
    chars = Pipeline([
        ("text", DocText()),
        ("tfidf", CharTfidf(analyzer="char_wb", ngram_range=(3, 5), min_df=3,
                            max_features=conf["max_char_features"], sublinear_tf=True)),
    ])  # fmt: skip
    return FeatureUnion(
        [("words", words), ("chars", chars), ("linked", linked), ("rules", rules)],
        transformer_weights={
            "words": 1.0,
            "chars": conf["char_weight"],
            "linked": conf["linked_weight"],
            "rules": conf["rules_weight"],
        },
    )


def build_classifier(seed: int = 0) -> CalibratedClassifierCV:
    """One regression fitted on all rows, calibrated on its 3-fold out-of-fold scores
    (ensemble=False: a third of the size and time of keeping three fold models)."""
    return CalibratedClassifierCV(
        LogisticRegression(C=settings()["model"]["C"], class_weight="balanced", max_iter=5000,
                           random_state=seed),
        method="sigmoid",
        cv=3,
        ensemble=False,
    )  # fmt: skip


def text_key(text: str) -> str:
    """Normalised hash of a text, to spot training texts at evaluation time."""
    norm = re.sub(r"\W+", " ", text.lower()).strip()
    return hashlib.sha1(norm.encode()).hexdigest()[:16]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Model:
    pipelines: dict[str, Pipeline]
    thresholds: dict[str, float]
    train_keys: set[str] = field(default_factory=set)
    card: dict[str, Any] = field(default_factory=dict)
    rerank: Reranker | None = None
    use_rerank: bool = True  # False: first pass only, even when the embed extra is installed

    @property
    def reranking(self) -> bool:
        """Whether `predict` runs the embedding second pass (the model has one, it is wanted, and
        the `embed` extra is installed)."""
        from influence.embeddings import available

        return self.rerank is not None and self.use_rerank and available()

    @property
    def passes(self) -> str:
        """How the target is scored, for reports: by windows, or by the first pass (and the second)."""
        scorer = self.pipelines[TARGET].steps[-1][1]
        if hasattr(scorer, "top_windows"):
            focused = getattr(scorer, "message_", None) is not None
            return "scored by its strongest windows" + (" and their focus" if focused else "")
        return "both passes" if self.reranking else "first pass only"

    @property
    def threshold(self) -> float:
        return self.rerank.threshold if self.reranking else self.thresholds[TARGET]  # type: ignore[union-attr]

    def rerank_note(self) -> str | None:
        """Why the second pass is not running when the model has one, for the user to read."""
        from influence.embeddings import INSTALL_HINT

        if self.rerank is None or self.reranking or not self.use_rerank:
            return None
        return (f"this model has an embedding second pass, but its extra is not installed ({INSTALL_HINT}); "
                f"scoring with the first pass only, threshold {self.threshold:.3f}")  # fmt: skip

    def predict(self, docs: list[Doc]) -> dict[str, np.ndarray]:
        """Probability of each label for each doc.

        When the label pipelines share one fitted features step (as `influence train` builds
        them), the features are computed once instead of once per label, and the second pass
        re-scores the target on top of them.
        """
        shared = {label: p for label, p in self.pipelines.items() if p.steps[0][0] == "features"}
        steps = {id(p.steps[0][1]): p.steps[0][1] for p in shared.values()}
        probs: dict[str, np.ndarray] = {}
        if len(steps) == 1:
            X = next(iter(steps.values())).transform(docs)
            probs = {label: p.steps[-1][1].predict_proba(X)[:, 1] for label, p in shared.items()}
            if self.reranking and TARGET in shared:
                probs[TARGET] = self.rerank.rescore(X, docs, probs[TARGET])  # type: ignore[union-attr]
        for label, pipe in self.pipelines.items():
            if label not in probs:
                probs[label] = pipe.predict_proba(docs)[:, 1]
        return probs

    def sentences(self, doc: Doc, k: int = 2) -> list[tuple[int, int, str, float]]:
        """The windows that carry the target's score (start, end, text, window score), strongest
        first, when the target is scored by windows; else nothing."""
        scorer = self.pipelines[TARGET].steps[-1][1]
        if not hasattr(scorer, "top_windows"):
            return []
        floor = settings()["evidence"]["min_sentence_score"]
        return [(w.start, w.end, w.text, s) for w, s in scorer.top_windows(doc, k, floor)]

    def save(self, model_dir: Path, card: dict[str, Any]) -> dict[str, Any]:
        from influence.card import write_card

        model_dir.mkdir(parents=True, exist_ok=True)
        _drop_introspection(self.pipelines)
        path = model_dir / MODEL_FILE
        tmp = path.with_suffix(".tmp")
        dump_payload({"pipelines": self.pipelines, "thresholds": self.thresholds,
                      "train_keys": sorted(self.train_keys), "rerank": self.rerank}, tmp)  # fmt: skip
        tmp.replace(path)
        card = {**card, "sha256": sha256_file(path), "artifact": MODEL_FILE}
        write_card(model_dir, card)
        self.card = card
        return card


def dump_payload(payload: dict[str, Any], target: Any) -> None:
    """A model file (path or binary file object): compressed by joblib, read by the C unpickler."""
    blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    joblib.dump({"format": FORMAT, "payload": blob}, target, compress=3)


def load_payload(source: Any, where: str) -> dict[str, Any]:
    """What `dump_payload` wrote; format-1 files (the payload itself) still load."""
    data = joblib.load(source)
    if data.get("format") not in (1, FORMAT):
        raise ModelError(f"{where} has model format {data.get('format')}, expected {FORMAT}")
    payload = pickle.loads(data["payload"]) if data["format"] == FORMAT else data
    _fast_char_counts(payload)
    return payload


def _vectorizers(obj: Any, seen: set[int] | None = None) -> Iterator[TfidfVectorizer]:
    """Every TF-IDF vectorizer inside a model: in pipelines, unions and the window scorer's own."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, TfidfVectorizer):
        yield obj
    if isinstance(obj, (list, tuple)):
        children: Iterable[Any] = obj
    elif isinstance(obj, dict):
        children = obj.values()
    elif isinstance(obj, BaseEstimator):
        children = vars(obj).values()
    else:
        return
    for child in children:
        yield from _vectorizers(child, seen)


def _drop_introspection(pipelines: dict[str, Pipeline]) -> None:
    """TfidfVectorizer keeps every pruned term in `stop_words_`, for introspection only; it is most
    of a pickled model's size, so it is not saved."""
    for vec in _vectorizers(pipelines):
        if hasattr(vec, "stop_words_"):
            del vec.stop_words_


def _fast_char_counts(payload: dict[str, Any]) -> None:
    """Character n-gram vectorizers of models saved before `CharTfidf` count with it too (the same
    rows, several times faster)."""
    for vec in _vectorizers(payload["pipelines"]):
        if type(vec) is TfidfVectorizer and vec.analyzer == "char_wb":
            vec.__class__ = CharTfidf


def load_model(model_dir: str | Path | None = None) -> Model:
    """Load a model directory, refusing a model file that does not match its card."""
    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    path, card_path = model_dir / MODEL_FILE, model_dir / CARD_FILE
    if not path.exists():
        hint = " (run `make model` to build the default model)" if model_dir == DEFAULT_MODEL_DIR else ""
        raise ModelError(f"No model at {model_dir}: {MODEL_FILE} is missing{hint}")
    if not card_path.exists():
        raise ModelError(f"Model {model_dir} has no {CARD_FILE}; it cannot be verified, so it is not loaded")
    try:
        card = json.loads(card_path.read_text())
    except ValueError as exc:
        raise ModelError(f"{card_path} is not valid JSON: {exc}") from exc
    actual = sha256_file(path)
    if actual != card.get("sha256"):
        raise ModelError(
            f"{path} does not match the sha256 in {card_path} (expected {card.get('sha256')}, "
            f"got {actual}); the file was altered or corrupted, so it is not loaded. Restore it "
            "or retrain with `influence train`."
        )
    _warn_versions(card)
    data = load_payload(path, str(path))
    return Model(data["pipelines"], data["thresholds"], set(data["train_keys"]), card, data.get("rerank"))


def _warn_versions(card: dict[str, Any]) -> None:
    from influence.card import library_versions

    trained = card.get("versions", {})
    now = library_versions()
    for lib in ("scikit-learn", "numpy"):
        if trained.get(lib) and trained[lib] != now.get(lib):
            warnings.warn(
                f"model was trained with {lib} {trained[lib]}, this is {now.get(lib)}; "
                "scores may differ slightly", stacklevel=3,
            )  # fmt: skip
