"""Why a message scored what it did: the spans a reader can check and the model features that
pushed its score up or down.

The model is linear under its calibration: each of the `CalibratedClassifierCV` ensemble's
logistic regressions scores `x · w + b` (log-odds before calibration). A feature's contribution for
one message is its value in the FeatureUnion output (TF-IDF weight, or scaled and weighted rule
value) times its coefficient, averaged over the ensemble's regressions. Contributions plus the mean
intercept add up to the ensemble's mean decision value; the calibrated score is a monotone
function of it, so the signs and the order are what a reader needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import FeatureUnion, Pipeline
from spacy.language import Language
from spacy.tokens import Doc

from influence.errors import InputError, ModelError
from influence.model import TARGET, Model
from influence.nlp import docs_for
from influence.types import Evidence, Message, ScoredRow

TOP_K = 8
# Entities drawn beside the evidence spans (CODE and MONEY already come with the evidence).
ENTITY_LABELS = ("VENDOR", "PRODUCT", "AGENCY", "MONEY", "CODE", "DATE")
# FeatureUnion block -> readable prefix ("linked": n-grams of the sentences that link gift and promotion)
PREFIXES = {"words": "word", "linked": "linked", "rules": "rule"}


@dataclass
class Contribution:
    feature: str  # readable: "word: free trial", "rule: gift_promotion_same_sentence"
    value: float  # the feature's value as the classifier sees it
    weight: float  # mean coefficient over the calibrated ensemble
    contribution: float  # value * weight

    def to_dict(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass
class Explanation:
    up: list[Contribution] = field(default_factory=list)  # largest positive contributions first
    down: list[Contribution] = field(default_factory=list)  # most negative first
    intercept: float = 0.0
    decision: float = 0.0  # intercept + all contributions (mean log-odds before calibration)

    def to_dict(self) -> dict[str, Any]:
        return {"up": [c.to_dict() for c in self.up], "down": [c.to_dict() for c in self.down],
                "intercept": round(self.intercept, 4), "decision": round(self.decision, 4)}  # fmt: skip


@dataclass
class MessageExplanation:
    row: ScoredRow
    spans: list[Evidence]  # evidence spans and entities, by position
    features: Explanation


def readable(name: str) -> str:
    """`words__free trial` -> `word: free trial`; `rules__code` -> `rule: code`."""
    block, sep, rest = name.partition("__")
    if not sep:
        return name
    return f"{PREFIXES.get(block, block)}: {rest}"


def _blocks(union: FeatureUnion) -> list[tuple[str, Any, list[str]]]:
    """(name, transformer, output names) of each block, even when a block starts with a step that
    has no names of its own (our Doc → text and Doc → dict transformers)."""
    out = []
    for block, trans in union.transformer_list:
        if trans == "drop":
            continue
        if isinstance(trans, Pipeline) and not hasattr(trans[0], "get_feature_names_out"):
            inner = trans[1:].get_feature_names_out()
        else:
            inner = trans.get_feature_names_out()
        out.append((block, trans, [str(n) for n in inner]))
    return out


def feature_names(union: Any) -> list[str]:
    """Output names of the feature step, `block__feature`."""
    try:
        return [str(n) for n in union.get_feature_names_out()]
    except AttributeError:
        if not isinstance(union, FeatureUnion):
            raise
    return [f"{block}__{n}" for block, _, inner in _blocks(union) for n in inner]


def _unscale(step: Any, n: int) -> np.ndarray:
    """Per feature, the factor from the classifier's input back to the feature's own units: undo
    the FeatureUnion block weight and a trailing scaler's `scale_` (MaxAbsScaler)."""
    out = np.ones(n)
    if not isinstance(step, FeatureUnion):
        return out
    weights = step.transformer_weights or {}
    pos = 0
    for block, trans, inner in _blocks(step):
        last = trans[-1] if isinstance(trans, Pipeline) else trans
        scale = getattr(last, "scale_", None)
        factor = np.asarray(scale, dtype=float) if scale is not None else np.ones(len(inner))
        out[pos : pos + len(inner)] = factor / weights.get(block, 1.0)
        pos += len(inner)
    return out


