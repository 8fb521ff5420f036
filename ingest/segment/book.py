"""The book 《太仓“政社互动”100例》: front matter, prefaces, overview essay, table of contents,
and case text in the book's layout (number + title line, body, 点评 comment).

Only the contents survive for cases 1-66; case text for any case can be added later by a
`book_cases` file in the same layout, which this segmenter reads the same way.
"""
import re

from kbcore import words
from kbcore.text import CJK
from kbcore.textrules import CHAPTER_NUMERALS as NUMERALS, COMMENT, chinese_numeral, to_number

from .. import IngestError
from .documents import document, is_heading

CHAPTER = re.compile(rf"^([{NUMERALS}]{{1,2}})\s*(“政社互动”与\S+?)(?:\s*/\s*(\d+))?$")
# "- 9 浏河镇313路公交线路的开通 / 21" (layout spaces after the number may be gone)
TOC_CASE = re.compile(r"^-?\s*(\d{1,3})(?:\s+|(?=[^\d\s]))(\S.*?)\s*/\s*(\d+)$")
# "9 浏河镇313路公交线路的开通", "案例9：...", "25项目意义", but not "2013年以来" or "3个阶段"
BODY_CASE = re.compile(r"^(?:案例\s*)?(\d{1,3})(?:[\s、.．:：]+|(?=[^\d\s%]))(\S.{0,39})$")
# Cleaning removes the layout space in "25 项目意义", so a title glued to its number may start
# with a counter; it is a quantity ("3个阶段", "10年来") when the counter stands alone as a word.
COUNTERS = "年月日个项"
PREFACE = re.compile(rf"^序([{NUMERALS}])$")
ATTRIBUTION = re.compile(rf"^[(（]([{CJK}]{{2,4}})[:：](.+)[)）]$")
AUTHOR = re.compile(rf"^[{CJK}]{{2,4}}$")
RUNNING_HEAD = re.compile(r"^\[[A-Z0-9 ]+\]")  # "[TAI CANG ZHENG SHE] 太仓“政社互动”": the book's running head
# The front matter before the first preface or case (cover, copyright page, editorial board; a part's
# title line) and running heads.
SETS_ASIDE = {
    "front_matter": lambda n, text, docs: n < min((d["line"] for d in docs), default=0),
    "running_head": lambda n, text, docs: bool(RUNNING_HEAD.match(text)),
}


def segment_book(entry, lines) -> list[dict]:
    """Documents of a book file: prefaces/essays, and one entry per case number.

    A case entry comes from the table of contents (title, chapter, page) and/or from
    case text (title, body, comment). A number seen twice in the contents, or twice
    as case text, is an error naming the file and line.
    """
    path = entry["path"]
    docs, toc, bodies = [], {}, {}
    current, chapter, in_toc = None, None, False
    cases_allowed = not any(text == "目录" for _, text in lines)  # case text follows the contents
    for i, (n, text) in enumerate(lines):
        nxt, after_next = (lines[j][1] if j < len(lines) else "" for j in (i + 1, i + 2))
        if text == "目录":
            in_toc, current = True, None
            continue
        if m := CHAPTER.match(text):
            chapter = {"no": to_number(m.group(1)), "title": m.group(2)}
            in_toc = in_toc and bool(m.group(3))
            cases_allowed = cases_allowed or not in_toc
            current = None
            continue
        if in_toc and (m := TOC_CASE.match(text)):
            _add_unique(toc, int(m.group(1)), path, n, "in the table of contents", {
                "number": int(m.group(1)), "title": m.group(2), "page": int(m.group(3)),
                "chapter_no": chapter and chapter["no"], "chapter_title": chapter and chapter["title"],
                "line": n})
            continue
        if m := PREFACE.match(text):
            current = document("preface", text, n, number=to_number(m.group(1)))
            docs.append(current)
            continue
        if m := COMMENT.match(text) if current and current["kind"] == "book_case" else None:
            current["in_comment"] = True
            if m.group("text"):
                current["comment_blocks"].append((None, m.group("text")))
            continue
        if cases_allowed and not in_toc and (heading := _case_heading(text)):
            current = document("book_case", heading[1], n, number=heading[0],
                               chapter_no=chapter and chapter["no"], chapter_title=chapter and chapter["title"])
            _add_unique(bodies, current["number"], path, n, "as case text", current)
            continue
        if (current is None and not in_toc and is_heading(text) and AUTHOR.match(nxt)
                and not PREFACE.match(nxt) and len(after_next) > 50):
            current = document("overview", text, n)  # title, author line, then prose: an essay
            docs.append(current)
            continue
        if current is None:
            continue  # front matter, running heads
        if not current.get("author") and AUTHOR.match(text) and not current["blocks"]:
            current["author"] = text
            continue
        if current["kind"] != "book_case" and (m := ATTRIBUTION.match(text)):
            current["author"] = current.get("author") or m.group(1)
            current["blocks"].append((None, text))
            current = None  # the attribution closes a preface or essay
            continue
        target = "comment_blocks" if current.get("in_comment") else "blocks"
        current[target].append((None, text))
    for doc in docs:
        doc["title"] = doc["title"] if doc["kind"] != "preface" else f"序{chinese_numeral(doc['number'])}"
    return docs + _merge_cases(toc, bodies)


def _case_heading(text: str) -> tuple[int, str] | None:
    """(number, title) when the line starts a case: a number, then a short unpunctuated title."""
    m = BODY_CASE.match(text)
    if not m or re.search(r"[。！？，,；;：:]", m.group(2)):
        return None
    title = m.group(2)
    if m.end(1) == m.start(2) and title[0] in COUNTERS and words.cut(title)[0] == title[0]:
        return None  # "3个阶段" counts something; in "25项目意义", 项目 is a word
    return int(m.group(1)), title


def _add_unique(seen, number, path, line, where, entry):
    if number in seen:
        raise IngestError(f"{path}:{line}: duplicate case number {number} {where} "
                          f"(first at line {seen[number]['line']})")
    seen[number] = entry


def _merge_cases(toc, bodies) -> list[dict]:
    cases = []
    for number in sorted(set(toc) | set(bodies)):
        entry, text = toc.get(number, {}), bodies.get(number, {})
        cases.append(document(
            "book_case", entry.get("title") or text["title"], entry.get("line") or text["line"],
            number=number, page=entry.get("page"),
            chapter_no=entry.get("chapter_no") or text.get("chapter_no"),
            chapter_title=entry.get("chapter_title") or text.get("chapter_title"),
            blocks=text.get("blocks", []), comment_blocks=text.get("comment_blocks", [])))
    return cases


def merge_book_part(book_docs: list[dict], part_docs: list[dict], entry: dict) -> list[dict]:
    """Case text from a `book_cases` file fills the book's cases by number.

    A case whose text is in both files is ambiguous: an error naming the part's file and line.
    """
    by_number = {d["number"]: d for d in book_docs if d["kind"] == "book_case"}
    merged = list(book_docs)
    for doc in part_docs:
        if doc["kind"] != "book_case":
            merged.append(doc)
            continue
        existing = by_number.get(doc["number"])
        if existing is None:
            merged.append(doc)
        elif existing["blocks"] and doc["blocks"]:
            raise IngestError(f"{entry['path']}:{doc['line']}: duplicate case number {doc['number']}: "
                              "the book already has its text")
        else:
            existing.update({k: v for k, v in doc.items()
                             if k in ("blocks", "comment_blocks") or (v and not existing.get(k))})
    return sorted(merged, key=lambda d: (d["kind"] == "book_case", d["number"] or 0))
