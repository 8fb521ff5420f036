"""What a format reader hands on: paragraphs and headings, and what it learnt on the way."""
from dataclasses import dataclass, field

EMPHASIS = 7  # the heading level of a bold-only paragraph, below Markdown's and Word's six


@dataclass
class Extracted:
    """A document read from one file.

    blocks are (heading level, text): level 1 is the top heading, None a paragraph, EMPHASIS a
    paragraph set in bold and nothing else (a run-in heading: a heading, but never a case's level).
    OCR'd pages are listed with the mean confidence, so they are never taken for a text layer.
    """
    format: str
    blocks: list[tuple[int | None, str]]
    title: str | None = None
    date: str | None = None
    encoding: str | None = None
    pages: int | None = None
    ocr_pages: list[int] = field(default_factory=list)
    ocr_confidence: float | None = None


def table_lines(rows: list[list[str]]) -> list[str]:
    """A table as text: a line per row, cells between " | ", rows ending "；" and the last "。",
    so that the build reads the rows as text (a short line without punctuation is a heading)."""
    lines = [" | ".join(c for c in row if c) for row in rows]
    lines = [line for line in lines if line]
    return [line + ("；" if i < len(lines) - 1 else "。") for i, line in enumerate(lines)]
