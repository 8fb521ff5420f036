"""The document record every segmenter returns, and the heading rule they share.

A document is a plain dict: kind (a kbcore.schema document kind), number, title, chapter_no,
chapter_title, page, author, region, province, blocks [(section, text)],
comment_blocks [(section, text)] and line (where it starts in the source file).
"""
import re

TERMINAL = tuple("。！？；：”」）…:;")


def document(kind, title, line, **fields):
    return {"kind": kind, "title": title, "line": line, "number": None, "chapter_no": None,
            "chapter_title": None,
            "page": None, "author": None, "region": None, "province": None,
            "blocks": [], "comment_blocks": [], **fields}


def is_heading(text: str, max_len: int = 30) -> bool:
    """A short line without sentence punctuation: a section heading, not prose."""
    return len(text) <= max_len and not text.endswith(TERMINAL) and not re.search(r"[。！？，,]", text)


def sectioned(lines) -> list[tuple[str | None, str]]:
    """Paragraphs with the heading they stand under; headings become block boundaries."""
    blocks, section = [], None
    for _, text in lines:
        if is_heading(text):
            section = text
        else:
            blocks.append((section, text))
    return blocks
