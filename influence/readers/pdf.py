"""PDF files with a text layer: printed email threads, letters and productions, one row per email.

Text comes from **pypdfium2** (PDFium, the engine in Chrome, shipped inside the wheel). Measured on
the Chicago FOIA PDFs it reads pages 4-6x faster than pypdf and pdfminer.six, keeps a production's
memory flat because it loads one page at a time, and gives the same reading order as pdfminer's
layout analysis once each line is placed by its position on the page (PDFium itself returns
lines in content-stream order, which puts a Gmail print's sender line at the foot of the page).
pdfminer.six (and pdfplumber on top of it) is pure Python and far slower on long productions;
pypdf orders text by content stream too and is slower still on big files.

Each page becomes lines; `printed.split_pages` removes page furniture and splits the stream into
messages (see that module for the rules). A page without any text but with images is a scan: it
becomes an error row ("no text layer; run OCR ...") unless OCR is asked for (`read(..., ocr=True)`
or `pdf.OCR = True`) and `tesseract` is installed, in which case the page is rendered at 300 dpi
and its OCR text is split like any other.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from influence.readers.furniture import Page, clean_page
from influence.readers.printed import number_messages, split_pages
from influence.types import Message

NAME = "pdf"
EXTENSIONS = {".pdf"}
OCR = False  # module-wide default for `read(..., ocr=None)`; a CLI --ocr flag sets this
OCR_DPI = 300
NO_TEXT = "no text layer; run OCR (or pass --ocr with tesseract installed)"
NO_TESSERACT = (
    "no text layer and OCR was asked for, but tesseract is not installed (apt-get install tesseract-ocr)"
)


def match(head: bytes, path: Path) -> int:
    return 95 if b"%PDF-" in head[:1024] else 0


_LABEL_AT = re.compile(r"^(\S[^:]{0,24}:) (?=\S)")


def page_lines(page) -> str:
    """The page's text, lines in reading order (top to bottom, then left to right).

    Extraction collapses the blank space of the printed layout, which the splitter reads: an
    indented line is given back its indent, and a header label whose value sits in a column
    (`From:        Dana Reyes`, how a mail client prints its own headers, unlike the `From: Dana`
    it writes into a reply) gets the gap back, both measured from the glyph boxes.
    """
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        if textpage.count_chars() <= 0:
            return ""
        text = textpage.get_text_range()

        def box(index: int) -> tuple[float, float, float, float] | None:
            ci = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage.raw, index)
            return textpage.get_charbox(ci) if ci >= 0 else None

        placed: list[tuple[float, float, int, str]] = []
        widths: list[float] = []
        pos = 0
        for n, raw in enumerate(text.split("\n")):
            line = raw.rstrip("\r")
            stripped = line.lstrip()
            top = left = 0.0
            if stripped:
                first = pos + len(line) - len(stripped)
                got = box(first)
                if got is not None:
                    left, _, _, top = got
                    ci = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage.raw, first)
                    size = pdfium_c.FPDFText_GetFontSize(textpage.raw, ci)
                    if size > 0:
                        widths.append(0.6 * size)
                m = _LABEL_AT.match(stripped)
                if m:
                    colon, value = box(first + m.end(1) - 1), box(first + m.end())
                    em = widths[-1] if widths else 5.0
                    if colon and value and value[0] - colon[2] > 2.5 * em:
                        gap = " " * max(3, round((value[0] - colon[2]) / em))
                        stripped = m.group(1) + gap + stripped[m.end() :]
            placed.append((top, left, n, stripped))
            pos += len(raw) + 1
        em = sorted(widths)[len(widths) // 2] if widths else 0.0
        if em:
            margin = min((p[1] for p in placed if p[3]), default=0.0)
            placed = [(t, x, n, " " * round((x - margin) / em) + s if s else s) for t, x, n, s in placed]
        if any(p[0] for p in placed):
            placed = _reading_order(placed)
            return "\n".join(_with_gaps(placed))
        return "\n".join(p[3] for p in placed)
    finally:
        textpage.close()


def _reading_order(placed: list[tuple[float, float, int, str]]) -> list[tuple[float, float, int, str]]:
    """Lines sorted top to bottom; lines within 2 points of one height, left to right."""
    rows = sorted((p for p in placed if p[3].strip()), key=lambda p: (-p[0], p[1], p[2]))
    out: list[tuple[float, float, int, str]] = []
    group: list[tuple[float, float, int, str]] = []
    for p in rows:
        if group and group[0][0] - p[0] > 2:
            out.extend(sorted(group, key=lambda q: (q[1], q[2])))
            group = []
        group.append(p)
    out.extend(sorted(group, key=lambda q: (q[1], q[2])))
    return out


def _with_gaps(placed: list[tuple[float, float, int, str]]) -> list[str]:
    """The lines, with a blank line where the page leaves a gap of more than a line and a half:
    extraction drops empty lines, and paragraphs and the space above a printed header matter."""
    steps = sorted(a[0] - b[0] for a, b in zip(placed, placed[1:]) if a[0] - b[0] > 2)
    step = steps[len(steps) // 2] if steps else 0.0
    out: list[str] = []
    for n, p in enumerate(placed):
        if n and step and placed[n - 1][0] - p[0] > 1.5 * step:
            out.append("")
        out.append(p[3])
    return out


def _has_images(page) -> bool:
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    area = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        area += max(0.0, right - left) * max(0.0, top - bottom)
    return area >= 0.2 * width * height


def ocr_page(page) -> str:
    """Tesseract's text for a rendered page (grayscale PGM on stdin, text on stdout)."""
    bitmap = page.render(scale=OCR_DPI / 72, grayscale=True)
    width, height, stride = bitmap.width, bitmap.height, bitmap.stride
    data = bytes(bitmap.buffer)
    rows = b"".join(data[r * stride : r * stride + width] for r in range(height))
    pgm = f"P5 {width} {height} 255\n".encode() + rows
    proc = subprocess.run(
        ["tesseract", "stdin", "stdout", "--dpi", str(OCR_DPI), "-l", "eng"],
        input=pgm,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"tesseract failed: {proc.stderr.decode(errors='replace').strip()[:200]}")
    return proc.stdout.decode("utf-8", errors="replace")


