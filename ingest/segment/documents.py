"""The document record every segmenter returns, and the heading rule they share.

A document is a plain dict: kind (a kbcore.schema document kind), number, numbered (whether the
source itself numbers it: a citation names 案例N only then), title, chapter_no, chapter_title,
page, author, region, province, blocks [(section, text)], comment_blocks [(section, text)] and
line (where it starts in the source file). A block's section is None, a heading, or the path of
stacked headings it stands under (a tuple of two or more, outermost first); a block whose text is None is a
heading with nothing under it (it is kept all the same).
"""
import re

from kbcore.textrules import heading_shape

HEADING_MARK = re.compile(r"^(#{1,7}) (?=\S)")  # how `casekb add` writes a heading: its level in #, then a space
UNLEVELLED = 100  # a heading known by its shape only sits below every heading the layout gave a level


class Heading(str):
    """A line the document's layout marks as a heading (a Word style, Markdown #, an HTML heading, a larger
    type size, bold): `casekb add` writes it `## text` into the corpus text, cleaning reads it back as
    Heading(text, level), and it is a heading whatever its length or punctuation."""
    level: int

    def __new__(cls, text: str, level: int):
        heading = super().__new__(cls, text)
        heading.level = level
        return heading


def marked(level: int | None, text: str) -> str:
    """A block as a line of a corpus text written by `casekb add`."""
    return f"{'#' * min(level, 7)} {text}" if level else text


def unmarked(line: str) -> str:
    """A line of such a text read back: a Heading when it carries a heading mark, else the line."""
    m = HEADING_MARK.match(line)
    return Heading(line[m.end():], len(m.group(1))) if m else line


def same_kind(line: str, text: str) -> str:
    """`text` (a line after some repair) still a Heading of the same level if `line` was one."""
    return Heading(text, line.level) if isinstance(line, Heading) else text


def document(kind, title, line, **fields):
    return {"kind": kind, "title": title, "line": line, "number": None, "numbered": True, "chapter_no": None,
            "chapter_title": None,
            "page": None, "author": None, "region": None, "province": None,
            "blocks": [], "comment_blocks": [], **fields}


def is_heading(text: str) -> bool:
    """A section heading, not prose: marked so by the layout, or of a heading's shape (kbcore.textrules)."""
    return isinstance(text, Heading) or heading_shape(text)


def sectioned(lines) -> list[tuple[str | tuple[str, ...] | None, str | None]]:
    """Paragraphs with the headings they stand under; headings become block boundaries.

    Headings that follow each other stack (服务在前解民忧 / 教育在前树新风 …, or a part heading
    over its sub-heading): the paragraph after them stands under all of them, and headings
    nothing follows make a block of their own, so no heading is lost. A heading the layout gave
    a level also stays over the paragraphs of its deeper headings (一、 over its （一）, （二）).
    """
    blocks, path, run, section = [], [], None, None
    for _, text in lines:
        if is_heading(text):
            level = getattr(text, "level", UNLEVELLED)
            if run is None:  # a new run of headings: it replaces the headings at its level and below
                run = [(lvl, h) for lvl, h in path if lvl < level]
            run.append((level, text))
            continue
        if run is not None:
            path, run = run, None
            section = _path([h for _, h in path])
        blocks.append((section, text))
    if run is not None:
        blocks.append((_path([h for _, h in run]), None))
    return blocks


def _path(headings: list[str]) -> str | tuple[str, ...]:
    """One heading as itself, stacked headings as their path."""
    return str(headings[0]) if len(headings) == 1 else tuple(map(str, headings))
