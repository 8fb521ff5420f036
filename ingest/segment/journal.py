"""A journal feature of numbered cases ("案例1：太仓市…"), with an editors' introduction.

The page header before the introduction (date, issue, keywords, byline, repeated title)
is metadata, not content, and is left out.
"""
import re

from .documents import document, sectioned

CASE = re.compile(r"^案例\s*(\d{1,2})\s*[:：]\s*(.+)$")
INTRO_MIN = 60  # before the first case, shorter lines are the page header, longer ones the introduction
# The page header before the first case (date, issue, keywords, byline, the title again).
SETS_ASIDE = {"journal_page_header": lambda n, text, docs: len(text) <= INTRO_MIN and n < min(
    (d["line"] for d in docs if d["kind"] == "journal_case"), default=0)}


def segment_journal(entry, lines) -> list[dict]:
    """The introduction and the numbered cases, each with its region from `case_regions`."""
    starts = [i for i, (_, text) in enumerate(lines) if CASE.match(text)]
    docs = []
    if starts:
        intro = [(n, t) for n, t in lines[:starts[0]] if len(t) > INTRO_MIN]
        if intro:
            docs.append(document("feature_intro", "编者按", intro[0][0], blocks=sectioned(intro)))
    for k, start in enumerate(starts):
        n, text = lines[start]
        m = CASE.match(text)
        number = int(m.group(1))
        body = lines[start + 1: starts[k + 1] if k + 1 < len(starts) else len(lines)]
        docs.append(document("journal_case", m.group(2), n, number=number,
                             blocks=sectioned(body), **entry["case_regions"].get(number, {})))
    return docs
