"""The document record every segmenter returns, and the heading rule they share.

A document is a plain dict: kind (a kbcore.schema document kind), number, numbered (whether the
source itself numbers it: a citation names 案例N only then), title, chapter_no, chapter_title,
page, author, region, province, blocks [(section, text)], comment_blocks [(section, text)] and
line (where it starts in the source file). A block's section is None, a heading, or the path of
stacked headings it stands under (a tuple of two or more, outermost first); a block whose text is None is a
heading with nothing under it (it is kept all the same).
"""
from kbcore.textrules import heading_shape


def document(kind, title, line, **fields):
    return {"kind": kind, "title": title, "line": line, "number": None, "numbered": True, "chapter_no": None,
            "chapter_title": None,
            "page": None, "author": None, "region": None, "province": None,
            "blocks": [], "comment_blocks": [], **fields}


def is_heading(text: str) -> bool:
    """A section heading, not prose (kbcore.textrules.heading_shape)."""
    return heading_shape(text)


def sectioned(lines) -> list[tuple[tuple[str, ...] | None, str | None]]:
    """Paragraphs with the headings they stand under; headings become block boundaries.

    Headings that follow each other stack (服务在前解民忧 / 教育在前树新风 …, or a part heading
    over its sub-heading): the paragraph after them stands under all of them, and headings
    nothing follows make a block of their own, so no heading is lost.
    """
    blocks, stack, section = [], [], None
    for _, text in lines:
        if is_heading(text):
            stack.append(text)
            continue
        if stack:
            section, stack = _path(stack), []
        blocks.append((section, text))
    if stack:
        blocks.append((_path(stack), None))
    return blocks


def _path(headings: list[str]) -> str | tuple[str, ...]:
    """One heading as itself, stacked headings as their path."""
    return headings[0] if len(headings) == 1 else tuple(headings)
