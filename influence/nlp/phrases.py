"""`influence_phrases`: GIFT, PROMOTION, EXCHANGE and THRESHOLD spans in `doc.spans["influence"]`.

Spans of different labels may overlap ("free trial for every referral"), so they live in a span
group rather than in `doc.ents`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from influence.nlp.rules import RuleSet, read_patterns

LABELS = ("GIFT", "PROMOTION", "EXCHANGE", "THRESHOLD")
FILENAME = "phrases.jsonl"


@Language.factory(
    "influence_phrases",
    assigns=["doc.spans"],
    default_config={"spans_key": "influence"},
)
def make_phrases(nlp: Language, name: str, spans_key: str) -> PhraseTagger:
    return PhraseTagger(nlp, name, spans_key=spans_key)


class PhraseTagger:
    def __init__(self, nlp: Language, name: str, *, spans_key: str = "influence"):
        self.name = name
        self.spans_key = spans_key
        self.rules = RuleSet(nlp, name)

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        patterns: list[dict[str, Any]] | None = None,
    ) -> None:
        """Load patterns: the given ones, else the packaged `phrases.jsonl`."""
        self.rules._clear()
        self.rules.add(patterns if patterns is not None else read_patterns(None, FILENAME))

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[self.spans_key] = self.rules(doc)
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        self.rules.to_disk(Path(path), FILENAME)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> PhraseTagger:
        self.rules.from_disk(Path(path), FILENAME)
        return self
