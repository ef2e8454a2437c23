"""Patterns-as-data matching shared by our components (the idea of spaCy's SpanRuler).

A pattern is `{"label": ..., "pattern": str | list[dict], "id": optional}`: strings go to a
case-insensitive PhraseMatcher, token lists to the Matcher. `{"label": ..., "regex": "..."}`
patterns run Python's `re` over the doc text (case-insensitive unless `"case_sensitive": true`; a
group named `span` narrows the span) and snap to token boundaries. The shipped patterns use only
phrases and regexes: token patterns with REGEX or open-ended operators cost more than the whole
tokenizer on long documents, and re over the text does the same job in C. Nothing needs a trained
model, so the rules work on a blank pipeline.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from influence.errors import InfluenceError

PACKAGE_DATA = "influence.patterns"
TEXT_KEY = "influence_text"
EXPECTED = (
    "each line must be a JSON object with the keys 'label' and 'pattern' "
    "(a string or a list of token dicts) or 'regex', and optionally 'id', 'attr' (LOWER or ORTH) "
    "and 'case_sensitive'"
)


def read_patterns(path: str | Path | None, default_name: str) -> list[dict[str, Any]]:
    """Patterns from a JSONL file, or the packaged default of that name."""
    if path is None:
        with resources.files(PACKAGE_DATA).joinpath(default_name).open("rb") as fh:
            lines = fh.read().decode("utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    try:
        return list(srsly.read_jsonl(path))
    except (OSError, ValueError) as exc:
        raise InfluenceError(f"Cannot read patterns file {path}: {exc}; {EXPECTED}") from exc


def doc_text(doc: Doc) -> str:
    """`doc.text`, built once per doc: spaCy joins every token's text on each access, and the
    components, the windows and the model branches each read it (a third of scoring time on long
    releases). Kept with the token count, so a doc built with copied user data never reads another
    doc's text."""
    cached = doc.user_data.get(TEXT_KEY)
    if cached is not None and cached[0] == len(doc):
        return cached[1]
    text = doc.text
    doc.user_data[TEXT_KEY] = (len(doc), text)
    return text


def patterns_hash(patterns: Iterable[dict[str, Any]]) -> str:
    blob = "\n".join(json.dumps(p, sort_keys=True) for p in patterns)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class RuleSet:
    """Matcher + PhraseMatcher over one list of patterns; returns non-overlapping spans per label."""

    def __init__(self, nlp: Language, name: str):
        self.nlp = nlp
        self.name = name
        self.patterns: list[dict[str, Any]] = []
        self._clear()

    def _clear(self) -> None:
        self.matcher = Matcher(self.nlp.vocab, validate=True)
        self.regexes: list[tuple[re.Pattern[str], str, str]] = []
        self.phrase_matchers = {attr: PhraseMatcher(self.nlp.vocab, attr=attr) for attr in ("LOWER", "ORTH")}
        self.patterns = []

    def add(self, patterns: Iterable[dict[str, Any]]) -> None:
        phrase_texts: dict[tuple[str, str, str], list[str]] = {}
        for i, p in enumerate(patterns):
            if isinstance(p, dict) and "label" in p and isinstance(p.get("regex"), str):
                flags = 0 if p.get("case_sensitive") else re.IGNORECASE
                try:
                    rx = re.compile(p["regex"], flags)
                except re.error as exc:
                    raise InfluenceError(f"{self.name}: pattern {i} has a bad regex: {exc}") from exc
                self.regexes.append((rx, p["label"], p.get("id", "")))
                self.patterns.append(p)
                continue
            if (
                not isinstance(p, dict)
                or "label" not in p
                or not isinstance(p.get("pattern"), (str, list))
                or p.get("attr", "LOWER") not in self.phrase_matchers
            ):
                raise InfluenceError(
                    f"{self.name}: pattern {i} needs the keys 'label' and 'pattern', got {p!r}; {EXPECTED}"
                )
            key = f"{p['label']}|{p.get('id', '')}"
            if isinstance(p["pattern"], str):
                attr = p.get("attr", "LOWER")
                phrase_texts.setdefault((key, attr, ""), []).append(p["pattern"])
            else:
                try:
                    self.matcher.add(key, [p["pattern"]])
                except ValueError as exc:  # spaCy's MatchPatternError
                    raise InfluenceError(
                        f"{self.name}: pattern {i} is not a valid token pattern: {exc}"
                    ) from exc
            self.patterns.append(p)
        # make_doc, not nlp(): phrase patterns need only the tokenizer.
        for (key, attr, _), texts in phrase_texts.items():
            self.phrase_matchers[attr].add(key, [self.nlp.make_doc(t) for t in texts])

    def __call__(self, doc: Doc) -> list[Span]:
        found: dict[str, list[Span]] = {}
        matches = list(self.matcher(doc)) if len(self.matcher) else []
        for pm in self.phrase_matchers.values():
            matches.extend(pm(doc))
        strings = self.nlp.vocab.strings
        for match_id, start, end in matches:
            label, _, span_id = strings[match_id].partition("|")
            found.setdefault(label, []).append(
                Span(doc, start, end, label=label, kb_id=span_id, span_id=span_id)
            )
        text = doc_text(doc)
        for rx, label, span_id in self.regexes:
            for m in rx.finditer(text):
                start, end = m.span("span") if "span" in rx.groupindex else m.span()
                span = doc.char_span(
                    start, end, label=label, kb_id=span_id, span_id=span_id, alignment_mode="expand"
                )
                if span is not None and len(span):
                    found.setdefault(label, []).append(span)
        spans: list[Span] = []
        for label_spans in found.values():
            spans.extend(filter_spans(label_spans))
        return sorted(spans, key=lambda s: (s.start, s.end, s.label_))

    def to_disk(self, path: Path, filename: str) -> None:
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / filename, self.patterns)

    def from_disk(self, path: Path, filename: str) -> None:
        self._clear()
        self.add(srsly.read_jsonl(path / filename))
