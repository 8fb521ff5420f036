"""Web pages (.html, .htm, and pages saved as .aspx, .shtml, .php, .jsp …): the main text by
trafilatura, without navigation, footers and link lists, read as Markdown so that headings keep
their level; the date from the page, and as title the page's headline.

A content-management site's <title> is often its column and a date (每周一学（2022年6月13日——6月19日）)
while the headline is a heading of the page: the title is the heading the <title> starts with, else
og:title, else an h1 of the main text, else the main text's first line when it is a heading (bold
included) or reads as a title,
and the <title> only when the page has none of these.

trafilatura leaves out some headings of the main text (short h2/h3 such as 一网格一支部, depending on how
the page is laid out): a heading of the page that stands after the first paragraph it kept and is not
in its text is put back, at its level, before the next paragraph it kept (headings before the main text,
such as a site's navigation, are not).
"""
import re
from pathlib import Path

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.utils import detect_encoding

from kbcore.textrules import title_shape

from .markdown import parse
from .record import Extracted

MIN_HEADLINE = 4  # characters: shorter headings (首页, 正文) are not a page's headline
HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}
TEXT_TAGS = {"p", "li", "div", "td", "th", "blockquote", "pre", "section", "article", "span", "font", "strong", "b"}


def read(path: Path) -> Extracted:
    data = Path(path).read_bytes()
    # favor_precision: on short Chinese pages the recall fallbacks flatten the page into one line
    text = trafilatura.extract(data, output_format="markdown", include_formatting=True, include_tables=True,
                               include_comments=False, include_links=False, include_images=False,
                               favor_precision=True)
    meta = trafilatura.extract_metadata(data)
    encodings = detect_encoding(data)
    tree = _tree(data)
    blocks = _restore_headings(tree, parse(text or "")) if tree is not None else parse(text or "")
    page_title = meta.title if meta else None
    return Extracted("html", blocks, title=_headline(tree, blocks, page_title) or page_title,
                     date=meta.date if meta else None, encoding=encodings[0].upper() if encodings else None)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _tree(data: bytes):
    try:
        return lxml.html.document_fromstring(data)
    except (etree.ParserError, ValueError):
        return None


def _restore_headings(tree, blocks: list) -> list:
    """blocks with the main text's headings that trafilatura left out put back (see above)."""
    kept = {text for _, text in blocks}
    before: dict[str, list] = {}  # a kept paragraph -> the headings to put back before it
    pending, started = [], False
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in HEADING_TAGS:
            text = _clean(element.text_content())
            if started and text and text not in kept:
                pending.append((HEADING_TAGS[element.tag], text))
        elif element.tag in TEXT_TAGS and (text := _clean(element.text_content())) in kept:
            started = True
            if pending:
                before.setdefault(text, []).extend(pending)
                pending = []
    restored = []
    for level, text in blocks:
        restored += before.pop(text, [])
        restored.append((level, text))
    return restored


def _headline(tree, blocks, page_title: str | None) -> str | None:
    if tree is None:
        return None
    headings = [(h.tag, _clean(h.text_content())) for h in tree.xpath("//h1|//h2|//h3")]
    headings = [(tag, h) for tag, h in headings if len(h) >= MIN_HEADLINE]
    title = _clean(page_title)
    starts = [h for _, h in headings if title.startswith(h)]
    if starts:
        return max(starts, key=len)
    if og := _clean(" ".join(tree.xpath("//meta[@property='og:title']/@content"))):
        return og
    texts = {t for _, t in blocks}
    if h1 := next((h for tag, h in headings if tag == "h1" and h in texts), None):
        return h1
    level, first = blocks[0] if len(blocks) > 1 else (None, "")
    if len(first) >= MIN_HEADLINE and (level is not None or title_shape(first)):  # a heading, or a bold or plain title
        return first
    return None
