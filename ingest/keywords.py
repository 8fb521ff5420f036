"""Per-case keywords (jieba TF-IDF) and the places each case names.

Both tables read a case's title and passages tagged once by jieba's POS tagger (case_terms)
with the casekb term dictionary (`kbcore.words.init()` loads it), so 政社互动, 两份清单 or
浏河镇 are single tokens.

case_keywords: TF-IDF as jieba.analyse computes it (term frequency / tokens in the case,
times IDF), but with the IDF computed over this corpus' own cases that have text (title +
passages joined), not jieba's general-news IDF table, so 政社互动 or 政府 — in nearly every
text — rank low and a case's own subject ranks high. Title-only cases get keywords from
their title but are left out of the IDF counts (a 10-character title says nothing about
how common a word is); a word no text uses gets the highest IDF. Stopwords, single characters,
numbers and function-word POS (pronouns, prepositions, particles, ...) are skipped.

case_places: jieba 'ns' (place) tokens whose form ends with an administrative or local
place suffix (省 市 县 区 镇 乡 街道 村 社区, and 新村 苑 老街 桥 for the book's residential
compounds and streets) — the suffix regex is applied to whole tokens, so "在浏河镇" gives
浏河镇 rather than a run of characters. A bare name (太仓, 秦淮, 鼓楼) counts for its
suffixed form when the corpus or the term dictionary knows exactly that place (太仓市,
秦淮区, 鼓楼区). Generic words that end like places (城市, 农村社区, 山区) are dropped.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from typing import Callable, Iterable, NamedTuple

import jieba.posseg

from kbcore import words
from kbcore.text import CJK, CJK_CHAR
from kbcore.wordlists import read_terms

from . import postagger

TOP_KEYWORDS = 10
ADMIN_SUFFIXES = ("省", "市", "县", "区", "镇", "乡", "街道", "村", "社区")
LOCAL_SUFFIXES = ("新村", "苑", "老街", "桥")
_PLACE = re.compile(rf"^[{CJK}]{{2,8}}?(?:{'|'.join(ADMIN_SUFFIXES + LOCAL_SUFFIXES)})$")
# POS tags (jieba / ICTCLAS) that never make a keyword: numerals, measure words, pronouns,
# prepositions, conjunctions, particles, adverbs, punctuation, interjections, onomatopoeia,
# directions, times, modal particles.
_SKIP_POS = ("m", "q", "r", "p", "c", "u", "d", "x", "e", "o", "f", "t", "y", "z")
# Words that end like a place but name none.
_NOT_PLACES = {"城市", "城乡", "城区", "社区", "农村", "乡村", "山区", "郊区", "辖区", "地区", "小区",
               "乡镇", "都市区", "海岛县", "大湾区", "新区", "景区", "园区", "街区", "片区", "老区", "市区", "县区"}
_GENERIC_STEMS = ("城市", "农村", "城乡", "乡村", "中心", "幸福", "和谐", "智慧", "特色", "行政",
                  "自然", "建制", "试点", "示范", "新型", "全国", "全市", "全县", "田园", "文明", "卫生",
                  "各", "每", "本", "该", "全", "都市", "海岛", "大湾")
# A community or village named after a road (八角南路社区): jieba cuts the road's name off (八角 / 南路 / 社区),
# so a stem ending like a road takes the word before it; without one the name is incomplete and not a place.
_ROAD_STEM = re.compile(r"(?:[东南西北中]?路|大道|大街|[东南西北]街|巷)$")
_PROVINCIAL = ("省", "自治区")
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
_AUTONOMOUS = {"广西": "广西壮族自治区", "内蒙古": "内蒙古自治区", "西藏": "西藏自治区", "宁夏": "宁夏回族自治区",
               "新疆": "新疆维吾尔自治区"}
_NAME_POS = ("ns", "nr", "nz", "n", "nt", "j")
# "村(居)委会" would be cut 村/(/居/)/委会: for keywords it is read as 村委会.
_RESIDENT = re.compile(r"[(（]居[)）]")


def _pos(text: str) -> tuple[tuple[str, str], ...]:
    """(word, tag) pairs for text."""
    return tuple((w.strip(), f) for w, f in jieba.posseg.cut(text or "") if w.strip())


class CaseTerms(NamedTuple):
    """What the two tables need of one case, its texts tagged once: keyword counts in order of first
    use and how many keyword tokens in all; the places it names and its bare names (太仓, 秦淮)."""
    keywords: dict[str, int]
    total: int
    places: Counter
    bare: Counter


def case_terms(texts: list[str]) -> CaseTerms:
    """A case's texts (title first, then passages in order) tagged once by jieba for both tables;
    only a text with 村(居) is tagged again for keywords. The tags themselves are not kept."""
    words.init()
    postagger.install()  # the same tags, decoded faster
    stop = words.stopwords()
    keywords: dict[str, int] = {}
    places, bare = Counter(), Counter()
    for text in texts:
        pos, plain = _pos(text), _RESIDENT.sub("", text or "")
        for w, f in (pos if plain == (text or "") else _pos(plain)):
            if _is_keyword(w, f, stop):
                keywords[w] = keywords.get(w, 0) + 1
        _count_places(pos, places, bare)
    return CaseTerms(keywords, sum(keywords.values()), places, bare)


# --- keywords --------------------------------------------------------------------------

def _is_keyword(word: str, tag: str, stop: frozenset) -> bool:
    return (len(word) > 1 and bool(CJK_CHAR.search(word)) and word not in stop
            and not tag.startswith(_SKIP_POS))


def idf_of(keyword_sets: Iterable[Iterable[str]]) -> Callable[[str], float]:
    """The IDF over the cases that have text (one set of keywords each): a word none uses gets the highest."""
    df, n = Counter(), 0
    for keywords in keyword_sets:
        df.update(set(keywords))
        n += 1
    return lambda w: math.log((n + 1) / (df[w] + 1)) + 1


def case_keyword_rows(case_id: str, counts: dict[str, int], total: int, idf: Callable[[str], float]) -> list[dict]:
    """case_keywords rows of one case: its top TOP_KEYWORDS TF-IDF keywords, rank 1 first
    (ties in order of first use: `counts` keeps that order)."""
    if not total:
        return []
    first = {w: i for i, w in enumerate(counts)}
    ranked = sorted(counts, key=lambda w: (-counts[w] * idf(w), first[w]))[:TOP_KEYWORDS]
    return [{"case_id": case_id, "keyword": w, "weight": round(counts[w] / total * idf(w), 4), "rank": rank}
            for rank, w in enumerate(ranked, 1)]


# --- places ----------------------------------------------------------------------------

def _is_place(word: str) -> bool:
    if word in _NOT_PLACES or not _PLACE.match(word) or word.endswith(("城市", "水乡", "家乡", "故乡")):
        return False
    stem = _stem(word)
    return len(stem) >= 2 and not stem.startswith(_GENERIC_STEMS)


def _stem(place: str) -> str:
    for suffix in sorted(ADMIN_SUFFIXES + LOCAL_SUFFIXES, key=len, reverse=True):
        if place.endswith(suffix):
            return place[: -len(suffix)]
    return place


@lru_cache(maxsize=1)
def _dictionary_places() -> frozenset[str]:
    """Places the casekb term dictionary tags 'ns' (太仓市, 秦淮区, ...)."""
    return frozenset(t.word for t in read_terms(words.TERMS_FILE) if t.tag == "ns" and _is_place(t.word))


def _count_places(tagged: tuple[tuple[str, str], ...], places: Counter, bare: Counter) -> None:
    """Add the suffixed places in one tagged text to `places`, and the bare names seen to `bare`."""
    for i, (w, f) in enumerate(tagged):
        if f == "ns" and i + 1 < len(tagged) and tagged[i + 1][0] in ADMIN_SUFFIXES and not _is_place(w):
            w = w + tagged[i + 1][0]                    # 太仓 / 市 -> 太仓市, 南路 / 社区 -> 南路社区
        if f == "ns" and _ROAD_STEM.search(_stem(w)):
            before = tagged[i - 1] if i else ("", "")
            if not (CJK_CHAR.match(before[0] or " ") and not before[1].startswith(_SKIP_POS[5:])
                    and not _PLACE.match(before[0])):
                continue                                 # 南路社区 without the name of its road
            w = before[0] + w                            # 八角 / 南路社区 -> 八角南路社区
        if f == "ns" and _is_place(w):
            places[w] += 1
        elif f.startswith(_NAME_POS) and len(w) >= 2 and not _PLACE.match(w):
            bare[w] += 1


def places_by_stem(corpus: Counter) -> dict[str, list[str]]:
    """Every place the corpus (its suffixed places counted over all cases) or the term dictionary
    knows, by its bare name: the candidates a bare 太仓 may stand for."""
    by_stem: dict[str, list[str]] = {}
    for place in set(corpus) | _dictionary_places():
        by_stem.setdefault(_stem(place), []).append(place)
    return by_stem


def case_place_rows(case_id: str, places: Counter, bare: Counter, by_stem: dict[str, list[str]],
                    corpus: Counter) -> list[dict]:
    """case_places rows of one case: each place it names in its title and passages, and how often."""
    rank = {s: i for i, s in enumerate(ADMIN_SUFFIXES + LOCAL_SUFFIXES)}
    counts = Counter(places)
    for name, n in bare.items():
        candidates = [p for p in by_stem.get(name, []) if p[len(name):] in ADMIN_SUFFIXES] or (
            [name + "市"] if name in _MUNICIPALITIES else [])  # 天津 is written bare more often than not
        if candidates:    # the one this case names, else the corpus' most frequent, else the larger unit
            best = min(candidates, key=lambda p: (-places[p], -corpus[p], rank[p[len(name):]], p))
            counts[best] += n
    return [{"case_id": case_id, "place": p, "count": n}
            for p, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]


def _known_place(name: str, tagged: bool = True) -> list[str]:
    """The administrative place jieba's dictionary knows a bare place name (天津, 咸阳) by: 天津市, 咸阳市
    (`tagged=False`: also for a name jieba does not tag as a place, 滕州 -> 滕州市)."""
    words.init()
    if len(name) < 2 or (tagged and jieba.posseg.dt.word_tag_tab.get(name) != "ns"):
        return []
    return [name + s for s in ("市", "县", "区") if jieba.posseg.dt.word_tag_tab.get(name + s) == "ns"][:1]


def case_region(texts: list[str]) -> tuple[str | None, str | None]:
    """(region, province) a case names first in its title, else its opening: 陕西咸阳：… -> (咸阳市, 陕西省),
    天津和平区 -> (天津市, 天津市). The first city, county or district named is the region; a province is
    taken only when named."""
    words.init()
    region = province = None
    for text in texts:
        tagged = _pos(text)
        for i, (w, f) in enumerate(tagged):
            if f != "ns" and not (region is None and province and _known_place(w, tagged=False)):
                continue  # a name right after its province is a city even when jieba does not know it (山东滕州)
            if i + 1 < len(tagged) and tagged[i + 1][0] in ADMIN_SUFFIXES + _PROVINCIAL and not _is_place(w):
                w += tagged[i + 1][0]
            if w in _MUNICIPALITIES or w[:-1] in _MUNICIPALITIES:
                name = w if w.endswith("市") else w + "市"
                region, province = region or name, province or name
            elif w in _AUTONOMOUS or w.endswith(_PROVINCIAL) or jieba.posseg.dt.word_tag_tab.get(w + "省") == "ns":
                province = province or _AUTONOMOUS.get(w) or (w if w.endswith(_PROVINCIAL) else w + "省")
            elif region is None and (place := w if w.endswith(("市", "县", "区")) and _is_place(w)
                                     else next(iter(_known_place(w, tagged=not province)), None)):
                region = place
        if region:
            return region, province
    return region, province
