"""Web pages (.html, .htm): the main text by trafilatura, without navigation, footers and
link lists, read as Markdown so that headings keep their level; title and date from the page."""
from pathlib import Path

import trafilatura
from trafilatura.utils import detect_encoding

from .markdown import parse
from .record import Extracted


def read(path: Path) -> Extracted:
    data = Path(path).read_bytes()
    # favor_precision: on short Chinese pages the recall fallbacks flatten the page into one line
    text = trafilatura.extract(data, output_format="markdown", include_formatting=True, include_tables=True,
                               include_comments=False, include_links=False, include_images=False,
                               favor_precision=True)
    meta = trafilatura.extract_metadata(data)
    encodings = detect_encoding(data)
    return Extracted("html", parse(text or ""), title=meta.title if meta else None,
                     date=meta.date if meta else None, encoding=encodings[0].upper() if encodings else None)
