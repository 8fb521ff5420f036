"""An award-page project description: one case whose section headings
(项目主要内容, 项目动因和背景, 项目意义, ...) become passage boundaries."""
import re

from .documents import document, sectioned

TITLE = re.compile(r"^【[^】]+】\s*(.+)$")
LABELLED = re.compile(r"^(颁奖词|项目介绍)[:：]\s*(.+)$")
METADATA = re.compile(r"^(信息来源|申报单位|获奖项目)[:：]|获奖项目展示$")
# The page's metadata lines (source, date, applicant, the project named again) are not the project's text.
SETS_ASIDE = {"award_page_metadata": lambda n, text, docs: bool(METADATA.search(text))}


def segment_award(entry, lines) -> list[dict]:
    heading = next(((n, m.group(1)) for n, t in lines if (m := TITLE.match(t))), None)
    line, case_title = heading or (lines[0][0], entry["title"])
    blocks, rest = [], []
    for n, text in lines:
        if TITLE.match(text) or METADATA.search(text):
            continue
        if m := LABELLED.match(text):
            blocks.append((m.group(1), m.group(2)))
        else:
            rest.append((n, text))
    return [document("award_project", case_title, line, blocks=blocks + sectioned(rest))]
