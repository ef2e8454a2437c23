"""Doc → named features. The rule spans say *what kind* of language a message uses; these
features say whether the kinds meet (gift and promotion in one sentence, a tier or condition beside
them), which is the quid-pro-quo shape that word n-grams alone learn only from vendor names.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin
from spacy.tokens import Doc, Span

from influence.nlp.rules import doc_text
from influence.settings import settings
from influence.types import Evidence

SPANS_KEY = "influence"
LINK_LABELS = ("GIFT", "PROMOTION", "EXCHANGE", "THRESHOLD")
ENTITY_EVIDENCE = ("CODE", "MONEY")
# Stands in for "no linked sentence" when no training doc has one, so TF-IDF can still fit.
NO_LINK = "nolinkedsentence"
# Evidence label of a sentence (or two) that the window scorer says carries the exchange.
SENTENCE = "SENTENCE"


def _sent_index(doc: Doc) -> Callable[[int], int]:
    """Token index -> sentence number, by bisecting the sentence starts (a dict over every token
    of a long release cost more than the rules that fill it)."""
    starts = [s.start for s in doc.sents] if doc.has_annotation("SENT_START") else [0]
    return lambda i: bisect_right(starts, i) - 1


def _near(a: list[Span], b: list[Span], window: int) -> bool:
    return any(abs(x.start - y.start) <= window for x in a for y in b)


def doc_features(doc: Doc) -> dict[str, float]:
    conf = settings()["features"]
    window, cap = conf["near_window"], conf["count_cap"]
    spans = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    by_label: dict[str, list[Span]] = defaultdict(list)
    for s in spans:
        by_label[s.label_].append(s)
    f: dict[str, float] = {}
    for label in LINK_LABELS:
        f[f"phrase={label}"] = math.log1p(min(len(by_label[label]), cap))
    for s in spans:
        f[f"family={s.label_}:{s.id_}"] = 1.0
    sent_of = _sent_index(doc)
    sent_labels: dict[int, set[str]] = defaultdict(set)
    for s in spans:
        sent_labels[sent_of(s.start)].add(s.label_)
    linked = [labels for labels in sent_labels.values() if {"GIFT", "PROMOTION"} <= labels]
    f["gift_promotion_same_sentence"] = math.log1p(len(linked))
    f["gift_promotion_exchange_same_sentence"] = float(
        any("EXCHANGE" in labels or "THRESHOLD" in labels for labels in linked)
    )
    f["exchange_with_gift_sentence"] = float(
        any({"EXCHANGE", "GIFT"} <= labels for labels in sent_labels.values())
    )
    f["exchange_with_promotion_sentence"] = float(
        any({"EXCHANGE", "PROMOTION"} <= labels for labels in sent_labels.values())
    )
    f["threshold_with_gift_sentence"] = float(
        any({"THRESHOLD", "GIFT"} <= labels for labels in sent_labels.values())
    )
    f["gift_promotion_near"] = float(_near(by_label["GIFT"], by_label["PROMOTION"], window))
    f["exchange_near_gift"] = float(_near(by_label["EXCHANGE"], by_label["GIFT"], window))
    ents = Counter(e.label_ for e in doc.ents)
    vendors = {e.kb_id_ for e in doc.ents if e.label_ in ("VENDOR", "PRODUCT") and e.kb_id_}
    f["vendor_present"] = float(bool(vendors))
    f["n_vendors"] = math.log1p(len(vendors))
    f["money"] = float(ents["MONEY"] > 0)
    f["code"] = float(ents["CODE"] > 0)
    f["agency"] = float(ents["AGENCY"] > 0)
    f["sender_is_vendor"] = float(bool(doc.user_data.get("sender_vendor")))
    f["log_tokens"] = math.log1p(len(doc)) / 10
    return f


class DocFeatures(BaseEstimator, TransformerMixin):
    """Docs → feature dicts (a DictVectorizer follows it in the model Pipeline)."""

    def fit(self, X: Iterable[Doc], y: object = None) -> DocFeatures:
        return self

    def transform(self, X: Iterable[Doc]) -> list[dict[str, float]]:
        return [doc_features(doc) for doc in X]


class DocText(BaseEstimator, TransformerMixin):
    """Docs → their text, for the TF-IDF branch."""

    def fit(self, X: Iterable[Doc], y: object = None) -> DocText:
        return self

    def transform(self, X: Iterable[Doc]) -> list[str]:
        return [doc_text(doc) for doc in X]


def linked_text(doc: Doc) -> str:
    """The sentences where two kinds of phrase meet (gift and promotion, a condition beside a
    gift, ...): the few lines that carry the exchange, so n-grams can weigh them on their own
    even when they are buried in a long forward."""
    spans = doc.spans[SPANS_KEY] if SPANS_KEY in doc.spans else []
    if not spans or not doc.has_annotation("SENT_START"):
        return ""
    sents = list(doc.sents)
    starts = [s.start for s in sents]
    labels: dict[int, set[str]] = defaultdict(set)
    for span in spans:
        labels[bisect_right(starts, span.start) - 1].add(span.label_)
    keep = sorted(i for i, found in labels.items() if len(found & set(LINK_LABELS)) >= 2)
    return " ".join(sents[i].text for i in keep)


class LinkedText(BaseEstimator, TransformerMixin):
    """Docs → their linked sentences (see `linked_text`), for a second TF-IDF branch."""

    def fit(self, X: Iterable[Doc], y: object = None) -> LinkedText:
        self.placeholder_ = not any(linked_text(doc) for doc in X)
        return self

    def transform(self, X: Iterable[Doc]) -> list[str]:
        texts = [linked_text(doc) for doc in X]
        return [t or NO_LINK for t in texts] if self.placeholder_ else texts


def vendors_of(doc: Doc) -> list[str]:
    seen: dict[str, None] = {}
    for e in doc.ents:
        if e.label_ in ("VENDOR", "PRODUCT") and e.kb_id_:
            seen.setdefault(e.kb_id_, None)
    if doc.user_data.get("sender_vendor"):
        seen.setdefault(doc.user_data["sender_vendor"], None)
    return list(seen)


def _where(doc: Doc, start: int) -> str:
    """Where an offset of `Message.text` falls: the subject, the author's body or quoted history."""
    if start < doc.user_data.get("subject_chars", 0):
        return "subject"
    quote_start = doc.user_data.get("quote_start")
    return "quote" if quote_start is not None and start >= quote_start else "body"


