"""The shipped corpus: fixed splits without leakage, and guide-consistent labels."""

from __future__ import annotations

from collections import Counter

from influence.splits import assign_splits, near_duplicate_pairs
from tests.conftest import labeled_rows


def test_no_near_duplicates_across_splits() -> None:
    rows = labeled_rows()
    pairs = near_duplicate_pairs([r["text"] for r in rows])
    crossing = [(rows[i]["id"], rows[j]["id"]) for i, j in pairs if rows[i]["split"] != rows[j]["split"]]
    assert crossing == []


def test_threads_never_cross_splits() -> None:
    split_of: dict[str, set[str]] = {}
    for r in labeled_rows():
        split_of.setdefault(r["thread_id"], set()).add(r["split"])
    assert {t: s for t, s in split_of.items() if len(s) > 1} == {}


def test_splits_are_reproducible_and_cover_patterns() -> None:
    rows = labeled_rows()
    assert assign_splits(rows) == [r["split"] for r in rows]  # existing splits are kept
    fresh = [{k: v for k, v in r.items() if k != "split"} for r in rows]
    assert assign_splits(fresh) == assign_splits(fresh)  # and a fresh assignment is deterministic
    added = {**rows[0], "id": "new-1", "text": "A new message in an old thread."}
    assert assign_splits([*rows, added])[-1] == rows[0]["split"]
    test_patterns = {r["pattern"] for r in rows if r["split"] == "test" and r["promotion_for_gifts"]}
    # the first rounds' scenarios all reach the test split; later writers' rows never do (their
    # files are split writer by writer: train and validation, or held out whole)
    pooled = [r for r in rows if not r.get("writer")]
    all_patterns = Counter(r["pattern"] for r in pooled if r["promotion_for_gifts"])
    common = {p for p, n in all_patterns.items() if n >= 8}
    assert common <= test_patterns


def test_later_writers_never_share_a_split_with_their_own_test_rows() -> None:
    """A writer's style must not cross from training into an evaluation split: rows with a
    `writer` are either held out whole (a new-writer test file) or in train and validation only."""
    by_writer: dict[str, set[str]] = {}
    for r in labeled_rows():
        if r.get("writer"):
            by_writer.setdefault(r["writer"], set()).add(r["split"])
    for writer, splits in by_writer.items():
        assert splits == {"holdout"} or splits <= {"train", "validation"}, (writer, splits)


def test_labels_follow_the_guide() -> None:
    rows = labeled_rows()
    assert len(rows) >= 1000
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["promotion_for_gifts"] in (0, 1)
        if r["promotion_for_gifts"]:
            assert r["gift_offer"] == 1 and r["promotion_request"] == 1, r["id"]


def test_near_duplicate_detector_finds_a_light_edit() -> None:
    a = ("Once your code hits ten redemptions the station moves to Gold and we ship five more "
         "doorbells to the front desk for the community team to hand out at events.")  # fmt: skip
    b = a.replace("five", "six").replace("front desk", "watch office")
    c = "The range is closed Friday; qualification moves to the 14th."
    assert near_duplicate_pairs([a, b, c]) == [(0, 1)]


def test_dataset_card_agrees_with_the_files() -> None:
    from tests.conftest import ROOT

    rows = labeled_rows()
    card = (ROOT / "corpora" / "README.md").read_text()
    assert f"Total: {len(rows)} messages, {sum(r['promotion_for_gifts'] for r in rows)} positives" in card
    for split in ("train", "validation", "test", "holdout"):
        n = sum(r["split"] == split for r in rows)
        assert f"| {split} | {n} |" in card


def test_rationales_are_valid_spans_of_positives() -> None:
    """`rationale` (GUIDE.md): character offsets into `text` of the words that carry the exchange.
    Only positives carry one, and a file that has any has one for every positive (annotation goes
    file by file; the files still to do have none yet)."""
    rows = labeled_rows()
    by_file: dict[str, list[dict]] = {}
    for r in rows:
        by_file.setdefault(r["id"].split("-")[0], []).append(r)
    annotated = 0
    for prefix, file_rows in by_file.items():
        has = [r for r in file_rows if r.get("rationale")]
        if not has:
            continue
        annotated += 1
        for r in file_rows:
            spans = r.get("rationale") or []
            assert bool(spans) == bool(r["promotion_for_gifts"]), (prefix, r["id"])
            for start, end in spans:
                assert 0 <= start < end <= len(r["text"]) and r["text"][start:end].strip(), r["id"]
                assert end - start <= 600, r["id"]  # a sentence or two, not the message
            assert spans == sorted(spans), r["id"]
    assert annotated >= 1


def test_no_phrase_pattern_matches_only_test_rows() -> None:
    """A phrase that turns up in the test split but nowhere in train or validation can only have
    come from reading test sentences (issue 9 retired nine such), so it would flatter the test
    figures and teach the model nothing. Matching is by words, case-insensitive, as the ruler does.
    The holdout is not checked here: a guide phrase first met in new writers' mail is the point."""
    import re

    from influence.nlp.phrases import FILENAME
    from influence.nlp.rules import read_patterns

    rows = labeled_rows()
    seen = "\n".join(r["text"] for r in rows if r["split"] in ("train", "validation"))
    test = "\n".join(r["text"] for r in rows if r["split"] == "test")
    only_test = []
    for pattern in read_patterns(None, FILENAME):
        phrase = pattern.get("pattern")
        if not isinstance(phrase, str):  # regexes and token patterns are structure, not phrasings
            continue
        rx = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.split())) + r"(?!\w)", re.I)
        if rx.search(test) and not rx.search(seen):
            only_test.append(phrase)
    assert only_test == []
