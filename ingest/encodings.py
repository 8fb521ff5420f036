"""Which legacy East-Asian encoding a text that is not UTF-8 is in.

GB18030 decodes nearly any byte string, so Big5, Shift-JIS and EUC-KR text used to pass as GB18030
mojibake (跋獀瞶よ承穝…, marked "Simplified"). Every candidate that decodes the bytes without error
is scored by the share of its characters that are common in its language: Chinese, a character whose
Simplified form is among the 2,000 most frequent single characters of jieba's dictionary, or Chinese
punctuation; Japanese, kana or a kanji of JIS X 0208's first level; Korean, Hangul. Mojibake is mostly
rare characters (Korean read as GB18030 stays inside GB 2312's first level, but not among its frequent ones).
"""
from functools import lru_cache
from typing import NamedTuple

import jieba

from kbcore.text import to_simplified

SAMPLE_CHARS = 200_000  # characters scored: enough to tell, whatever the length of the file
FREQUENT_CHARS = 2000
MIN_SCORE = 0.6  # real text scores 0.9 and more in its own encoding; mojibake a third or less
PUNCTUATION = set("，。、；：？！“”‘’（）《》〈〉【】—…·「」『』〔〕％")


class Legacy(NamedTuple):
    name: str       # as shown to the user
    codec: str      # Python's codec
    language: str


CANDIDATES = (Legacy("GB18030", "gb18030", "Chinese"), Legacy("Big5", "big5hkscs", "Chinese"),
              Legacy("Shift-JIS", "cp932", "Japanese"), Legacy("EUC-KR", "cp949", "Korean"))


class Guess(NamedTuple):
    encoding: Legacy
    text: str
    score: float    # share of common characters of its language among the non-ASCII ones


def guess(data: bytes) -> Guess | None:
    """The candidate whose decoding reads most like its language (the first on a tie), or None when
    none decodes the bytes."""
    found = []
    for candidate in CANDIDATES:
        try:
            text = data.decode(candidate.codec)
        except UnicodeDecodeError:
            continue
        found.append(Guess(candidate, text, _score(text, candidate.language)))
    return max(found, key=lambda g: g.score, default=None)


def _score(text: str, language: str) -> float:
    chars = [c for c in text[:SAMPLE_CHARS] if ord(c) > 0x7F and not c.isspace()]
    if not chars:
        return 0.0
    common = {"Chinese": _common_chinese, "Japanese": _common_japanese, "Korean": _common_korean}[language]
    if language == "Chinese":
        chars = list(to_simplified("".join(chars)))
    return sum(map(common, chars)) / len(chars)


def _common_chinese(c: str) -> bool:
    return c in PUNCTUATION or c in _frequent_chinese()


@lru_cache(maxsize=1)
def _frequent_chinese() -> frozenset:
    """The most frequent one-character words of jieba's own dictionary (read only for non-UTF-8 files)."""
    counts = {}
    with jieba.get_dict_file() as f:
        for line in f:
            word, count = line.decode("utf-8").split(" ")[:2]
            if len(word) == 1:
                counts[word] = int(count)
    return frozenset(sorted(counts, key=counts.get, reverse=True)[:FREQUENT_CHARS])


def _common_japanese(c: str) -> bool:
    return "\u3041" <= c <= "\u30ff" or c in PUNCTUATION or _first_level(c, "shift_jis", 0x88, 0x98)


def _common_korean(c: str) -> bool:
    return "\uac00" <= c <= "\ud7a3" or c in PUNCTUATION


def _first_level(c: str, codec: str, low: int, high: int) -> bool:
    """Whether a character is in the first (most used) level of a national character set."""
    try:
        encoded = c.encode(codec)
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and low <= encoded[0] <= high
