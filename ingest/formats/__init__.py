"""The documents people have -> paragraphs and headings, one reader per file format.

`casekb add` reads every document through `read_document` and writes the result into
the corpus as plain text. A new format is a reader module plus one line in READERS.
"""
import re
from pathlib import Path

from kbcore.text import CJK_CHAR
from kbcore.textrules import title_shape

from .. import IngestError
from . import guards, image, markdown, ofd, office, pdf, text, webpage, word
from .radicals import fold_radicals
from .record import Extracted

READERS = {
    ".txt": text.read, ".md": markdown.read, ".markdown": markdown.read, ".docx": word.read,
    ".pdf": pdf.read, ".html": webpage.read, ".htm": webpage.read,
    ".png": image.read, ".jpg": image.read, ".jpeg": image.read, ".tif": image.read, ".tiff": image.read,
    ".bmp": image.read, ".webp": image.read, ".doc": office.read, ".wps": office.read, ".ofd": ofd.read,
}
# Web pages saved under their server's extension: read as HTML when their content is HTML.
SERVER_PAGES = (".aspx", ".asp", ".shtml", ".php", ".jsp", ".jspx", ".xhtml", ".do", ".action")
HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
PLAIN = ("txt", "md")  # formats whose first line may be the title, with no markup to say so
MIN_TEXT = 20  # fewer Chinese characters than this in the paragraphs is no text at all


def read_document(path: Path) -> Extracted:
    """Blocks with radical look-alikes folded, empty lines gone and the title lifted out.

    Raises IngestError naming the file for an unknown extension, a document without text or one past
    the bounds of guards.py (size, inflated size, pages, time, memory).
    """
    path = Path(path)
    reader = READERS.get(path.suffix.lower()) or _by_content(path)
    if reader is None:
        raise IngestError(f"{path}: unknown file type {path.suffix or '(none)'!r}; casekb add reads "
                          f"{', '.join(sorted(READERS))}, and web pages saved as {' '.join(SERVER_PAGES)}")
    guards.check_document(path, web_page=reader is webpage.read)
    doc = guards.read(path, reader)
    doc.blocks = [(level, re.sub(r"\s+", " ", fold_radicals(t)).strip()) for level, t in doc.blocks]
    doc.blocks = [(level, t) for level, t in doc.blocks if t]
    doc.title = re.sub(r"\s+", " ", fold_radicals(doc.title)).strip() if doc.title else None
    _lift_title(doc)
    if len(CJK_CHAR.findall("".join(t for level, t in doc.blocks if level is None))) < MIN_TEXT:
        what = {"html": "no main text (only navigation, links or boilerplate)"}.get(doc.format, "no Chinese text")
        raise IngestError(f"{path}: {what} found" + (" by OCR" if doc.ocr_pages else ""))
    return doc


def _by_content(path: Path):
    """The web page reader for a page saved as .aspx, .shtml, .php, .jsp …, when it holds HTML."""
    if path.suffix.lower() not in SERVER_PAGES:
        return None
    with open(path, "rb") as f:
        return webpage.read if HTML_START.search(f.read(4096)) else None


def _lift_title(doc: Extracted) -> None:
    """A first heading that no other heading shares the level of is the title of a document without one; so is the
    first line of a text or Markdown file without a title when it reads as one (a headline of any
    length, not a sentence) and text follows it."""
    if not doc.blocks:
        return
    level, first = doc.blocks[0]
    if level is None:
        if first == doc.title or (doc.title is None and doc.format in PLAIN and len(doc.blocks) > 1
                                  and title_shape(first)):
            doc.title, doc.blocks = first, doc.blocks[1:]
        return
    if first == doc.title or (doc.title is None and sum(l == level for l, _ in doc.blocks) == 1):
        doc.title = first
        doc.blocks = doc.blocks[1:]