def _linear_models(classifier: Any) -> list[Any]:
    if hasattr(classifier, "calibrated_classifiers_"):
        return [c.estimator if hasattr(c, "estimator") else c.base_estimator
                for c in classifier.calibrated_classifiers_]  # fmt: skip
    return [classifier]


class Explainer:
    """Per-message feature contributions of one label's pipeline (features step → linear model)."""

    def __init__(self, model: Model, label: str = TARGET) -> None:
        pipe = model.pipelines[label]
        self.features = pipe[:-1]
        linear = _linear_models(pipe[-1])
        if not all(hasattr(m, "coef_") and m.coef_.shape[0] == 1 for m in linear):
            raise ModelError(f"The {label} model is not a (calibrated) linear model; it cannot be explained")
        self.coef = np.mean([m.coef_[0] for m in linear], axis=0)
        self.intercept = float(np.mean([m.intercept_[0] for m in linear]))
        step = self.features[-1]
        raw = feature_names(step) if isinstance(step, FeatureUnion) else self.features.get_feature_names_out()
        if len(raw) != len(self.coef):
            raise ModelError(
                f"The {label} model has {len(self.coef)} coefficients but {len(raw)} feature names"
            )
        self.names = [readable(n) for n in raw]
        self.unscale = _unscale(step, len(raw))

    def _contribution(self, j: int, x: float) -> Contribution:
        """Feature j at model value x, shown in its own units (a rule flag is 1.0, not its scaled
        and block-weighted value) with the weight per unit, so value x weight = contribution."""
        raw = x * self.unscale[j]
        return Contribution(
            self.names[j], float(raw), float(self.coef[j] / self.unscale[j]), float(x * self.coef[j])
        )

    def explain_docs(self, docs: list[Doc], k: int = TOP_K) -> list[Explanation]:
        if not docs:
            return []
        X = self.features.transform(docs).tocsr()
        return [self._explain_row(X[i], k) for i in range(X.shape[0])]

    def _explain_row(self, x: Any, k: int) -> Explanation:
        """The top contributions each way of one sparse feature row (1 x n_features)."""
        idx, vals = x.indices, x.data
        contrib = vals * self.coef[idx]
        order = np.argsort(-contrib, kind="stable")
        up = [self._contribution(idx[j], vals[j]) for j in order if contrib[j] > 0][:k]
        down = [self._contribution(idx[j], vals[j]) for j in order[::-1] if contrib[j] < 0][:k]
        return Explanation(up, down, self.intercept, self.intercept + float(contrib.sum()))


class WindowExplainer(Explainer):
    """Contributions of a window-scored target: the features of the message's strongest window in
    the window classifier (a plain logistic regression), the window that the score stands on.

    The message score is a combiner over the top window scores, so the window's own decision value
    is what a reader can check; `decision` is that value, not the message's."""

    BLOCKS = ("word", "char", "rule")

    def __init__(self, model: Model, label: str = TARGET) -> None:  # not Explainer's: no features step
        self.scorer = model.pipelines[label].steps[-1][1]
        clf = self.scorer.window_classifier_
        self.coef = clf.coef_[0]
        self.intercept = float(clf.intercept_[0])
        blocks = [vec.get_feature_names_out() for vec in self.scorer.vectorizers_]
        self.names = [f"{prefix}: {n}" for prefix, names in zip(self.BLOCKS, blocks) for n in names]
        self.unscale = np.concatenate([np.full(len(names), 1 / w)
                                       for names, w in zip(blocks, self.scorer.block_weights())])  # fmt: skip

    def explain_docs(self, docs: list[Doc], k: int = TOP_K) -> list[Explanation]:
        out = []
        for doc in docs:
            top = next(self.scorer.top_windows(doc, k=1), None)
            if top is None:
                out.append(Explanation(intercept=self.intercept, decision=self.intercept))
            else:
                out.append(self._explain_row(self.scorer.window_matrix([top[0]]).tocsr(), k))
        return out


def explainer_for(model: Model, label: str = TARGET) -> Explainer:
    """The explainer that fits the label's pipeline: window-scored or a linear model on features."""
    if hasattr(model.pipelines[label].steps[-1][1], "top_windows"):
        return WindowExplainer(model, label)
    return Explainer(model, label)


