"""Character-level normalisation shared by ingest (documents) and index (queries).

Both sides must fold text the same way, or a Traditional query will not find a
Simplified passage; so the one OpenCC converter and the width rules live here.
"""
import re
import unicodedata
from collections import Counter
from functools import lru_cache

import opencc

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # the one definition of a Chinese character (a class body)
CJK_CHAR = re.compile(f"[{CJK}]")
# "17 亩", "313 路", "100 例": a space between a number and a character is layout;
# so is one inside a spaced-out pair ("目 录", "序 一"). Spaces between words stay.
_SPACE_IN_CJK = re.compile(
    rf"(?<=[0-9])[ \u3000\t]+(?=[{CJK}])|(?<=[{CJK}])[ \u3000\t]+(?=[0-9])"
    rf"|(?<![{CJK}][{CJK}])(?<=[{CJK}])[ \u3000](?=[{CJK}](?![{CJK}]))")
_HALF_TO_FULL_PUNCT = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
_PUNCT_BETWEEN_CJK = re.compile(rf"(?<=[{CJK}”」）)%])([,;:!?])[ \u3000]*(?=[{CJK}“「（(0-9])")
_FULLWIDTH_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


@lru_cache(maxsize=1)
def _t2s():
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified with OpenCC (length-preserving for these texts)."""
    return _t2s().convert(text) if text else text


def normalise_width(text: str) -> str:
    """Full-width digits/letters to ASCII, layout spaces removed ("17 亩" -> "17亩"),
    half-width , ; : ! ? between Chinese characters to their full-width forms.

    Meaning is unchanged: only presentation variants of the same characters are folded.
    """
    text = _FULLWIDTH_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = _SPACE_IN_CJK.sub("", text)
    return _PUNCT_BETWEEN_CJK.sub(lambda m: _HALF_TO_FULL_PUNCT[m.group(1)], text)


@lru_cache(maxsize=256)
def term_pattern(terms: tuple[str, ...], flags: int = 0) -> re.Pattern:
    """One alternation of the terms, longest first, so that at each position the longest
    term wins: one 社区减负 counts as 社区减负, not also as 减负."""
    ordered = sorted({t for t in terms if t}, key=lambda t: (-len(t), t))
    return re.compile("|".join(map(re.escape, ordered)), flags)


def count_terms(text: str, terms: tuple[str, ...]) -> Counter:
    """Occurrences of the terms in text, longest match first, without overlaps."""
    if not any(terms):
        return Counter()
    return Counter(m.group() for m in term_pattern(tuple(terms)).finditer(text or ""))


def fold(text: str) -> str:
    """Query-side folding: NFKC, Traditional -> Simplified, collapsed whitespace.

    NFKC also turns full-width punctuation into ASCII, which is what a tokenizer
    wants; it is therefore not applied to stored document text.
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = to_simplified(text)
    return re.sub(r"\s+", " ", text).strip()
