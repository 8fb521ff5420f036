"""Per-case keywords (jieba TF-IDF) and the places each case names.

Both tables read a case's title and passages tagged once by jieba's POS tagger (tag_cases)
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
from typing import NamedTuple

import jieba.posseg

from kbcore import words
from kbcore.text import CJK, CJK_CHAR

from .records import passages_by_case

TOP_KEYWORDS = 10
ADMIN_SUFFIXES = ("省", "市", "县", "区", "镇", "乡", "街道", "村", "社区")
LOCAL_SUFFIXES = ("新村", "苑", "老街", "桥")
_PLACE = re.compile(rf"^[{CJK}]{{2,8}}?(?:{'|'.join(ADMIN_SUFFIXES + LOCAL_SUFFIXES)})$")
# POS tags (jieba / ICTCLAS) that never make a keyword: numerals, measure words, pronouns,
# prepositions, conjunctions, particles, adverbs, punctuation, interjections, onomatopoeia,
# directions, times, modal particles.
_SKIP_POS = ("m", "q", "r", "p", "c", "u", "d", "x", "e", "o", "f", "t", "y", "z")
# Words that end like a place but name none.
_NOT_PLACES = {"城市", "城乡", "城区", "社区", "农村", "乡村", "山区", "郊区", "辖区", "地区", "小区"}
_GENERIC_STEMS = ("城市", "农村", "城乡", "乡村", "中心", "幸福", "和谐", "智慧", "特色", "行政",
                  "自然", "建制", "试点", "示范", "新型", "全国", "全市", "全县", "田园", "文明", "卫生")
_NAME_POS = ("ns", "nr", "nz", "n", "nt", "j")
# "村(居)委会" would be cut 村/(/居/)/委会: for keywords it is read as 村委会.
_RESIDENT = re.compile(r"[(（]居[)）]")


def _pos(text: str) -> tuple[tuple[str, str], ...]:
    """(word, tag) pairs for text."""
    return tuple((w.strip(), f) for w, f in jieba.posseg.cut(text or "") if w.strip())


class Tagged(NamedTuple):
    """One text tagged for both tables: as written (places) and as keywords read it."""
    places: tuple[tuple[str, str], ...]
    keywords: tuple[tuple[str, str], ...]


def tag_cases(cases: list[dict], passages: list[dict]) -> dict[str, list[Tagged]]:
    """case id -> its texts tagged, title first, then passages in order. Each text is tagged once for
    both tables (a cache cannot hold a large corpus); only a text with 村(居) is tagged again for keywords."""
    words.init()
    by_case = passages_by_case(passages)
    tagged = {}
    for c in cases:
        tagged[c["id"]] = units = []
        for text in [c.get("title") or ""] + [p["text"] for p in by_case.get(c["id"], [])]:
            pos, plain = _pos(text), _RESIDENT.sub("", text)
            units.append(Tagged(pos, pos if plain == text else _pos(plain)))
    return tagged


# --- keywords --------------------------------------------------------------------------

def _is_keyword(word: str, tag: str, stop: frozenset) -> bool:
    return (len(word) > 1 and bool(CJK_CHAR.search(word)) and word not in stop
            and not tag.startswith(_SKIP_POS))


def keyword_rows(tagged: dict[str, list[Tagged]], passages: list[dict]) -> list[dict]:
    """case_keywords rows: the top TOP_KEYWORDS TF-IDF keywords of each case (tag_cases), rank 1 first."""
    stop = words.stopwords()
    docs = {cid: [w for t in texts for w, f in t.keywords if _is_keyword(w, f, stop)]
            for cid, texts in tagged.items()}
    with_text = {p["case_id"] for p in passages}
    n = len(with_text)
    df = Counter(w for cid in with_text for w in set(docs.get(cid, ())))
    def idf(w: str) -> float:
        return math.log((n + 1) / (df[w] + 1)) + 1
    rows = []
    for cid, toks in docs.items():
        if not toks:
            continue
        tf = Counter(toks)
        first = {}
        for i, w in enumerate(toks):
            first.setdefault(w, i)
        ranked = sorted(tf, key=lambda w: (-tf[w] * idf(w), first[w]))[:TOP_KEYWORDS]
        rows += [{"case_id": cid, "keyword": w, "weight": round(tf[w] / len(toks) * idf(w), 4),
                  "rank": rank} for rank, w in enumerate(ranked, 1)]
    return rows


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
    places = set()
    for line in words.TERMS_FILE.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] == "ns" and _is_place(parts[0]):
            places.add(parts[0])
    return frozenset(places)


def _case_places(texts: list[Tagged]) -> tuple[Counter, Counter]:
    """Suffixed places in the texts, and the bare names (太仓, 秦淮) seen, as separate counts."""
    places, bare = Counter(), Counter()
    for text in texts:
        tagged = text.places
        for i, (w, f) in enumerate(tagged):
            if f == "ns" and _is_place(w):
                places[w] += 1
            elif f == "ns" and i + 1 < len(tagged) and tagged[i + 1][0] in ADMIN_SUFFIXES \
                    and _is_place(w + tagged[i + 1][0]):
                places[w + tagged[i + 1][0]] += 1          # 太仓 / 市 -> 太仓市
            elif f.startswith(_NAME_POS) and len(w) >= 2 and not _PLACE.match(w):
                bare[w] += 1
    return places, bare


def place_rows(tagged: dict[str, list[Tagged]]) -> list[dict]:
    """case_places rows: each place a case (tag_cases) names in its title and passages, and how often."""
    found = {cid: _case_places(texts) for cid, texts in tagged.items()}
    corpus = Counter()
    for places, _ in found.values():
        corpus.update(places)
    known = set(corpus) | _dictionary_places()
    by_stem: dict[str, list[str]] = {}
    for place in known:
        by_stem.setdefault(_stem(place), []).append(place)
    rank = {s: i for i, s in enumerate(ADMIN_SUFFIXES + LOCAL_SUFFIXES)}
    rows = []
    for cid, (places, bare) in found.items():
        counts = Counter(places)
        for name, n in bare.items():
            candidates = [p for p in by_stem.get(name, []) if p[len(name):] in ADMIN_SUFFIXES]
            if candidates:    # the one this case names, else the corpus' most frequent, else the larger unit
                best = min(candidates, key=lambda p: (-places[p], -corpus[p], rank[p[len(name):]], p))
                counts[best] += n
        rows += [{"case_id": cid, "place": p, "count": n}
                 for p, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]
    return rows
