"""A generated binder of printed email: the documents of corpora/printed/, one after another until
the binder has the pages asked for, every page Bates-stamped as a records office would, with the
messages a reader sees in it (each document's expectations moved to its place in the binder).

Gmail conversation prints go in too: each print job's title line names its own pages, so a
Gmail print between Outlook prints is read as Gmail where it stands. Used by test_printed.py (a
short binder) and by scripts/bench_ingest.py (2,000 pages, as text and as PDF).
"""

from __future__ import annotations

import json
from pathlib import Path

from influence.readers.furniture import clean_page

PRINTED = Path(__file__).resolve().parents[1] / "corpora" / "printed"


def documents() -> list[tuple[list[str], list[dict]]]:
    """(pages, expected messages) of each document that can go into a binder."""
    out = []
    for sidecar in sorted(PRINTED.glob("*.expected.json")):
        pages = (PRINTED / sidecar.name.replace(".expected.json", ".txt")).read_text().split("\f")
        out.append((pages, json.loads(sidecar.read_text())["messages"]))
    return out


def build(pages: int) -> tuple[str, list[dict]]:
    """The binder's text (form feed between pages) and its expected messages, in order."""
    docs = documents()
    text: list[str] = []
    expected: list[dict] = []
    k = 0
    while len(text) < pages:
        doc_pages, messages = docs[k % len(docs)]
        k += 1
        offset = len(text)
        stamps = []
        for page in doc_pages:
            own = clean_page(1, page).bates
            stamp = own or f"BINDER-{len(text) + 1:06d}"
            text.append(page if own else f"{page.rstrip()}\n\n{stamp}")
            stamps.append(stamp)
        for m in messages:
            m = {k: v for k, v in m.items() if k != "duplicate_of"}  # an index within its document
            expected.append(dict(m, page=m["page"] + offset, bates=stamps[m["page"] - 1]))
    return "\f".join(text), expected
