"""`influence_entities`: vendors, products, agencies, money, codes and dates in `doc.ents`.

Vendor names, aliases, products and email domains come from `patterns/vendors.jsonl`; other
entity rules from `entities.jsonl` and `agencies.jsonl`. Our domain labels take precedence over a
trained NER's entities where they overlap; the rest of its entities (PERSON, ORG, ...) are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans

from influence.nlp.rules import RuleSet, doc_text, read_patterns

VENDORS_FILE = "vendors.jsonl"
RULES_FILE = "entity_rules.jsonl"


def vendor_patterns(vendors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Gazetteer entries to patterns: aliases match any case, products and short names exactly."""
    patterns = []
    for v in vendors:
        name = v["vendor"]
        exact = v.get("case_sensitive_aliases", [])
        # A name that is also a common word ("Ring", "Citizen") is matched only as written.
        for alias in [name, *v.get("aliases", [])]:
            if alias not in exact:
                patterns.append({"label": "VENDOR", "pattern": alias, "id": name})
        for alias in exact:
            patterns.append({"label": "VENDOR", "pattern": alias, "id": name, "attr": "ORTH"})
        for product in v.get("products", []):
            # Plurals too ("five Stick Up Cams"); a nonsense plural simply never matches.
            for form in (product, f"{product}s") if product[-1:].islower() else (product,):
                patterns.append({"label": "PRODUCT", "pattern": form, "id": name, "attr": "ORTH"})
    return patterns


def domain_index(vendors: Iterable[dict[str, Any]]) -> dict[str, str]:
    return {d.lower(): v["vendor"] for v in vendors for d in v.get("domains", [])}


def vendor_for_domain(domain: str | None, index: dict[str, str]) -> str | None:
    """The vendor owning an email domain or one of its subdomains (mail.ring.com -> Ring)."""
    if not domain:
        return None
    parts = domain.lower().split(".")
    for i in range(len(parts) - 1):
        hit = index.get(".".join(parts[i:]))
        if hit:
            return hit
    return None


_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


@Language.factory("influence_entities", assigns=["doc.ents"], default_config={})
def make_entities(nlp: Language, name: str) -> EntityTagger:
    return EntityTagger(nlp, name)


class EntityTagger:
    def __init__(self, nlp: Language, name: str):
        self.name = name
        self.rules = RuleSet(nlp, name)
        self.vendors: list[dict[str, Any]] = []
        self.domains: dict[str, str] = {}
        self._extra: list[dict[str, Any]] = []

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        vendors: list[dict[str, Any]] | None = None,
        patterns: list[dict[str, Any]] | None = None,
    ) -> None:
        """Load the gazetteer and entity rules: the given ones, else the packaged defaults."""
        self.vendors = vendors if vendors is not None else read_patterns(None, VENDORS_FILE)
        if patterns is None:
            patterns = read_patterns(None, "entities.jsonl") + read_patterns(None, "agencies.jsonl")
        self._build(patterns)

    def _build(self, patterns: list[dict[str, Any]]) -> None:
        self.domains = domain_index(self.vendors)
        self.rules._clear()
        self.rules.add(vendor_patterns(self.vendors))
        self.rules.add(patterns)
        self._extra = patterns

    def __call__(self, doc: Doc) -> Doc:
        ours = self.rules(doc)
        for m in _EMAIL.finditer(doc_text(doc)):
            vendor = vendor_for_domain(m.group(1), self.domains)
            span = doc.char_span(*m.span(), label="VENDOR", kb_id=vendor or "", alignment_mode="expand")
            if vendor and span is not None:
                ours.append(span)
        ours = filter_spans(ours)
        taken = {i for s in ours for i in range(s.start, s.end)}
        theirs = [e for e in doc.ents if not any(i in taken for i in range(e.start, e.end))]
        doc.ents = sorted(ours + theirs, key=lambda s: s.start)
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / VENDORS_FILE, self.vendors)
        srsly.write_jsonl(path / RULES_FILE, self._extra)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> EntityTagger:
        path = Path(path)
        self.vendors = list(srsly.read_jsonl(path / VENDORS_FILE))
        self._build(list(srsly.read_jsonl(path / RULES_FILE)))
        return self
