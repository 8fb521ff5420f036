"""The Chinese text rules every stage shares: where a sentence ends, what a heading looks like,
Chinese numerals and the comment (点评) heading.

Cleaning, segmenting, passage splitting, key figures and `casekb add` all ask the same questions
of a line ("does it end a sentence?", "is it a heading?"); each rule is defined here once, so a
line is a heading for all of them or for none.
"""
import re

SENTENCE_END = "。！？!?；;"                      # a sentence ends at one of these
LINE_END = SENTENCE_END + "：:”」』）)…—"         # a line ending so says something and runs on no further
SENTENCE_END_SPLIT = re.compile(f"(?<=[{SENTENCE_END}])")  # zero-width: just after each sentence end

# Lengths, in characters, of the shapes that are read from length alone (no numbering, no layout).
SHORT_HEADING_MAX = 30   # a section heading such as 主要做法 or 服务在前解民忧
TITLE_MAX = 60           # a case or document title written on one line

NUMERAL = "零〇一二三四五六七八九十百两"
NUMBER = rf"\d{{1,3}}|[{NUMERAL}]{{1,4}}"
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
CHAPTER_NUMERALS = "一二三四五六七八九十"

# Numbered headings of Chinese documents: 一、… （一）… 1．… 1、… 第三章 / 第二节 / 第四部分 …
NUMBERED_HEADING = re.compile(
    rf"^(?:[{NUMERAL}]{{1,4}}\s*、|[（(]\s*(?:{NUMBER})\s*[)）]|\d{{1,3}}\s*[、.．](?!\d)"
    rf"|第\s*(?:{NUMBER})\s*[章节部篇条](?:分)?)\s*\S")
# The ordinal that only orders a heading (一、 1． （一）), taken off when the heading becomes a title.
ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|\d{1,3}\s*[、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）])\s*")
# A line that is only a date or a time (2022-06-13, 2022年6月13日 10:30): a dateline, never a heading or a title.
DATELINE = re.compile(r"^[\d\s./:\-年月日时分秒]+$")
# The comment that closes a case: 点评 / 专家点评 / 评析 / 简评, alone or with its text after a colon or space.
COMMENT = re.compile(r"^(?:案例|专家)?(?:点评|评析|简评)(?:\s*[:：]\s*|\s+|$)(?P<text>.*)$")


def ends_sentence(text: str) -> bool:
    return text.endswith(tuple(SENTENCE_END))


def runs_on(text: str) -> bool:
    """Does the line stop mid-sentence (no sentence end, closing quote or colon at its end)?"""
    return not text.endswith(tuple(LINE_END))


def is_numbered_heading(text: str) -> bool:
    return bool(NUMBERED_HEADING.match(text))


def heading_shape(text: str, max_len: int = SHORT_HEADING_MAX) -> bool:
    """Does the line read as a heading, by its shape alone: not a dateline, no sentence end inside or at
    its end and no closing punctuation at its end, and either numbered (一、 （一） 1．), whatever its length,
    or at most `max_len` characters without a comma."""
    if not text or not runs_on(text) or any(c in text for c in "。！？") or DATELINE.match(text):
        return False
    return is_numbered_heading(text) or (len(text) <= max_len and not re.search(r"[，,]", text))


def title_shape(text: str, max_len: int = TITLE_MAX) -> bool:
    """Does the line read as a title: at most `max_len` characters, not a dateline, and not a sentence (commas and
    closing quotes allowed: 以党建引领，推动“三社联动”)."""
    return (bool(text) and len(text) <= max_len and not ends_sentence(text) and "。" not in text
            and not DATELINE.match(text))


def to_number(numeral: str) -> int:
    """"12" -> 12; Chinese numerals up to the hundreds: "十二" -> 12, "一百零五" -> 105."""
    if numeral.isdigit():
        return int(numeral)
    total, digit = 0, 0
    for char in numeral:
        if char in _DIGITS:
            digit = _DIGITS[char]
        else:  # 十 or 百
            total += (digit or 1) * (10 if char == "十" else 100)
            digit = 0
    return total + digit


def chinese_numeral(number: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十 (1-99), as chapters and prefaces are numbered."""
    tens, units = divmod(number, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHAPTER_NUMERALS[tens - 1] + "十")
    return head + (CHAPTER_NUMERALS[units - 1] if units else "") if number else "零"