def iter_pages(path: Path, ocr: bool = False) -> Iterator[Page]:
    """Cleaned pages, one at a time; a scanned page is a `Page` with `image_only` set."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(doc)):
            page = doc[index]
            try:
                text = page_lines(page)
                if not text.strip() and _has_images(page):
                    if ocr and shutil.which("tesseract"):
                        text = ocr_page(page)
                    else:
                        yield Page(index + 1, [], image_only=True)
                        continue
                yield clean_page(index + 1, text)
            finally:
                page.close()
    finally:
        doc.close()


def read(path: Path, source: str, ocr: bool | None = None) -> Iterator[Message]:
    """One message per printed email; scanned pages as error rows (one per run of pages)."""
    ocr = OCR if ocr is None else ocr
    try:
        import pypdfium2 as pdfium
    except ImportError:  # pragma: no cover - a declared dependency
        yield Message(id=source, source=source, error="PDF support needs pypdfium2: pip install pypdfium2")
        return
    try:
        with pdfium.PdfDocument(str(path)) as probe:
            pages = len(probe)
    except pdfium.PdfiumError as exc:
        why = "PDF is password-protected" if "password" in str(exc).lower() else f"cannot read PDF: {exc}"
        yield Message(id=source, source=source, error=why)
        return
    yield from number_messages(_rows(path, source, ocr, pages), source)


def _rows(path: Path, source: str, ocr: bool, pages: int) -> Iterator[Message]:
    why = NO_TESSERACT if ocr and not shutil.which("tesseract") else NO_TEXT
    run: list[int] = []
    emitted = 0
    for item in split_pages(iter_pages(path, ocr), source):
        if isinstance(item, Page):
            if run and item.number != run[-1] + 1:
                yield _scan_row(source, run, pages, why)
                emitted += 1
            run.append(item.number)
            continue
        if run:
            yield _scan_row(source, run, pages, why)
            emitted += 1
            run = []
        emitted += 1
        yield item
    if run:
        yield _scan_row(source, run, pages, why)
        emitted += 1
    if not emitted:
        yield Message(id=source, source=source, error="PDF has no text")


def _scan_row(source: str, run: list[int], pages: int, why: str) -> Message:
    if len(run) == pages:
        return Message(id=source, source=source, page=1, error=why)
    where = f"page {run[0]}" if len(run) == 1 else f"pages {run[0]}-{run[-1]}"
    return Message(id=f"{source}#p{run[0]}", source=source, page=run[0], error=f"{where}: {why}")
