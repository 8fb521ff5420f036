"""A search query read once: checked, folded, cut into terms, and the mechanisms it names.

Every retriever reads this one record, so the query is folded once and the keyword,
mechanism and semantic sides all see the same text.

Terms: jieba's precise cut of the folded query (function words and single characters dropped,
kbcore.words.is_evidence), then the case terms the governance lexicon gives for its everyday words
(负担太重 -> 减负, homeowners committee -> 业委会; kbcore/lexicon.py), are the query's *concepts*.
Each concept may bring *expansions* the keyword side also searches for (QueryTerms says which
kinds are on; bench/search_quality.py --grid measured each on the tuning half):
  * sub-words: jieba's search-mode cut of the concept (社区减负 -> 社区, 减负), as documents are indexed;
  * abbreviation: a four-character concept whose 1st and 3rd characters form a word the corpus
    holds (环境卫生 -> 环卫).
"""
import json
from typing import Callable, NamedTuple

from kbcore.lexicon import Lexicon, lexicon
from kbcore.limits import MAX_QUERY_CHARS, MAX_QUERY_TERMS
from kbcore.text import CJK_CHAR, count_terms
from kbcore.words import cut_for_index, fold_query, folded_query_terms, is_evidence


class SearchError(ValueError):
    """A query or parameter the user must change; the message says which and why."""


class Mechanism(NamedTuple):
    id: str
    terms: tuple[str, ...]  # its name and the terms that signal it
    cases: int              # how many cases are tagged with it


class QueryTerms(NamedTuple):
    """Which expansions of the query's concepts the keyword side searches for."""
    subwords: bool = False
    abbreviations: bool = False
    lexicon: bool = False  # the case terms of the lexicon entries the query's words call up


class Query(NamedTuple):
    text: str                    # as typed, NULs removed and stripped
    folded: str                  # what the encoder and the mechanism names read
    terms: tuple[str, ...]       # jieba content terms of `folded`: the query's concepts
    mechanisms: tuple[str, ...]  # ids of the mechanisms the query names
    expansions: tuple[tuple[str, ...], ...] = ()  # per concept, the other terms searched for it

    @property
    def search_terms(self) -> tuple[str, ...]:
        """Every term the keyword side searches for: the concepts, then their expansions."""
        extra = [t for group in self.expansions for t in group]
        return tuple(dict.fromkeys([*self.terms, *extra]))[:MAX_QUERY_TERMS]

    def concept_terms(self) -> list[tuple[str, tuple[str, ...]]]:
        """(concept, the terms that stand for it: itself and its expansions)."""
        groups = self.expansions or ((),) * len(self.terms)
        return [(t, (t, *group)) for t, group in zip(self.terms, groups)]


def parse_query(text, catalogue: list[Mechanism], options: QueryTerms = QueryTerms(),
                in_corpus: Callable[[str], bool] | None = None) -> Query:
    """The query record; SearchError for a query the user must change. `in_corpus(word)` says
    whether the corpus holds a word (needed by the abbreviation rule)."""
    text = clean_query(text)
    folded = fold_query(text)
    terms = folded_query_terms(folded)
    if options.lexicon:
        terms = list(dict.fromkeys(terms + lexicon_terms(folded)))[:MAX_QUERY_TERMS]
    terms = tuple(terms)
    expansions = tuple(expand(t, options, in_corpus) for t in terms) if options.subwords or options.abbreviations \
        else ()
    return Query(text, folded, terms, tuple(m.id for m in named_mechanisms(folded, catalogue)), expansions)


def lexicon_terms(folded: str, table: Lexicon | None = None) -> list[str]:
    """The case terms the lexicon gives for a folded query, each cut as the query is (a term jieba
    cuts in two is searched as its two words)."""
    return [t for term in (table or lexicon()).terms_for(folded) for t in folded_query_terms(term)]


def expand(term: str, options: QueryTerms, in_corpus: Callable[[str], bool] | None) -> tuple[str, ...]:
    """The other terms a concept is searched by (never itself, nor a stopword)."""
    extra = []
    if options.subwords:
        extra += cut_for_index(term)
    if options.abbreviations and in_corpus is not None and len(term) == 4 and all(map(CJK_CHAR.match, term)):
        short = term[0] + term[2]
        if in_corpus(short):
            extra.append(short)
    return tuple(t for t in dict.fromkeys(extra) if t != term and is_evidence(t))


def named_mechanisms(folded: str, catalogue: list[Mechanism]) -> list[Mechanism]:
    """Mechanisms whose name or a term appears in the folded text: a question about 社区减负
    (or 减轻负担) is then also answered by the cases tagged with it."""
    return [m for m in catalogue if count_terms(folded, m.terms)]


def mechanism_catalogue(conn) -> list[Mechanism]:
    """Every mechanism some case uses, most used first (the database is fixed while it is served)."""
    return [Mechanism(mid, (mid, *json.loads(terms)), cases) for mid, terms, cases in conn.execute(
        "select m.id, m.terms, count(*) from mechanisms m join case_mechanisms cm on cm.mechanism = m.id "
        "group by m.id order by count(*) desc, m.id")]


def clean_query(query, allow_empty: bool = False) -> str:
    if query is None and allow_empty:
        return ""
    if not isinstance(query, str):
        raise SearchError("q: 请输入查询内容 (the query must be text)")
    query = query.replace("\x00", " ").strip()
    if not query and not allow_empty:
        raise SearchError("q: 请输入查询内容 (empty query)")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"q: 查询过长，请不超过{MAX_QUERY_CHARS}字 "
                          f"(query is {len(query)} characters; the limit is {MAX_QUERY_CHARS})")
    return query
