"""Lines placed on pages -> paragraphs and headings (PDF text layers and OCR alike).

A printed page breaks lines at its margin, repeats a running head and foot on every
page and numbers its pages; the corpus wants one paragraph per line and none of the
rest. Where each line sits tells which is which: a line that stops short of the
margin ends its paragraph, an indented line starts one, a wider gap separates two,
larger type is a heading, and a line set apart at the top or foot of the page that
repeats on other pages (or is a page number) is furniture.
"""
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import median

EDGE = 0.12              # running heads, feet and page numbers sit in the outer eighth of a page
HEADING_RATIO = 1.15     # type this much taller and wider than the body's is a heading
SAME_SIZE = 0.08         # heights within 8% are one size (OCR boxes vary a little)
PAGE_NUMBER = re.compile(
    r"^(?:[-–—－\s]*\d{1,4}[-–—－\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|(?:page|p\.)\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$", re.I)


@dataclass
class Line:
    """One printed line; coordinates grow rightwards and downwards, in any unit used page-wide."""
    page: int
    x0: float
    x1: float
    top: float
    bottom: float
    text: str

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class Page:
    number: int
    width: float
    height: float
    lines: list[Line]


def paragraphs(pages: list[Page]) -> list[tuple[int | None, str]]:
    """(heading level or None, text) blocks in reading order, furniture dropped."""
    lines = [l for p in pages for l in p.lines if l.text.strip()]
    if not lines:
        return []
    body = _mode(round(l.height * 2) / 2 for l in lines for _ in l.text)
    furniture = _furniture(pages, body)
    lines = [l for l in lines if id(l) not in furniture]
    if not lines:
        return []
    metrics = _metrics(lines, body)
    levels = _heading_levels([l for l in lines if _char_width(l) >= metrics.em * HEADING_RATIO], body)
    blocks, prev = [], None
    for line in lines:
        level = levels.get(id(line))
        prev_level = levels.get(id(prev)) if prev else None
        if prev and level == prev_level and (
                _wrapped_heading(prev, line, body) if level else not _breaks(prev, line, metrics)):
            blocks[-1] = (level, join(blocks[-1][1], line.text.strip()))
        else:
            blocks.append((level, line.text.strip()))
        prev = line
    return blocks


def _furniture(pages: list[Page], body: float) -> set[int]:
    """Ids of the lines at the top or foot of a page, set apart from the body by a blank line
    or more, that are page numbers or repeat on two or more pages once digits, dashes and
    punctuation are set aside (OCR reads a dash as 一 as often as not, so that goes too)."""
    apart = [(page, line) for page in pages for line in _set_apart(page, body)]
    pages_with = defaultdict(set)
    for page, line in apart:
        pages_with[_furniture_key(line.text)].add(page.number)
    return {id(l) for _, l in apart
            if len(pages_with[_furniture_key(l.text)]) >= 2 or PAGE_NUMBER.match(l.text.strip())}


def _set_apart(page: Page, body: float) -> list[Line]:
    """The lines of the outer band before the first blank line's worth of space, from the top
    down and from the foot up (a running head may take two lines; the body is never apart)."""
    ordered = sorted(page.lines, key=lambda l: l.top)
    found = []
    for run, at_edge in ((ordered, lambda l: l.top < EDGE * page.height),
                         (ordered[::-1], lambda l: l.bottom > (1 - EDGE) * page.height)):
        block = []
        for a, b in zip(run, run[1:]):
            if not at_edge(a):
                break
            block.append(a)
            if max(b.top - a.bottom, a.top - b.bottom) > 1.5 * body:
                found += block
                break
    return found


def _furniture_key(text: str) -> str:
    return re.sub(r"[\W\d_一]+", "", text)


def _heading_levels(lines: list[Line], body: float) -> dict[int, int]:
    """Line id -> heading level of lines set in wider type: the tallest type is level 1, the
    next size level 2, ... (height alone misleads: an OCR box is sometimes taller than its text)."""
    tall = [l for l in lines if l.height >= body * HEADING_RATIO]
    sizes: list[float] = []
    for height in sorted((l.height for l in tall), reverse=True):
        if not sizes or height < sizes[-1] * (1 - SAME_SIZE):
            sizes.append(height)
    def level(height):
        return 1 + max(i for i, size in enumerate(sizes) if height <= size * (1 + SAME_SIZE))
    return {id(l): level(l.height) for l in tall}


@dataclass
class _Metrics:
    left: float       # where body lines start
    right: float      # where full body lines end
    em: float         # width of one body character (a full-width one, in Chinese text)
    gap: float        # usual space between two lines of a paragraph


def _metrics(lines: list[Line], body: float) -> _Metrics:
    """The body's margins, character width and line spacing. The left margin is the leftmost
    start shared by several lines: when every paragraph is indented, headings still show it."""
    em = median([_char_width(l) for l in lines if len(l.text.strip()) >= 8] or [body])
    starts = Counter(round(l.x0 / em * 4) * em / 4 for l in lines)
    gaps = [b.top - a.bottom for a, b in zip(lines, lines[1:]) if a.page == b.page and b.top > a.top]
    ends = sorted(l.x1 for l in lines)
    return _Metrics(left=min((x for x, n in starts.items() if n >= max(2, len(lines) / 20)), default=lines[0].x0),
                    right=ends[int(len(ends) * 0.9)], em=em, gap=median(gaps) if gaps else body / 2)


def _breaks(prev: Line, line: Line, m: _Metrics) -> bool:
    """Does `line` start a new paragraph after `prev`?"""
    if prev.x1 < m.right - 1.5 * m.em:          # prev stopped short: it was a paragraph's last line
        return True
    if line.x0 > m.left + 0.8 * m.em:           # an indented first line (or centred text)
        return True
    return line.page == prev.page and line.top - prev.bottom > m.gap + 0.5 * m.em


def _wrapped_heading(prev: Line, line: Line, body: float) -> bool:
    return line.page == prev.page and 0 <= line.top - prev.bottom < body


def join(a: str, b: str, spaced: bool = False) -> str:
    """Chinese pieces join directly; Latin words, or pieces set apart on the line, keep a space."""
    latin = a[-1:].isascii() and a[-1:].isalnum() and b[:1].isascii() and b[:1].isalnum()
    return a + (" " if latin or spaced else "") + b


def _char_width(line: Line) -> float:
    return (line.x1 - line.x0) / max(len(line.text.strip()), 1)


def _mode(values) -> float:
    return Counter(values).most_common(1)[0][0]
