"""The window-level scorer: is value tied to promotion *here*, in this sentence or pair of
sentences? A message scores as its strongest windows (plus a little context), so one linking
sentence buried in a 3,000-word forward scores like the same sentence alone, and the evidence a
reader sees is that sentence.

Training windows come from the annotated rationales (`corpora/GUIDE.md`): a window that holds a
rationale is positive, a window of a negative message is negative, and the rest of a positive
message is negative too (it is the greeting, the logistics, the signature). Windows that cut a
rationale in half are left out. Positives without a rationale teach only the message-level
combiner.

The whole-message scorer (`influence.model.build_pipeline`) joins the combiner, but it reads only
the *focus* of a long message: the strongest windows and a few sentences around them. It links a
gift and an ask a few sentences apart, which no single window holds, and it cannot be diluted.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from spacy.attrs import IDX, IS_ALPHA, IS_SPACE, LENGTH
from spacy.tokens import Doc, Span

from influence.features import LINK_LABELS, SPANS_KEY
from influence.ngrams import CharTfidf, window_rows
from influence.nlp.rules import doc_text
from influence.settings import settings

ENTITY_LABELS = ("MONEY", "CODE", "VENDOR", "PRODUCT", "AGENCY")
SEGMENTS_KEY = "influence_segments"
_DIGITS = re.compile(r"\d")


@dataclass
class Window:
    start: int  # character offsets into doc.text
    end: int
    text: str
    features: dict[str, float]
    segments: tuple[int, int] = (0, 0)  # first and last segment it covers


def segments(doc: Doc, max_tokens: int) -> list[tuple[int, int]]:
    """Token ranges of sentences, also cut at blank lines and every `max_tokens` tokens (mail
    has lists, signatures and wrapped lines that a sentencizer runs together). Computed once per
    doc from token arrays (scoring, the focus and the evidence all read them)."""
    cached = doc.user_data.get(SEGMENTS_KEY)
    if cached is not None and cached[:2] == (len(doc), max_tokens):
        return cached[2]
    arr = doc.to_array([IS_SPACE, IS_ALPHA]).astype(bool).reshape(len(doc), 2)
    blank = set()
    for i in np.flatnonzero(arr[:, 0]).tolist():
        if doc[i].text.count("\n") >= 2:
            blank.add(i)
    space = arr[:, 0].tolist()
    alpha = np.concatenate([[0], np.cumsum(arr[:, 1])]).tolist()  # alpha[b] - alpha[a]: alpha words in a:b
    sents = [(s.start, s.end) for s in doc.sents] if doc.has_annotation("SENT_START") else [(0, len(doc))]
    out: list[tuple[int, int]] = []
    for s_start, s_end in sents:
        start = s_start
        for i in range(s_start, s_end):
            if i in blank or i - start >= max_tokens:
                if i > start:
                    out.append((start, i))
                start = i + 1 if space[i] else i
        if s_end > start:
            out.append((start, s_end))
    segs = _join_short([(a, b) for a, b in out if alpha[b] > alpha[a]], alpha, max_tokens)
    doc.user_data[SEGMENTS_KEY] = (len(doc), max_tokens, segs)
    return segs


def _join_short(segs: list[tuple[int, int]], alpha: list[int], max_tokens: int) -> list[tuple[int, int]]:
    """Join a segment of fewer than `min_words` words to the next one. Alone, a salutation or a
    line of OCR text holding one word ("the") is a window the classifier has never seen the like
    of, and the strongest window of a long release would be noise. `alpha` is the running count of
    alphabetic tokens."""
    least = settings()["windows"]["min_words"]
    out: list[tuple[int, int]] = []
    for a, b in segs:
        if out:
            pa, pb = out[-1]
            if alpha[pb] - alpha[pa] < least and b - pa <= max_tokens:
                out[-1] = (pa, b)  # segments are contiguous runs of tokens
                continue
        out.append((a, b))
    if len(out) > 1 and alpha[out[-1][1]] - alpha[out[-1][0]] < least:
        if out[-1][1] - out[-2][0] <= max_tokens:
            out[-2:] = [(out[-2][0], out[-1][1])]
    return out


def windows(doc: Doc) -> list[Window]:
    """Every segment alone and every two adjacent segments, with their rule features."""
    conf = settings()["windows"]
    segs = segments(doc, conf["max_tokens"])
    spans = sorted((s.start, s.label_, s.id_) for s in doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    ents = [(e.start, e.label_) for e in doc.ents if e.label_ in ENTITY_LABELS]  # doc.ents are in order
    text = doc_text(doc)
    offsets = doc.to_array([IDX, LENGTH]).astype(np.int64).reshape(len(doc), 2).tolist()
    span_starts, ent_starts = [x[0] for x in spans], [x[0] for x in ents]
    out = []
    for i in range(len(segs)):
        for j in (i, i + 1):
            if j >= len(segs):
                continue
            a, b = segs[i][0], segs[j][1]
            start, end = offsets[a][0], offsets[b - 1][0] + offsets[b - 1][1]  # Span.start_char/end_char
            inside = spans[bisect_left(span_starts, a) : bisect_left(span_starts, b)]
            near = ents[bisect_left(ent_starts, a) : bisect_left(ent_starts, b)]
            out.append(Window(start, end, text[start:end], _features(inside, near, a, b, pair=j > i), (i, j)))
    return out


def _features(spans: list[tuple[int, str, str]], ents: list[tuple[int, str]], a: int, b: int,
              pair: bool) -> dict[str, float]:  # fmt: skip
    """Rule features of the window a:b, from the rule spans and entities that start in it."""
    labels = {label for _, label, _ in spans}
    f: dict[str, float] = {}
    # One kind of phrase alone ("for each of them", "seven times") is ordinary prose; the kinds
    # say something only where they meet, so which ones and which families are features only then.
    if len(labels & set(LINK_LABELS)) >= 2:
        f.update({f"has={label}": 1.0 for label in labels})
        for _, label, fam in spans:
            f[f"family={label}:{fam}"] = 1.0
    for x in LINK_LABELS:
        for y in LINK_LABELS:
            if x < y and {x, y} <= labels:
                f[f"with={x}+{y}"] = 1.0
    f["kinds"] = len(labels & set(LINK_LABELS)) / len(LINK_LABELS)
    for _, label in ents:
        f[f"ent={label}"] = 1.0
    f["pair"] = float(pair)
    f["log_tokens"] = math.log1p(b - a) / 5
    return f


def focus(doc: Doc, wins: list[Window], scores: np.ndarray, radius: int, top: int = 1) -> Doc:
    """The part of a message around its strongest windows, as a Doc of its own (entities, rule
    spans and the sender flag kept): the whole-message scorer reads it in place of the whole text,
    in training and scoring alike, so one exchange in a 3,000-word forward is read as the same
    exchange in a short mail. Every message is read this way, short ones too: reading a short
    message whole and the same message inside a long one only in part is what made padding move
    the score."""
    segs = segments(doc, settings()["windows"]["max_tokens"])
    if not len(scores):
        return doc
    keep: set[int] = set()
    for rank, i in enumerate(np.argsort(-scores)[:top]):
        first, last = wins[i].segments
        r = radius if rank == 0 else 1
        keep.update(range(max(0, first - r), min(len(segs), last + r + 1)))
    ranges: list[list[int]] = []
    for k in sorted(keep):
        a, b = segs[k]
        if ranges and k - 1 in keep:
            ranges[-1][1] = b
        else:
            ranges.append([a, b])
    parts = [doc[a:b].as_doc() for a, b in ranges]
    out = Doc.from_docs(parts, ensure_whitespace=True)
    spans, offset = [], 0
    for (a, b), part in zip(ranges, parts):
        for s in doc.spans[SPANS_KEY] if SPANS_KEY in doc.spans else []:
            if a <= s.start and s.end <= b:
                start = s.start - a + offset
                spans.append(Span(out, start, start + len(s), label=s.label_, span_id=s.id_))
        offset += len(part)
    out.spans[SPANS_KEY] = spans
    if "sender_vendor" in doc.user_data:
        out.user_data["sender_vendor"] = doc.user_data["sender_vendor"]
    return out


def _normalise(text: str) -> str:
    """Lower case, digits as 0: 'code used 10 times' and 'used 25 times' read alike."""
    return _DIGITS.sub("0", text.lower())


def window_labels(doc: Doc, wins: list[Window], y: int) -> list[int | None]:
    """1 for a window holding a rationale, 0 for a window of a negative or away from the
    rationale, None where a window cuts a rationale or a positive has none."""
    if not y:
        return [0] * len(wins)
    marks = doc.user_data.get("rationale") or []
    if not marks:
        return [None] * len(wins)
    out: list[int | None] = []
    for w in wins:
        label: int | None = 0
        for a, b in marks:
            overlap = min(b, w.end) - max(a, w.start)
            if overlap <= 0:
                continue
            if overlap >= 0.5 * min(b - a, w.end - w.start):
                label = 1
                break
            label = None
        out.append(label)
    return out


def mark_rationale(doc: Doc, spans: Iterable[str]) -> None:
    """Record where the annotated words sit in `doc.text` (whitespace may differ after parsing)."""
    marks = []
    for span in spans:
        at = doc.text.find(span)
        if at >= 0:
            marks.append((at, at + len(span)))
            continue
        words = [re.escape(w) for w in span.split()]
        m = re.search(r"\s+".join(words), doc.text) if words else None
        if m:
            marks.append((m.start(), m.end()))
    doc.user_data["rationale"] = marks


class WindowScorer(ClassifierMixin, BaseEstimator):
    """Docs → probability that the message ties value to promotion, from its strongest windows.

    Three models: a window classifier (word and character n-grams of the window plus its rule
    features), the whole-message scorer on each message's focus, and a small combiner over the
    strongest window, its support, the focused message score and the context, trained on
    out-of-fold scores of both so it learns how far to trust each.
    """

    def __init__(self, C: float | None = None, char_weight: float = 0.5, folds: int = 4, seed: int = 0,
                 context: bool = True, rules_weight: float | None = None,
                 combine: str | None = None, message: bool | None = None):  # fmt: skip
        self.context = context  # False: the window scores alone decide (a bare sentence scores as in a mail)
        self.C = C  # None: from settings, as are rules_weight and combine
        self.rules_weight = rules_weight
        self.combine = combine  # what besides the strongest window the message score uses (settings)
        self.message = message  # whether the whole-message scorer, on the focus, joins the combiner
        self.char_weight = char_weight
        self.folds = folds
        self.seed = seed

    # -- windows -------------------------------------------------------------------------
    def _vectorizers(self) -> tuple[TfidfVectorizer, TfidfVectorizer, DictVectorizer]:
        conf = settings()["windows"]
        words = TfidfVectorizer(preprocessor=_normalise, ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                max_features=conf["max_features"], strip_accents="unicode")  # fmt: skip
        chars = CharTfidf(preprocessor=_normalise, analyzer="char_wb", ngram_range=(3, 5), min_df=3,
                                max_features=conf["max_char_features"], sublinear_tf=True)  # fmt: skip
        return words, chars, DictVectorizer()

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A parameter added after a model was saved reads as None (its settings default), so
        # get_params and clone keep working on older pickles.
        for name in ("C", "rules_weight", "combine", "message"):
            state.setdefault(name, None)
        super().__setstate__(state)

    def block_weights(self) -> tuple[float, float, float]:
        """Weights of the word, character and rule blocks in a window's feature row."""
        return 1.0, self.char_weight, self._setting("rules_weight")

    def _setting(self, name: str) -> Any:
        value = getattr(self, name)
        return settings()["windows"][name] if value is None else value

    def _matrix(self, vecs: tuple, wins: list[Window], fit: bool = False) -> Any:
        words, chars, rules = vecs
        texts = [w.text for w in wins]
        feats = [w.features for w in wins]
        if fit:
            blocks = [words.fit_transform(texts), chars.fit_transform(texts), rules.fit_transform(feats)]
        else:
            blocks = [window_rows(words, wins), window_rows(chars, wins), rules.transform(feats)]
        blocks = [b * w for b, w in zip(blocks, self.block_weights())]
        return sp.hstack(blocks).tocsr()

    def window_matrix(self, wins: list[Window]) -> Any:
        """The fitted window classifier's feature rows for `wins` (for explanations)."""
        return self._matrix(self.vectorizers_, wins)

    def _fit_windows(self, wins: list[Window], labels: list[int]) -> tuple[tuple, LogisticRegression]:
        vecs = self._vectorizers()
        X = self._matrix(vecs, wins, fit=True)
        clf = LogisticRegression(C=self._setting("C"), class_weight="balanced", max_iter=3000,
                                 random_state=self.seed)  # fmt: skip
        return vecs, clf.fit(X, np.asarray(labels))

    def _window_scores(self, vecs: tuple, clf: LogisticRegression, wins: list[Window]) -> np.ndarray:
        if not wins:
            return np.zeros(0)
        return clf.predict_proba(self._matrix(vecs, wins))[:, 1]

    # -- messages ------------------------------------------------------------------------
    def _combine(self, wins: list[Window], scores: np.ndarray, doc: Doc, p_msg: float | None = None
                 ) -> list[float]:  # fmt: skip
        """Dilution-proof message features: the strongest window and how its neighbourhood backs
        it, never an average over the whole message."""
        if not len(scores):
            wins, scores = [Window(0, 0, "", {})], np.zeros(1)
        best = int(np.argmax(scores))
        p1 = float(scores[best])
        logit = math.log(max(p1, 1e-6) / max(1 - p1, 1e-6))
        mode = self._setting("combine")
        if mode == "second":  # the second-best window anywhere, and whether two are strong
            top = np.sort(scores)[::-1]
            p2 = float(top[1]) if len(top) > 1 else 0.0
            out = [p1, p2, logit / 10, float(np.sum(top >= 0.5) >= 2)]
        elif mode == "support":
            # The best window that shares text with the strongest one: a linking sentence scores
            # high alone and with its neighbour, a fluke phrase in a long release rarely does. A
            # message of one sentence has no neighbour, so it backs itself.
            w = wins[best]
            near = [s for i, (v, s) in enumerate(zip(wins, scores))
                    if i != best and v.start < w.end and v.end > w.start]  # fmt: skip
            support = float(max(near)) if near else p1
            out = [p1, support, logit / 10, float(support >= 0.5)]
        else:
            out = [p1, logit / 10]
        if p_msg is not None:
            out.append(math.log(max(p_msg, 1e-6) / max(1 - p_msg, 1e-6)) / 10)
        if self.context:
            vendor = any(e.label_ in ("VENDOR", "PRODUCT") for e in doc.ents)
            out += [float(vendor), float(bool(doc.user_data.get("sender_vendor")))]
        return out

    def fit(self, X: list[Doc], y: Iterable[int]) -> WindowScorer:
        from influence.model import build_pipeline

        y = np.asarray(list(y), dtype=int)
        per_doc = [windows(d) for d in X]
        labels = [window_labels(d, w, t) for d, w, t in zip(X, per_doc, y)]
        use_message = self._setting("message")
        radius = settings()["windows"]["focus_radius"]
        # Out-of-fold window (and focused message) scores for the combiner: folds over messages.
        doc_scores: list[np.ndarray] = [np.zeros(0)] * len(X)
        msg_scores: list[float | None] = [None] * len(X)
        n_splits = max(2, min(self.folds, int(y.sum()), int(len(y) - y.sum())))
        groups = [d.user_data.get("group", i) for i, d in enumerate(X)]  # a thread stays in one fold
        folds = list(GroupKFold(n_splits=n_splits).split(np.zeros(len(X)), y, groups=groups))
        for tr, te in folds:
            wins, labs = _flatten(per_doc, labels, tr)
            vecs, clf = self._fit_windows(wins, labs)
            for i in te:
                doc_scores[i] = self._window_scores(vecs, clf, per_doc[i])
        wins, labs = _flatten(per_doc, labels, range(len(X)))
        self.vectorizers_, self.window_classifier_ = self._fit_windows(wins, labs)
        self.message_ = None
        if use_message:
            # The whole-message scorer learns from each message's focus (found by out-of-fold
            # window scores), as it will read messages when scoring.
            top = settings()["windows"]["focus_top"]
            focused = [focus(d, w, s, radius, top) for d, w, s in zip(X, per_doc, doc_scores)]
            for tr, te in folds:
                msg = build_pipeline(self.seed).fit([focused[i] for i in tr], y[tr])
                for i, p in zip(te, msg.predict_proba([focused[i] for i in te])[:, 1]):
                    msg_scores[i] = float(p)
            self.message_ = build_pipeline(self.seed).fit(focused, y)
            self.focus_ = (radius, top)  # scoring reads the focus as training did, whatever the settings say
        Z = np.array([self._combine(w, s, d, m) for w, s, d, m in zip(per_doc, doc_scores, X, msg_scores)])
        self.combiner_ = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(Z, y)
        self.classes_ = np.array([0, 1])
        self.n_windows_ = len(wins)
        return self

    def window_scores(self, doc: Doc) -> tuple[list[Window], np.ndarray]:
        """The doc's windows and their scores (kept on the doc: scoring and evidence share them)."""
        return self._scored([doc])[0]

    def _scored(self, docs: list[Doc]) -> list[tuple[list[Window], np.ndarray]]:
        """Windows and scores of many docs, the new ones vectorised in one call (one transform per
        batch, not per message: the per-call overhead outweighed short messages' own cost)."""
        todo = [d for d in docs if (d.user_data.get("windows") or (None,))[0] != id(self)]
        per_doc = [windows(d) for d in todo]
        flat = [w for ws in per_doc for w in ws]
        scores = self._window_scores(self.vectorizers_, self.window_classifier_, flat)
        at = 0
        for d, wins in zip(todo, per_doc):
            d.user_data["windows"] = (id(self), wins, scores[at : at + len(wins)])
            at += len(wins)
        return [d.user_data["windows"][1:] for d in docs]

    def predict_proba(self, X: list[Doc]) -> np.ndarray:
        if not len(X):
            return np.zeros((0, 2))
        scored = self._scored(list(X))
        msg: list[float | None] = [None] * len(X)
        if getattr(self, "message_", None) is not None:
            conf = settings()["windows"]
            radius, top = getattr(self, "focus_", (conf["focus_radius"], conf["focus_top"]))
            focused = [focus(d, w, s, radius, top) for d, (w, s) in zip(X, scored)]
            msg = [float(p) for p in self.message_.predict_proba(focused)[:, 1]]
        Z = np.array([self._combine(w, s, d, m) for d, (w, s), m in zip(X, scored, msg)]).reshape(len(X), -1)
        return self.combiner_.predict_proba(Z)

    def predict(self, X: list[Doc]) -> np.ndarray:
        """0/1 at probability 0.5 (the model's own threshold is chosen on held-out data)."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def top_windows(self, doc: Doc, k: int = 2, min_score: float = 0.0) -> Iterator[tuple[Window, float]]:
        wins, scores = self.window_scores(doc)
        for i in np.argsort(-scores)[:k]:
            if scores[i] >= min_score:
                yield wins[i], float(scores[i])


def _flatten(per_doc: list[list[Window]], labels: list[list[int | None]], rows: Iterable[int]
             ) -> tuple[list[Window], list[int]]:  # fmt: skip
    wins, labs = [], []
    for i in rows:
        for w, t in zip(per_doc[i], labels[i]):
            if t is not None:
                wins.append(w)
                labs.append(t)
    return wins, labs
