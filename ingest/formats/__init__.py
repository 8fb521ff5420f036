"""The documents people have -> paragraphs and headings, one reader per file format.

`casekb add` reads every document through `read_document` and writes the result into
the corpus as plain text. A new format is a reader module plus one line in READERS.
"""
import re
from pathlib import Path

from kbcore.text import CJK_CHAR

from .. import IngestError
from . import guards, image, markdown, pdf, text, webpage, word
from .radicals import fold_radicals
from .record import Extracted

READERS = {
    ".txt": text.read, ".md": markdown.read, ".markdown": markdown.read, ".docx": word.read,
    ".pdf": pdf.read, ".html": webpage.read, ".htm": webpage.read,
    ".png": image.read, ".jpg": image.read, ".jpeg": image.read, ".tif": image.read, ".tiff": image.read,
    ".bmp": image.read, ".webp": image.read,
}
MIN_TEXT = 20  # fewer Chinese characters than this in the paragraphs is no text at all


def read_document(path: Path) -> Extracted:
    """Blocks with radical look-alikes folded, empty lines gone and the title lifted out.

    Raises IngestError naming the file for an unknown extension, a document without text or one past
    the bounds of guards.py (size, inflated size, pages, time, memory).
    """
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise IngestError(f"{path}: unknown file type {path.suffix or '(none)'!r}; casekb add reads "
                          f"{', '.join(sorted(READERS))}")
    guards.check_document(path)
    doc = guards.read(path, reader)
    doc.blocks = [(level, re.sub(r"\s+", " ", fold_radicals(t)).strip()) for level, t in doc.blocks]
    doc.blocks = [(level, t) for level, t in doc.blocks if t]
    doc.title = re.sub(r"\s+", " ", fold_radicals(doc.title)).strip() if doc.title else None
    _lift_title(doc)
    if len(CJK_CHAR.findall("".join(t for level, t in doc.blocks if level is None))) < MIN_TEXT:
        what = {"html": "no main text (only navigation, links or boilerplate)"}.get(doc.format, "no Chinese text")
        raise IngestError(f"{path}: {what} found" + (" by OCR" if doc.ocr_pages else ""))
    return doc


def _lift_title(doc: Extracted) -> None:
    """A first heading that no other heading shares the level of is the document's title."""
    if not doc.blocks or doc.blocks[0][0] is None:
        return
    level, first = doc.blocks[0]
    if first == doc.title or sum(l == level for l, _ in doc.blocks) == 1:
        doc.title = first
        doc.blocks = doc.blocks[1:]
