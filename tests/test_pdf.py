"""PDF reader: our printed threads rendered to PDF, scanned pages, and the real Chicago FOIA PDFs.

The fixtures in corpora/printed/ are rendered page by page (form feed = new page) with fpdf2, so a
PDF and its text dump must give the same messages (expectations shared with test_printed.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from influence.readers import pdf, read_file, sniff
from tests.test_printed import EXPECTED, PRINTED, REAL, check_fixture

fpdf = pytest.importorskip("fpdf")


def render(text: str, path: Path, image_pages: tuple[int, ...] = ()) -> Path:
    """Each form-feed page of `text` as a PDF page of Courier lines; `image_pages` are scans."""
    doc = fpdf.FPDF(format="letter")
    doc.set_auto_page_break(False)
    doc.set_font("Courier", size=8)
    pages = text.split("\f") if text else []
    for n in range(1, len(pages) + len(image_pages) + 1):
        doc.add_page()
        if n in image_pages:
            doc.image(_scan_png(), x=10, y=10, w=190)
            continue
        for k, line in enumerate(pages.pop(0).rstrip("\n").split("\n")):
            doc.text(10, 12 + k * 4, line.expandtabs(8))
    doc.output(str(path))
    return path


def _scan_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (850, 1100), 235).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_printed_fixture_as_pdf(name: str, tmp_path: Path) -> None:
    path = render((PRINTED / name).read_text(), tmp_path / name.replace(".txt", ".pdf"))
    assert sniff(path).NAME == "pdf"
    check_fixture(name, list(read_file(path)), str(path))


def test_scanned_pages_are_error_rows(tmp_path: Path) -> None:
    text = (PRINTED / "07-production-quoted-across-pages.txt").read_text()
    path = render(text, tmp_path / "mixed.pdf", image_pages=(3,))
    rows = list(read_file(path))
    scans = [m for m in rows if m.error]
    assert len(scans) == 1 and scans[0].page == 3 and scans[0].id == f"{path}#p3"
    assert scans[0].error == f"page 3: {pdf.NO_TEXT}"
    assert [m.id for m in rows if not m.error] == [f"{path}#1", f"{path}#2"]
    only = render("", tmp_path / "scan.pdf", image_pages=(1, 2))
    (row,) = read_file(only)
    assert (row.id, row.page, row.error) == (str(only), 1, pdf.NO_TEXT)


def test_ocr_option_without_tesseract(tmp_path: Path, monkeypatch) -> None:
    path = render("", tmp_path / "scan.pdf", image_pages=(1,))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    (row,) = pdf.read(path, str(path), ocr=True)
    assert row.error == pdf.NO_TESSERACT


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_ocr_reads_a_scanned_page(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=40)
    for k, line in enumerate(
        ["From: Dana Reyes", "To: Sam Ortiz", "Subject: Camera offer", "", "Two free cameras."]
    ):
        draw.text((150, 200 + 60 * k), line, fill=0, font=font)
    png = tmp_path / "page.png"
    img.save(png)
    doc = fpdf.FPDF(format="letter")
    doc.add_page()
    doc.image(str(png), x=0, y=0, w=215.9)
    doc.output(str(tmp_path / "ocr.pdf"))
    (m,) = pdf.read(tmp_path / "ocr.pdf", "ocr.pdf", ocr=True)
    assert m.error is None and m.subject == "Camera offer" and "cameras" in m.body


def test_broken_pdf_is_one_error_row(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
    (row,) = read_file(path)
    assert row.error.startswith("cannot read PDF")


# ------------------------------------------------------------------------------ real collection

SCANS = [
    "062 Response.pdf",
    "15-6588 Kalven F.pdf",
    "217 Response.pdf",
    "FOIA P428703 Responsive Records.pdf",
    "FOIA response letter 9-17-15.pdf",
    "Kalven, 16-1105 Responsive Letter.pdf",
    "P050032 Responsive Letter.pdf",
]
LETTERS = [
    "9-27-17 stecklow response letter.pdf",
    "CPB 2011-2017 FOIA.pdf",
    "CPB appeals FOIA.pdf",
    "OfficerBatteryReportrequest.pdf",
    "P054496Responsive.pdf",
    "follow-up FOIA.pdf",
    "p0-50685 letter.pdf",
]
# Checked by hand against the rendered pages: one message each (the first one's header, its reply
# chain in `quoted`): from, subject, date, how `quoted` starts.
THREADS = {
    "Awards Correction Aug 30 2017.pdf": (
        "Sam Stecklow",
        "Fw: FOIA Update",
        None,
        "----------- Forwarded message -----------\nFrom: landon.karr@",
    ),
    "CPB 1960s-2011 data email.pdf": (
        "Caproni, Max",
        "RE: Freedom of Information Request",
        "2017-05-01T15:56:00",
        "From: Caproni, Max\nSent: Monday, April 24, 2017 10:39 AM",
    ),
    "CPB 2011-2017 case data email.pdf": (
        "CPBFOIA",
        "RE: Freedom of Information Request",
        "2017-02-28T10:18:00",
        "From: Sam Stecklow [mailto:sam.stecklow@gmail.com]",
    ),
    "CPB IPRA_CPD disputes requests.pdf": (
        "Caproni, Max",
        "RE: FOIA Request: IPRA/CPD Disputes",
        "2017-05-08T18:48:00",
        "From: Sam Stecklow [mailto:sam.stecklow@gmail.com]",
    ),
    "CPB court appeals.pdf": (
        "Sam Stecklow",
        "RE: FOIA Request: Appeals of CPB decisions",
        "2017-07-31T13:28:00",
        "On July 31, 2017 at 1:20:08 PM, Caproni, Max",
    ),
}


def chicago() -> Path:
    path = REAL / "pdf-threads-chicago-police-foia"
    if not path.is_dir():
        pytest.skip(f"real corpus not available: {path}")
    return path


def test_real_chicago_pdfs() -> None:
    root = chicago()
    assert sorted(p.name for p in root.glob("*.pdf")) == sorted(SCANS + LETTERS + list(THREADS))
    for name in SCANS:
        (row,) = read_file(root / name)
        assert (row.error, row.page) == (pdf.NO_TEXT, 1), name
    for name in LETTERS:
        (row,) = read_file(root / name)
        assert row.error is None and row.from_ is None and row.page == 1 and len(row.body) > 500, name
    for name, (sender, subject, date, quoted) in THREADS.items():
        (m,) = read_file(root / name)
        assert (m.from_, m.subject, m.date, m.page) == (sender, subject, date, 1), name
        assert " ".join(m.quoted.split()).startswith(" ".join(quoted.split())), (name, m.quoted[:80])
        assert "wrote:" not in m.body and "Forwarded message" not in m.body
    (awards,) = read_file(root / "Awards Correction Aug 30 2017.pdf")
    assert awards.body.startswith("Hi so") and "Invisible Institute Mail" not in awards.body
    (appeals,) = read_file(root / "CPB court appeals.pdf")
    assert appeals.body.startswith("Understood, thank you") and appeals.to == "Caproni, Max"