def sentence_evidence(model: Any, doc: Doc) -> list[Evidence]:
    """The sentences the window scorer found strongest: what a reporter would quote."""
    return [Evidence(label=SENTENCE, text=text, start=start, end=end, where=_where(doc, start))
            for start, end, text, _score in model.sentences(doc)]  # fmt: skip


def evidence(doc: Doc) -> list[Evidence]:
    """Spans a reader can check, those in sentences that link two kinds of phrase first."""
    limit = settings()["evidence"]["max_spans"]
    spans = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    spans += [e for e in doc.ents if e.label_ in ENTITY_EVIDENCE]
    sent_of = _sent_index(doc)
    sent_labels: dict[int, set[str]] = defaultdict(set)
    for s in spans:
        sent_labels[sent_of(s.start)].add(s.label_)

    def linked(s: Span) -> bool:
        return len(sent_labels[sent_of(s.start)] & set(LINK_LABELS)) >= 2

    ranked = sorted(spans, key=lambda s: (not linked(s), s.start_char))[:limit]
    return [
        Evidence(
            label=s.label_,
            text=s.text,
            start=s.start_char,
            end=s.end_char,
            where=_where(doc, s.start_char),
        )
        for s in sorted(ranked, key=lambda s: (s.start_char, s.label_))
    ]
