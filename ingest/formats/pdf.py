"""PDF: the text layer through pdfium, rebuilt into paragraphs; pages without one go to OCR.

OCR'd pages are listed in the result with their confidence, so text read from a scan
is never passed off as the publisher's text layer.
"""
import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .. import IngestError
from . import guards, ocr
from .layout import Line, Page, paragraphs
from .record import Extracted

MIN_TEXT = 5  # a page with fewer characters than this has no real text layer
LINE_BREAKS = {0x0A, 0x0D}
MADE_UP_TITLE = re.compile(r"^$|^Microsoft \w+ - |\.\w{2,4}$")  # "Microsoft Word - 文档1.docx": a file name


def read(path: Path) -> Extracted:
    try:
        return _read(path)
    except pdfium.PdfiumError as e:  # e.g. a page object missing from the file
        raise IngestError(f"{path}: a damaged PDF ({e})") from None


def _read(path: Path) -> Extracted:
    pdf = _open(path)
    guards.check_pages(path, len(pdf))
    pages, scanned = [], []
    for number, page in enumerate(pdf, 1):
        width, height = page.get_size()
        lines = _text_lines(page, number, height)
        if sum(len(l.text.strip()) for l in lines) < MIN_TEXT and _has_images(page):
            scanned.append((number, page))
        else:
            pages.append(Page(number, width, height, lines))
    confidence = None
    if scanned:
        guards.check_scans(path, [(n, *page.get_size()) for n, page in scanned], ocr.PDF_SCALE)
        engine = ocr.engine(path, f"page(s) {_ranges([n for n, _ in scanned])} have no text layer (a scan)")
        read_pages = [ocr.read_page(engine, n, page.render(scale=ocr.PDF_SCALE, grayscale=True).to_numpy(),
                                    ocr.PDF_SCALE) for n, page in scanned]
        confidence = ocr.mean_confidence(read_pages)
        pages = sorted(pages + [p for p, _ in read_pages], key=lambda p: p.number)
    title = (pdf.get_metadata_dict().get("Title") or "").strip()
    return Extracted("pdf", paragraphs(pages), title=None if MADE_UP_TITLE.search(title) else title, pages=len(pdf),
                     ocr_pages=[n for n, _ in scanned], ocr_confidence=confidence)


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise IngestError(f"{path}: the PDF is encrypted (password-protected); "
                              "save an unprotected copy and add that") from None
        raise IngestError(f"{path}: not a readable PDF ({e})") from None


def _text_lines(page, number: int, height: float) -> list[Line]:
    """The text layer as lines, split where pdfium marks a line break, in content order."""
    textpage = page.get_textpage()
    lines, chars, boxes = [], [], []

    def flush():
        if chars:
            left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
            top, bottom = max(b[3] for b in boxes), min(b[1] for b in boxes)
            lines.append(Line(number, left, right, height - top, height - bottom, "".join(chars)))
            chars.clear()
            boxes.clear()

    units = []
    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
        if code in LINE_BREAKS:
            flush()
        elif 0xD800 <= code < 0xDC00:
            units.append(code)  # a high surrogate: its pair follows
        else:
            if units:
                code = 0x10000 + ((units.pop() - 0xD800) << 10) + (code - 0xDC00)
            chars.append(chr(code))
            boxes.append(textpage.get_charbox(i, loose=True))
    flush()
    return lines


def _has_images(page) -> bool:
    return any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5"."""
    spans = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
