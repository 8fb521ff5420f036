"""Nothing lost: every cleaned line of a source ends up in a title, a heading, a passage or a
comment of its documents, or is set aside by a named rule of its kind's segmenter.

The build checks this per source, after segmenting; a line that would be dropped stops the
build with its file and line, so a document is never published short of a paragraph.
Cleaning's own removals (residue.yml, control characters) happen before and are counted there.
"""
import re
from collections import Counter

from kbcore.textrules import COMMENT, NUMERAL

from . import IngestError
from .passages import join_blocks

# What a segmenter writes differently from the line it read: punctuation, spaces, digits (case
# numbers, pages), and the labels it turns into fields (案例N, 第N个案例, 点评, 目录).
_MARKS = re.compile(r"[\W\d_]+")
_LABELS = re.compile(rf"^(?:案例[{NUMERAL}]{{0,4}}|第[{NUMERAL}]{{1,4}}个案例|目录)")
_NUMBERING = re.compile(rf"^(?:[【\[][^】\]]{{0,8}}[】\]]|[{NUMERAL}]{{1,4}}(?=[\s、]))")


def _core(text: str) -> str:
    text = _NUMBERING.sub("", (text or "").strip())
    if m := COMMENT.match(text):
        text = m.group("text")
    return _LABELS.sub("", _MARKS.sub("", text))


def placed_text(docs: list[dict]) -> tuple[set[str], str]:
    """Everything the documents hold, as the check compares it: each line of it, and all of it in one
    string (a line is looked up among the lines first, so a large source is checked in linear time)."""
    parts = []
    for d in docs:
        parts += [d["title"], d.get("chapter_title"), d.get("author"),
                  join_blocks(d["blocks"])[0], join_blocks(d["comment_blocks"])[0]]
    pieces = [_core(line) for part in parts if part for line in str(part).split("\n")]
    return set(pieces), "".join(pieces)


def check_whole(entry: dict, lines: list[tuple[int, str]], docs: list[dict], removed: Counter,
                set_aside=None) -> None:
    """Raise IngestError naming the first line of `lines` no document holds and no rule of
    `set_aside` ({rule: test(line number, text, docs)}, the segmenter's) accounts for; count the
    set-aside lines in `removed` by rule."""
    placed_lines, placed = placed_text(docs)
    for n, text in lines:
        core = _core(text)
        if not core or core in placed_lines or core in placed:
            continue
        rule = next((name for name, test in (set_aside or {}).items() if test(n, text, docs)), None)
        if rule is None:
            raise IngestError(f"{entry['path']}:{n}: this line would be dropped: no title, heading, passage or "
                              f"comment holds it ({text[:60]}{'…' if len(text) > 60 else ''})")
        removed[rule] += 1