def where_in(message: Message, start: int) -> str:
    """ "subject", "body" (the author's words) or "quote" (quoted history) for an offset in `text`."""
    subject_chars = len(message.subject) + 2 if message.subject else 0
    if start < subject_chars:
        return "subject"
    qs = message.quote_start
    return "quote" if qs is not None and start >= qs else "body"


def highlight_spans(row: ScoredRow, doc: Doc) -> list[Evidence]:
    """The row's evidence plus the Doc's entities, without repeats, by position."""
    seen = {(e.label, e.start, e.end) for e in row.evidence}
    spans = list(row.evidence)
    for ent in doc.ents:
        key = (ent.label_, ent.start_char, ent.end_char)
        if ent.label_ in ENTITY_LABELS and key not in seen:
            seen.add(key)
            spans.append(Evidence(ent.label_, ent.text, ent.start_char, ent.end_char,
                                  where_in(row.message, ent.start_char)))  # fmt: skip
    return sorted(spans, key=lambda s: (s.start, -s.end, s.label))


def explain_rows(
    rows: list[ScoredRow], explainer: Explainer, nlp: Language, k: int = TOP_K
) -> list[tuple[list[Evidence], Explanation] | None]:
    """Spans and top features of each scored row (None for rows that carry an error)."""
    readable_rows = [r for r in rows if r.error is None and r.score is not None]
    docs = list(docs_for(nlp, [r.message for r in readable_rows]))
    found = {id(r): (highlight_spans(r, d), e) for r, d, e in
             zip(readable_rows, docs, explainer.explain_docs(docs, k))}  # fmt: skip
    return [found.get(id(r)) for r in rows]


def segments(text: str, spans: Iterable[Evidence]) -> list[tuple[int, int, list[str]]]:
    """Cut `text` at every span edge: (start, end, labels covering it), covering the whole text."""
    spans = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        labels = [s.label for s in spans if s.start <= a and b <= s.end]
        out.append((a, b, list(dict.fromkeys(labels))))
    return out


def pick_message(messages: Iterable[Message], wanted: str | None, where: str) -> Message:
    """The message with id (or Message-ID) `wanted`, or the only message; else a clear error."""
    seen: list[Message] = []
    for m in messages:
        if wanted is not None and wanted in (m.id, m.message_id, (m.message_id or "").strip("<>")):
            return m
        seen.append(m)
    if wanted is None and len(seen) == 1:
        return seen[0]
    ids = ", ".join(m.id for m in seen[:8]) + (", ..." if len(seen) > 8 else "")
    if wanted is None:
        raise InputError(f"{where} holds {len(seen)} messages; pick one with --id (ids: {ids})")
    raise InputError(f"No message with id {wanted!r} in {where} (ids: {ids})")


def explain_message(
    message: Message, model: Model, nlp: Language, k: int = TOP_K, label: str = TARGET
) -> MessageExplanation:
    """Score one message and say why."""
    from influence.scoring import score_batch

    if message.error:
        raise InputError(f"{message.source}: {message.error}")
    row = score_batch([message], model, nlp)[0]
    if row.error:
        raise InputError(f"{message.source}: {row.error}")
    spans, features = explain_rows([row], explainer_for(model, label), nlp, k)[0]  # type: ignore[misc]
    return MessageExplanation(row, spans, features)


def text_message(text: str) -> Message:
    """A message from literal text; header lines at its top (From:, Subject:, ...) are parsed."""
    from influence.readers.tabular import row_to_message

    return row_to_message({"id": "text", "text": text}, source="(text)", index=1)


def load_message(arg: str, wanted: str | None = None) -> Message:
    """`arg` is a path (any input format; `wanted` picks a message by id), `-` for stdin, or text."""
    import sys
    from pathlib import Path

    from influence.readers import iter_messages

    if arg == "-":
        return text_message(sys.stdin.read())
    try:
        exists = Path(arg).exists()
    except (OSError, ValueError):  # a long text is not a file name
        exists = False
    if exists:
        return pick_message(iter_messages([arg]), wanted, arg)
    if "\n" not in arg and " " not in arg and (Path(arg).suffix or "/" in arg):
        raise InputError(f"No such file: {arg} (pass the text itself in quotes to explain a text)")
    if wanted is not None:
        raise InputError("--id picks a message in a file; it does not apply to literal text")
    return text_message(arg)
