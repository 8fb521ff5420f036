"""Markdown (.md, and what trafilatura makes of a web page): headings, paragraphs, lists, tables.

Only the structure the corpus keeps is read: `#` headings with their level, paragraphs
(soft-wrapped lines joined), list items and table rows as their own lines; emphasis,
links, images and escapes are reduced to their text.
"""
import re
from pathlib import Path

from .record import EMPHASIS, Extracted, table_lines
from .text import decode

HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
RULE = re.compile(r"^(?:[-*_]\s*){3,}$")
TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
BULLET = re.compile(r"^(?:[-*+]|>)\s+")
ORDERED = re.compile(r"^\d{1,3}[.)]\s+")
FENCE = re.compile(r"^(```|~~~)")
_INLINE = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),        # images
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),     # links keep their text
    (re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # emphasis, code
]
BOLD_ONLY = re.compile(r"^(\*\*|__)(?=\S)(.+?)(?<=\S)\1$")  # a paragraph that is all bold: a run-in heading
ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
ESCAPED = re.compile(r"\x00(\d+)\x00")


def read(path: Path) -> Extracted:
    text, encoding = decode(path)
    return Extracted("md", parse(text), encoding=encoding)


def parse(text: str) -> list[tuple[int | None, str]]:
    blocks, paragraph, table, in_code = [], [], [], False

    def flush():
        if paragraph:
            bold = BOLD_ONLY.match(_join(paragraph))
            blocks.append((EMPHASIS, _inline(bold.group(2))) if bold else (None, _inline(_join(paragraph))))
            paragraph.clear()
        blocks.extend((None, row) for row in table_lines(table))
        table.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        if table and not line.startswith("|") and not TABLE_SEPARATOR.match(line):
            flush()  # the table ended
        if FENCE.match(line):
            flush()
            in_code = not in_code
        elif in_code:
            blocks.append((None, line))
        elif table and TABLE_SEPARATOR.match(line):
            continue  # the line under a table's header row
        elif not line or RULE.match(line):
            flush()
        elif m := HEADING.match(line):
            flush()
            blocks.append((len(m.group(1)), _inline(m.group(2))))
        elif line.startswith("|"):
            if paragraph:  # a table starts: the paragraph before it ends
                flush()
            table.append([_inline(c.strip()) for c in line.strip("|").split("|")])
        elif BULLET.match(line) or ORDERED.match(line):
            flush()  # a list item starts its own line; ordered items keep their number
            paragraph.append(BULLET.sub("", line))
        else:
            paragraph.append(line)
    flush()
    return [(level, text) for level, text in blocks if text]


def _inline(text: str) -> str:
    """Markup reduced to its text; escaped characters are set aside first so they stay literal."""
    text = ESCAPE.sub(lambda m: f"\x00{ord(m.group(1))}\x00", text)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return ESCAPED.sub(lambda m: chr(int(m.group(1))), text).strip()


def _join(lines: list[str]) -> str:
    """Soft-wrapped lines are one paragraph: Chinese joins directly, Latin words with a space."""
    out = lines[0]
    for line in lines[1:]:
        space = " " if out[-1:].isascii() and out[-1:].isalnum() and line[:1].isascii() else ""
        out += space + line
    return out
