"""A document holding several cases: a collection, a report, a web page of examples.

Cases start at headings of one recognisable family: 案例1：… / 案例一 / 第三个案例 first,
then 一、…, then numbered titles (1．…). The first family the document uses is the cases'
level; headings of the others are sections inside a case. Numbered families must count
1, 2, 3, … through the document, or they are some other list. Text before the first
case is an introduction; 点评 (or 专家点评, 评析) starts a case's comment.
"""
import re

from kbcore.text import normalise_width
from kbcore.textrules import CHAPTER_NUMERALS, COMMENT, NUMBER, ORDINAL, title_shape, to_number

from .. import IngestError
from .documents import document, sectioned

# 案例1：…, 案例一 …, 【案例3】…, 第二个案例：…
CASE_HEADING = re.compile(rf"^[【\[]?(?:案例|第(?=\s*(?:{NUMBER})\s*个案例))\s*(?P<number>{NUMBER})\s*(?:个案例)?"
                          rf"[】\]]?\s*[:：、.．]?\s*(?P<title>.*)$")
FAMILIES = (  # (heading pattern, must count 1, 2, 3, …)
    (CASE_HEADING, False),
    (re.compile(rf"^(?P<number>[{CHAPTER_NUMERALS}]{{1,3}})\s*、\s*(?P<title>.+)$"), True),
    (re.compile(r"^(?P<number>\d{1,3})(?:\s*[、.．]\s*|\s+|(?=[^\d\s年月日个项%]))(?P<title>.+)$"), True),
)
INTRO_TITLE = "导言"
# The first line, when it is a title, is the source's title (sources.title), not a case's.
SETS_ASIDE = {"source_title": lambda n, text, docs: _title_like(text) and n < min(d["line"] for d in docs)}


def segment_cases(entry, lines) -> list[dict]:
    """An introduction (if there is prose before the first case) and one `collection_case` per case,
    with its region from `case_regions` when the manifest gives one.

    Their ids are `<source>-<number>` and their citations name 案例N, as for every numbered case
    in a publication; cases the manifest names by their headings (`case_titles`: the source does not
    number them) are cited by their own heading.
    """
    path = entry["path"]
    titles = entry.get("case_titles")
    starts = _titled_starts(lines, titles, path) if titles else _case_starts(lines, path)
    if not starts:
        raise IngestError(f"{path}: no case headings found (expected lines such as 案例1：…, 案例一 …, "
                          "第一个案例：…, 一、…, 1．…)")
    docs = []
    preamble = lines[1:starts[0][0]] if _title_like(lines[0][1]) else lines[:starts[0][0]]
    if any(not _title_like(text) for _, text in preamble):
        heading = preamble[0][1] if _title_like(preamble[0][1]) else INTRO_TITLE
        docs.append(document("feature_intro", heading, preamble[0][0], blocks=sectioned(preamble)))
    for k, (start, number, title, skip) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        body, comment = _split_comment(lines[start + 1 + skip:end])
        docs.append(document("collection_case", title, lines[start][0], number=number, numbered=not titles,
                             blocks=sectioned(body),
                             comment_blocks=[(None, text) for _, text in comment],  # a comment is prose, all of it
                             **entry["case_regions"].get(number, {})))
    return docs


def _case_starts(lines, path) -> list[tuple[int, int, str, int]]:
    """(index, number, title, lines the title took after the heading) of each case, from the
    first family whose headings the document uses."""
    for pattern, counted in FAMILIES:
        starts = []
        for i, (n, text) in enumerate(lines):
            m = pattern.match(text)
            if not m or not _title_like(text):
                continue
            title, skip = m.group("title").strip(), 0
            if not title and i + 1 < len(lines) and _title_like(lines[i + 1][1]):
                title, skip = lines[i + 1][1], 1  # "案例一" on its own line, its title below
            starts.append((i, to_number(m.group("number")), title or text, skip))
        if counted and [s[1] for s in starts] != list(range(1, len(starts) + 1)):
            continue
        if len(starts) >= (2 if counted else 1):
            _check_unique(starts, lines, path)
            return starts
    return []


def _titled_starts(lines, titles: list[str], path) -> list[tuple[int, int, str, int]]:
    """The starts of cases the manifest names by their headings (`case_titles`, written by `casekb add`
    for cases that only a heading level marks), in order; their titles without the ordinal."""
    starts, i = [], 0
    for k, heading in enumerate(map(str, titles), 1):
        wanted = normalise_width(heading.strip())
        i = next((j for j in range(i, len(lines)) if lines[j][1] == wanted), None)
        if i is None:
            raise IngestError(f"{path}: case heading {heading!r} (case_titles in sources.yml) is not a line of "
                              "the file after the previous one")
        starts.append((i, k, ORDINAL.sub("", wanted) or wanted, 0))
        i += 1
    return starts


def _check_unique(starts, lines, path) -> None:
    first = {}
    for i, number, _, _ in starts:
        if number in first:
            raise IngestError(f"{path}:{lines[i][0]}: duplicate case number {number} "
                              f"(first at line {lines[first[number]][0]})")
        first[number] = i


def _split_comment(lines):
    """Body lines, and the comment from the first 点评 line on (its inline text included)."""
    for i, (n, text) in enumerate(lines):
        if m := COMMENT.match(text):
            inline = [(n, m.group("text").strip())] if m.group("text") and m.group("text").strip() else []
            return lines[:i], inline + lines[i + 1:]
    return lines, []


def _title_like(text: str) -> bool:
    """A heading or title line: short, and not a sentence."""
    return title_shape(text)
