"""What a document read by a format reader is proposed to be in the corpus: its title, its script,
its kind (a collection of cases, one case, the book's missing case text, or a document that is not
a case), and the level of its headings at which its cases start.

`casekb add` asks these questions before writing anything; the answers come from the document's
layout (heading levels from Word styles, Markdown #, HTML headings, type size) and its text.
"""
import re
from typing import NamedTuple

from kbcore.text import CJK, CJK_CHAR, to_simplified
from kbcore.textrules import CHAPTER_NUMERALS, SENTENCE_END, TITLE_MAX

from .formats.record import EMPHASIS, Extracted
from .segment.documents import marked
from .segment.multicase import CASE_HEADING

TRADITIONAL_SHARE = 0.05  # Simplified text barely changes under t2s; Traditional changes ~20% of characters
# Headings that name a part of one case, not a case: a document whose repeated headings are
# mostly these is one case with sections.
SECTION = re.compile(rf"^(?:[{CHAPTER_NUMERALS}\d]+[、.．]\s*)?(?:基本情况|背景|主要做法|做法|举措|成效|工作成效|"
                     r"经验|启示|经验启示|问题|思考|前言|引言|结语|概况|案例背景|主要成效|点评|评析)")
SECTION_MAX = 8  # characters: a heading this short is a section's slogan (服务在前解民忧), not a case's title
# A report, speech or policy document names itself so in its title (…工作报告, 在…上的讲话, 关于…的意见).
NOT_A_CASE = re.compile(r"(?:工作)?报告$|讲话$|致辞$|发言$|(?:实施)?意见$|通知$|(?:管理|实施)?办法$|规定$|条例$|"
                        r"(?:工作|实施)?方案$|规划$|纲要$|决定$|决议$|实施细则$|工作要点$|公报$|^在.+上的")


class CaseLayout(NamedTuple):
    """The document's lines for a `cases` source, and the headings that start its cases when only
    their heading level (not a 案例N label of the source) marks them: those go in the manifest."""
    lines: list[str]
    case_titles: list[str]


def cases_layout(doc: Extracted) -> CaseLayout:
    """The document's lines, headings as the source prints them with their level marked (`## text`:
    segment.documents.marked); the headings at the cases' level."""
    level = case_level(doc.blocks)
    lines = [doc.title] if doc.title else []
    lines += [marked(block_level, text) for block_level, text in doc.blocks]
    return CaseLayout(lines, [text for block_level, text in doc.blocks if level and block_level == level])


def case_level(blocks) -> int | None:
    """The heading level of the cases: the top level used more than once, unless the document
    already names its cases (案例1：…) or those headings are mostly sections of one case. A bold
    paragraph (EMPHASIS) is a run-in heading, never the cases' level."""
    if any(CASE_HEADING.match(text) for _, text in blocks):
        return None
    levels = sorted({level for level, _ in blocks if level and level != EMPHASIS})
    for level in levels:
        titles = [text for l, text in blocks if l == level]
        if len(titles) >= 2:
            sections = sum(bool(SECTION.match(t)) or len(t) <= SECTION_MAX for t in titles)
            return level if sections * 2 < len(titles) else None
    return None


def script(text: str) -> str:
    chars = CJK_CHAR.findall(text)
    changed = sum(a != b for a, b in zip(chars, to_simplified("".join(chars))))
    return "Traditional" if chars and changed / len(chars) > TRADITIONAL_SHARE else "Simplified"


def fold(title: str) -> str:
    """Titles compared without punctuation, spaces or script differences."""
    return re.sub(rf"[^{CJK}0-9A-Za-z]", "", to_simplified(title))


def title_of(doc: Extracted) -> str | None:
    """The document's title: the one the reader found, else its first heading, else the opening of
    its first paragraph up to the first sentence end (never the file's name)."""
    if doc.title:
        return doc.title
    if heading := next((text for level, text in doc.blocks if level), None):
        return heading
    first = next((text for _, text in doc.blocks), "")
    cut = min((i for i, c in enumerate(first) if c in SENTENCE_END), default=len(first))
    opening = first[:min(cut, TITLE_MAX)]
    return opening + ("…" if len(opening) < len(first) else "") if opening else None


def propose_kind(options: dict, doc: Extracted, cases: list[dict], books: dict) -> tuple[str, str | None, list[str]]:
    """The kind given, or the one proposed, with the reason: the book's missing case text when every
    case title is one of its cases; a report, speech or policy document (not a case) when its title
    says so and no heading names a case (its 一、二、 are its parts); several cases; else one article."""
    if options.get("kind") or options.get("part_of"):
        return options.get("kind") or "book_cases", options.get("part_of"), []
    titles = [fold(d["title"]) for d in cases]
    for book, contents in books.items():
        matched = sum(t in contents for t in titles)
        if titles and matched == len(titles):
            return "book_cases", book, [f"every case title is a case of {book}: its text fills those cases"]
        if matched:
            return "cases", None, [f"{matched} of {len(titles)} case titles are cases of {book}; "
                                   f"to add them as its case text, run again with --part-of {book}"]
    labelled = any(CASE_HEADING.match(text) for _, text in doc.blocks)
    if not labelled and (m := NOT_A_CASE.search(title_of(doc) or "")):
        return "document", None, [f"the title names a report, speech or policy document ({m.group()}) and no "
                                  "heading names a case (案例…): added as a document, not a case "
                                  "(--kind article for one case, --kind cases for several)"]
    if len(cases) >= 2:
        return "cases", None, []
    return "article", None, []
