"""Bounds on one document from outside (`casekb add`), so that it cannot exhaust the curator's machine.

Each is checked before the work it bounds, and each refusal is one line naming the file
(IngestError): the file's size by its directory entry, before a byte is read; the inflated size
of every member of an archive (a .docx is a zip: 1.4 MB can inflate to 300 MB of XML, which
python-docx holds as a tree many times that size); a PDF's page count, the pages sent to OCR and
each one's area once rendered (an 826-byte PDF with one 14,400-pt page renders to 900 million
pixels); the time a reader may take; the text the build will read (its MAX_SOURCE_BYTES), so that
`add` never accepts a document that every later build refuses; and names without control or
bidirectional-override characters, which would forge lines in sources.yml or citations.
"""
import signal
import threading
import unicodedata
import zipfile
from contextlib import contextmanager
from pathlib import Path

from kbcore.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_INFLATED_BYTES,
    MAX_INFLATED_MEMBER_BYTES,
    MAX_OCR_PAGES,
    MAX_PDF_PAGES,
    MAX_READ_SECONDS,
    MAX_RENDER_PIXELS,
    MAX_SOURCE_BYTES,
    MAX_WEB_PAGE_BYTES,
)

from .. import IngestError

# The largest file of each kind: a text file is the corpus file, whose limit is the build's.
SIZE_LIMITS = {".txt": MAX_SOURCE_BYTES, ".md": MAX_SOURCE_BYTES, ".markdown": MAX_SOURCE_BYTES,
               ".html": MAX_WEB_PAGE_BYTES, ".htm": MAX_WEB_PAGE_BYTES}
# Invisible characters that change how the text around them is shown (Unicode bidi controls).
BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def check_document(path: Path, web_page: bool = False) -> None:
    """Its name, its size (stat, nothing read) and, for an archive, each member's inflated size.

    A web page (.html, or a server page such as .aspx that holds HTML) has a limit of its own."""
    path = Path(path)
    check_name(path, "file name", path.name)
    size = path.stat().st_size
    limit = MAX_WEB_PAGE_BYTES if web_page else SIZE_LIMITS.get(path.suffix.lower(), MAX_DOCUMENT_BYTES)
    if size > limit:
        raise IngestError(f"{path}: {size:,} bytes ({_mb(size)}) is over the limit for a {path.suffix or 'file'} "
                          f"document, {_mb(limit)} (kbcore/limits.py); split it into smaller files")
    if zipfile.is_zipfile(path):
        _check_archive(path)


def _check_archive(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not readable as an archive: its reader says what is wrong with it
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > MAX_INFLATED_MEMBER_BYTES:
            raise IngestError(f"{path}: its part {member.filename!r} inflates to {_mb(member.file_size)}, over the "
                              f"limit of {_mb(MAX_INFLATED_MEMBER_BYTES)} for one part (a zip bomb, or a document to "
                              "split)")
    if total > MAX_INFLATED_BYTES:
        raise IngestError(f"{path}: its {len(members)} parts inflate to {_mb(total)}, over the limit of "
                          f"{_mb(MAX_INFLATED_BYTES)} (a zip bomb, or a document to split)")


def check_pages(path: Path, pages: int) -> None:
    if pages > MAX_PDF_PAGES:
        raise IngestError(f"{path}: {pages:,} pages, over the limit of {MAX_PDF_PAGES:,}; split the PDF")


def check_scans(path: Path, pages: list[tuple[int, float, float]], scale: float) -> None:
    """Pages for OCR, as (number, width, height in points) rendered at `scale`: how many, and how large."""
    if len(pages) > MAX_OCR_PAGES:
        raise IngestError(f"{path}: {len(pages)} scanned pages to read by OCR, over the limit of {MAX_OCR_PAGES}; "
                          "split the PDF")
    for number, width, height in pages:
        check_pixels(path, width * scale, height * scale, f"page {number} ({width:,.0f} × {height:,.0f} pt)")


def check_pixels(path: Path, width: float, height: float, what: str = "the image") -> None:
    if width * height > MAX_RENDER_PIXELS:
        raise IngestError(f"{path}: {what} comes to {width * height / 1e6:,.0f} million pixels to read by OCR, "
                          f"over the limit of {MAX_RENDER_PIXELS / 1e6:,.0f} million")


def check_text(path: Path, text: str) -> None:
    """The corpus text must be one the build will read (MAX_SOURCE_BYTES)."""
    size = len(text.encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        raise IngestError(f"{path}: its text comes to {size:,} bytes ({_mb(size)}), over the build's limit for a "
                          f"corpus file, {_mb(MAX_SOURCE_BYTES)} (kbcore/limits.py MAX_SOURCE_BYTES); split the "
                          "document")


def check_name(path, what: str, value) -> None:
    """A name, title or id that holds no control character (a newline, a tab) and no bidi control."""
    if not isinstance(value, str):
        return
    bad = _controls(value)
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad)
        where = repr(str(path)) if _controls(str(path)) else path  # the message stays one line
        raise IngestError(f"{where}: {what} {value!r} holds control or bidi characters ({shown}); "
                          "rename the file or give the value without them")


def _controls(text: str) -> list[str]:
    return sorted({c for c in text if unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS})


def read(path: Path, reader):
    """reader(path) within MAX_READ_SECONDS (where the process can take a timer signal: the main thread),
    with running out of memory as a one-line error too."""
    try:
        with _time_limit(path, MAX_READ_SECONDS):
            return reader(path)
    except MemoryError:
        raise IngestError(f"{path}: too large to read in this machine's memory") from None


@contextmanager
def _time_limit(path: Path, seconds: float):
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum, frame):
        raise IngestError(f"{path}: reading it took longer than {seconds:g} s (kbcore/limits.py MAX_READ_SECONDS); "
                          "split it or simplify it")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
