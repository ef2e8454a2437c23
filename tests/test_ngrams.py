"""The faster n-gram counts give the rows sklearn's own transform gives, on realistic mail."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from influence.corpus import load_corpus
from influence.model import TARGET, load_model
from influence.ngrams import CharTfidf, char_wb_counts, window_rows
from influence.nlp import docs_for, load
from influence.types import Message
from influence.windows import windows
from tests.conftest import CORPUS

# What scoring meets besides the corpus: OCR runs, accents, digits, cut tokens, empty bodies.
ODD = [
    "",
    "   \n\n  ",
    "Señora Núñez: la cámara gratis llega el 12/03 si 25 vecinos descargan la app.",
    "RELEASE IN PART B6\n\nFrom:\nSent:\nTo:\n\n" + "\n".join("pdftotext one word per line".split()),
    "word " * 200 + "supercalifragilisticexpialidocious",
    "Code RING-LAPD-2016 used 10x;10 more->Platinum!!!" * 3,
]


@pytest.fixture(scope="module")
def nlp():
    return load()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [e.message.text for e in load_corpus([CORPUS]).where("train")[::15]] + ODD


def _same(a, b) -> None:
    assert a.shape == b.shape
    diff = a - b
    assert (abs(diff).max() if diff.nnz else 0.0) < 1e-12


def test_char_counts_match_sklearn(texts) -> None:
    plain = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True).fit(texts)
    fast = CharTfidf(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True).fit(texts)
    assert fast.vocabulary_ == plain.vocabulary_
    new = list(reversed(texts))  # a second call reads words cached by the first
    _same(fast.transform(texts), plain.transform(texts))
    _same(fast.transform(new), plain.transform(new))
    counts = char_wb_counts(plain, ["", "abc abc"])
    assert counts[0].nnz == 0 and counts[1].sum() == 2 * sum(1 for g in plain._char_wb_ngrams("abc")
                                                             if g in plain.vocabulary_)  # fmt: skip


def test_word_cache_is_per_vectorizer(texts) -> None:
    a = CharTfidf(analyzer="char_wb", ngram_range=(3, 4)).fit(texts[:40])
    b = CharTfidf(analyzer="char_wb", ngram_range=(3, 5)).fit(texts[40:])
    for vec in (a, b, a):
        _same(vec.transform(texts), TfidfVectorizer.transform(vec, texts))


def test_window_rows_match_sklearn(nlp, texts) -> None:
    messages = [Message(id=str(i), source="t", body=t) for i, t in enumerate(texts)]
    docs = list(docs_for(nlp, messages))
    wins = [w for d in docs for w in windows(d)]
    assert any(w.segments[0] != w.segments[1] for w in wins)
    shipped = load_model().pipelines[TARGET].steps[-1][1].vectorizers_[:2]  # words, characters
    vecs = (*shipped, TfidfVectorizer(ngram_range=(1, 3)).fit([w.text for w in wins]))  # trigrams cross too
    for vec in vecs:
        _same(window_rows(vec, wins), TfidfVectorizer.transform(vec, [w.text for w in wins]))


def test_a_pair_not_joined_by_whitespace_is_analysed_whole(nlp) -> None:
    # 60-token cuts fall between a word and its comma: the pair's text is not its halves spaced.
    body = ("alpha beta gamma delta epsilon zeta eta theta iota kappa," * 12).strip()
    doc = next(docs_for(nlp, [Message(id="m", source="t", body=body)]))
    wins = windows(doc)
    assert len(wins) > 2
    vec = TfidfVectorizer(ngram_range=(1, 2)).fit([body])
    _same(window_rows(vec, wins), vec.transform([w.text for w in wins]))
