"""Ingest speed of printed productions: pages/s for PDFs, messages/s for pdftotext dumps.

    python scripts/bench_ingest.py [--shared ../shared/corpora/real] [--pages 2000]

Reports the Chicago FOIA PDFs (when ../shared is present), a generated PDF of --pages pages (a
Bates-stamped production of one-page emails, written with fpdf2 from the test extra), and the
Pruitt text dumps; each with its peak RSS growth, which stays flat because readers stream.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE = """From:                Dana Reyes <dana.reyes@vigilant-example.com>
Sent:                Tuesday, March 5, 2024 9:13 AM
To:                  Ortiz, Sam <sortiz@harborview-pd.example.gov>
Subject:             Camera offer {n}

Lieutenant,

We can ship two more cameras at no cost if the department agrees to a quote for our
press release and shares the sign-up link with residents.

Dana

-----Original Message-----
From: Ortiz, Sam
Sent: Monday, March 4, 2024 4:00 PM
To: Dana Reyes
Subject: Camera offer

Can you send the terms?
Page {n} of {total}                                                  HPD-{n:06d}
"""


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_pdf(path: Path, pages: int) -> None:
    from fpdf import FPDF

    doc = FPDF(format="letter")
    doc.set_auto_page_break(False)
    doc.set_font("Courier", size=8)
    for n in range(1, pages + 1):
        doc.add_page()
        for k, line in enumerate(PAGE.format(n=n, total=pages).split("\n")):
            doc.text(10, 12 + k * 4, line)
    doc.output(str(path))


def build_mbox(path: Path, n: int) -> None:
    """n small messages written straight to an mbox file (the From_ line, headers, a body)."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(
                f"From sender{i % 50}@example.org Mon Jan  6 09:{i % 60:02d}:00 2020\n"
                f"From: Officer {i % 50} <sender{i % 50}@example.org>\nTo: records@example.gov\n"
                f"Subject: shift note {i}\nMessage-ID: <m{i}@example.org>\n"
                f"Date: Mon, 6 Jan 2020 09:{i % 60:02d}:00 -0800\n\n"
                f"Swap request {i} for the weekend detail; coverage confirmed with the sergeant.\n\n"
            )


def measure(label: str, paths: list[Path], unit: str) -> None:
    import pypdfium2 as pdfium

    from influence.readers import read_file

    before = rss_mb()
    start = time.perf_counter()
    messages = errors = 0
    for path in paths:
        for m in read_file(path):
            messages += 1
            errors += m.error is not None
    seconds = time.perf_counter() - start
    if unit == "pages":
        count = sum(len(pdfium.PdfDocument(str(p))) for p in paths)
    else:
        count = messages
    print(f"{label:28s} {count:6d} {unit:8s} {messages:6d} rows ({errors} errors) {seconds:7.2f} s "
          f"{count / seconds:8.1f} {unit}/s  peak RSS +{rss_mb() - before:.0f} MB")  # fmt: skip


def binder(tmp: Path, pages: int) -> None:
    """The generated binder of every print style (tests/binder.py): exact, and how fast."""
    from influence.readers import read_file
    from tests.binder import build
    from tests.test_pdf import render

    text, expected = build(pages)
    want = [(e["from"], e["subject"], e["page"], e["bates"], (e["date"] or "")[:16]) for e in expected]
    txt = tmp / "binder.txt"
    txt.write_text(text)
    pdf = render(text, tmp / "binder.pdf")
    for path, unit in ((txt, "pages"), (pdf, "pages")):
        before = rss_mb()
        start = time.perf_counter()
        got = [(m.from_, m.subject, m.page, m.bates, (m.date or "")[:16]) for m in read_file(path)]
        seconds = time.perf_counter() - start
        wrong = sum(g != w for g, w in zip(got, want)) + abs(len(got) - len(want))
        n = text.count("\f") + 1
        print(f"{'binder ' + path.suffix[1:] + f' ({n} pages)':28s} {n:6d} {unit:8s} {len(got):6d} rows "
              f"(expected {len(want)}, {wrong} wrong) {seconds:7.2f} s {n / seconds:8.1f} {unit}/s  "
              f"peak RSS +{rss_mb() - before:.0f} MB")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "corpora" / "real"))
    ap.add_argument("--pages", type=int, default=2000)
    args = ap.parse_args()
    shared = Path(args.shared)
    chicago = shared / "pdf-threads-chicago-police-foia"
    if chicago.is_dir():
        measure("Chicago FOIA PDFs", sorted(chicago.glob("*.pdf")), "pages")
    with tempfile.TemporaryDirectory(prefix="influence-bench-") as tmp:
        big = Path(tmp) / "production.pdf"
        build_pdf(big, args.pages)
        measure(f"generated PDF ({args.pages} pages)", [big], "pages")
        binder(Path(tmp), args.pages)
        # Memory stays flat as the mbox grows: the larger file must add (almost) nothing to the peak.
        for n in (20_000, 80_000):
            box = Path(tmp) / f"archive-{n}.mbox"
            build_mbox(box, n)
            measure(f"mbox ({n} messages)", [box], "messages")
            box.unlink()
    pruitt = shared / "pruitt-oklahoma-ag-foia-text"
    if pruitt.is_dir():
        measure("Pruitt text dumps", sorted(p for p in pruitt.iterdir() if p.is_file()), "messages")


if __name__ == "__main__":
    main()
