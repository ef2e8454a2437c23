"""Build the spaCy pipeline: a blank English base (or an installed trained one) plus our rules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from influence.errors import InfluenceError
from influence.nlp import gazetteer, phrases  # noqa: F401  (registers the factories)
from influence.nlp.rules import read_patterns
from influence.types import Message

SPANS_KEY = "influence"
# Cap on characters given to spaCy per message; longer bodies are cut (the cut is recorded).
MAX_CHARS = 200_000


def load(spacy_model: str | None = None, patterns: str | Path | None = None) -> Language:
    """Blank English with a sentencizer, or `spacy_model`, plus influence's components."""
    if spacy_model:
        try:
            nlp = spacy.load(spacy_model, exclude=["lemmatizer"])
        except OSError as exc:
            raise InfluenceError(
                f"spaCy model {spacy_model!r} is not installed; install it with pip, "
                "or leave out --spacy-model to use the built-in rules only"
            ) from exc
    else:
        nlp = spacy.blank("en")
    if not nlp.has_pipe("parser") and not nlp.has_pipe("senter"):
        nlp.add_pipe("sentencizer")
    entities = nlp.add_pipe("influence_entities", last=True)
    tagger = nlp.add_pipe("influence_phrases", last=True, config={"spans_key": SPANS_KEY})
    entities.initialize(nlp=nlp)
    tagger.initialize(nlp=nlp, patterns=read_patterns(patterns, phrases.FILENAME) if patterns else None)
    nlp.max_length = max(nlp.max_length, MAX_CHARS + 1000)
    return nlp


@lru_cache(maxsize=4)
def default_nlp(spacy_model: str | None = None) -> Language:
    return load(spacy_model)


def docs_for(nlp: Language, messages: Iterable[Message], batch_size: int = 64) -> Iterator[Doc]:
    """Docs for messages, in order, each knowing its sender's vendor (a feature for the model)."""
    tagger = nlp.get_pipe("influence_entities")
    pairs = ((m.text[:MAX_CHARS], m) for m in messages)
    for doc, message in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
        doc.user_data["sender_vendor"] = gazetteer.vendor_for_domain(message.sender_domain, tagger.domains)
        doc.user_data["subject_chars"] = len(message.subject) + 2 if message.subject else 0
        doc.user_data["quote_start"] = message.quote_start
        yield doc
