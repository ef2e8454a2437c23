"""Printed-email splitting against expectations: our printed documents and the real releases.

    python scripts/ingest_report.py [--shared ../shared/corpora/real] [--no-pdf] [-v]

For every document in corpora/printed/ (read as a text dump and, with fpdf2 installed, rendered
to PDF the way the tests do) it prints the messages expected and found, then one line per real
collection under --shared: the Chicago police PDFs, the State Department text documents and the
Oklahoma AG productions, against the expectations the tests hold for them. Exit status 1 when
any of our documents does not split exactly.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from influence.readers import read_file  # noqa: E402
from influence.threads import link_messages  # noqa: E402

PRINTED = ROOT / "corpora" / "printed"
FIELDS = ("from", "subject", "page", "bates", "date")


def found_fields(m) -> dict:
    return {"from": m.from_, "subject": m.subject, "page": m.page, "bates": m.bates, "date": m.date}


def compare(expected: list[dict], rows: list) -> list[str]:
    """What differs, one line per message; empty when the document splits exactly."""
    problems = []
    if len(rows) != len(expected):
        problems.append(f"expected {len(expected)} messages, found {len(rows)}")
    for n, (want, m) in enumerate(zip(expected, rows), 1):
        got = found_fields(m)
        bad = [
            f"{k}: {got[k]!r} != {want[k]!r}"
            for k in FIELDS
            if (str(got[k] or "")[:16] if k == "date" else got[k])
            != (str(want[k] or "")[:16] if k == "date" else want[k])
        ]
        body = re.sub(r"^(?:(?:When|Where): .*\n)+\n?", "", m.body)  # an invite's time and place
        if not " ".join(body.split()).startswith(" ".join(want["body_start"].split())):
            bad.append(f"body starts {m.body[:40]!r}")
        if bool(m.quoted) != bool(want["quoted"]):
            bad.append(f"quoted {bool(m.quoted)} != {bool(want['quoted'])}")
        if "duplicate_of" in want and m.duplicate_of is None:
            bad.append("not marked as a duplicate")
        if bad:
            problems.append(f"#{n}: " + "; ".join(bad))
    return problems


def read_rows(path: Path) -> list:
    return list(link_messages(read_file(path)))


def our_documents(folder: Path, pdf: bool, verbose: bool) -> bool:
    render = None
    if pdf:
        try:
            from tests.test_pdf import render
        except Exception:  # fpdf2 is in the test extra
            print("(fpdf2 not installed: text dumps only)")
    exact = True
    total = found = 0
    print("txt/pdf: ok when the document splits exactly, else the number of messages found")
    print(f"{'document':44} {'style':58} {'exp':>4} {'txt':>4} {'pdf':>4}")
    for sidecar in sorted(folder.glob("*.expected.json")):
        doc = json.loads(sidecar.read_text())
        name = sidecar.name.replace(".expected.json", ".txt")
        expected = doc["messages"]
        runs = {"txt": read_rows(folder / name)}
        if render is not None:
            with tempfile.TemporaryDirectory() as tmp:
                path = render((folder / name).read_text(), Path(tmp) / name.replace(".txt", ".pdf"))
                runs["pdf"] = read_rows(path)
        problems = {kind: compare(expected, rows) for kind, rows in runs.items()}
        marks = {kind: ("ok" if not p else str(len(runs[kind]))) for kind, p in problems.items()}
        style = doc["style"][:58]
        print(f"{name:44} {style:58} {len(expected):>4} {marks['txt']:>4} {marks.get('pdf', '-'):>4}")
        total += len(expected)
        found += len(expected) if not any(problems.values()) else 0
        for kind, lines in problems.items():
            exact = exact and not lines
            for line in lines:
                print(f"    {kind} {line}")
        if verbose:
            for m in runs["txt"]:
                print(f"    p{m.page} {m.bates or '':14} {m.from_} | {m.date} | {m.subject}")
    verdict = "every document splits exactly" if exact else "NOT every document splits exactly"
    print(f"\n{found} of {total} expected messages are in documents that split exactly: {verdict}")
    return exact


def real_collections(shared: Path) -> None:
    if not shared.is_dir():
        print(f"\n{shared} not found: real collections skipped")
        return
    print(f"\nReal collections under {shared}")
    chicago = shared / "pdf-threads-chicago-police-foia"
    if chicago.is_dir():
        from tests.test_pdf import LETTERS, SCANS, THREADS

        ok = 0
        for name, (sender, subject, date, _quoted) in THREADS.items():
            rows = list(read_file(chicago / name))
            good = len(rows) == 1 and (rows[0].from_, rows[0].subject, rows[0].date) == (
                sender,
                subject,
                date,
            )
            ok += good
            if not good:
                print(f"    chicago {name}: {[(m.from_, m.subject, m.date) for m in rows]}")
        print(
            f"  Chicago police PDFs: {ok} of {len(THREADS)} threads as expected "
            f"({len(SCANS)} scans and {len(LETTERS)} letters checked by the tests)"
        )
    clinton = shared / "clinton-state-dept-foia-text"
    if clinton.is_dir():
        from tests.test_printed import CLINTON

        ok = 0
        for doc, (count, sender, subject, bates, _quoted) in CLINTON.items():
            rows = list(read_file(clinton / doc))
            first = (rows[0].from_, rows[0].subject, rows[0].bates) if rows else None
            good = len(rows) == count and first == (sender, subject, bates)
            ok += good
            if not good:
                print(f"    state {doc}: {len(rows)} rows, first {first}")
        print(f"  State Department documents: {ok} of {len(CLINTON)} as expected")
    pruitt = shared / "pruitt-oklahoma-ag-foia-text"
    if pruitt.is_dir():
        from tests.test_printed import PRUITT

        for name, (total, _checks) in PRUITT.items():
            rows = list(read_file(pruitt / name))
            pages = max((m.page or 0) for m in rows)
            mark = "as expected" if len(rows) == total else f"EXPECTED {total}"
            print(f"  Oklahoma AG {name}: {len(rows)} messages on {pages} pages, {mark}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "corpora" / "real")
    parser.add_argument("--dir", type=Path, default=PRINTED, help="documents with .expected.json")
    parser.add_argument("--no-pdf", action="store_true", help="text dumps only")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    exact = our_documents(args.dir, not args.no_pdf, args.verbose)
    real_collections(args.shared)
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
