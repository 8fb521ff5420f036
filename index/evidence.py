"""What a case has in common with a query, in absolute terms (fusion only ranks):

* keyword coverage: the share of the query's concepts the case's text or title holds, each
  concept weighted by its rarity in the corpus (IDF over cases), so 社区 (in almost every case)
  counts for little and a word no case holds (股票) leaves every case uncovered;
* semantic standing: how far the case's best cosine stands above the query's mean cosine with
  all stored vectors, in standard deviations (index.vectors.standing).

The relevance floor (index/ranking.py) reads these two; `why` reads the terms.

Which cases hold a term is read from the FTS indexes through a TermIndex, made once per served
file: a common word (社区 in three passages of four) is a doclist of tens of thousands of
passages, read as one string of rowids and mapped to cases in numpy, never joined row by row
with `passages`; and the answer is kept (most recently used terms), since the file is fixed while
it is served and the common words are the ones every query asks for.
"""
import math
import threading
from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from kbcore.text import CJK_CHAR

from .query import Query


class TermHits(NamedTuple):
    body: dict[str, set[str]]   # term -> ids of the cases whose passages hold it
    title: dict[str, set[str]]  # term -> ids of the cases whose title (or chapter topic) holds it

    def cases(self, term: str) -> set[str]:
        return self.body.get(term, set()) | self.title.get(term, set())


def phrase(term: str) -> str:
    """The FTS5 phrase matching a term as it is written (kbcore.words.match_expression quotes alike)."""
    return '"' + term.replace('"', '""') + '"'


def term_hits(conn, terms, index: "TermIndex | None" = None) -> TermHits:
    """Per term, the cases holding it, by the FTS indexes: through `index` (a TermIndex of the
    served file) when there is one, else one query per term and table."""
    if index is not None:
        return index.hits(conn, terms)
    body, title = {}, {}
    for term in terms:
        body[term] = {cid for (cid,) in conn.execute(
            "select distinct p.case_id from passages_fts join passages p on p.rowid = passages_fts.rowid "
            "where passages_fts match ?", [phrase(term)])}
        title[term] = {cid for (cid,) in conn.execute(
            "select c.id from cases_fts join cases c on c.rowid = cases_fts.rowid where cases_fts match ?",
            [phrase(term)])}
    return TermHits(body, title)


class TermIndex:
    """Which cases hold a term, for one database file (fixed while it is served).

    Holds the case of every passage rowid and the id of every case rowid (numpy arrays, a few bytes a
    passage), and keeps the answers for recently asked terms: at most `cached` case ids in all
    (1,000,000 references: about 8 MB beside the ids themselves, which are shared)."""

    def __init__(self, conn, cached: int = 1_000_000):
        case_rows = conn.execute("select rowid, id from cases").fetchall()
        self.case_ids = [cid for _, cid in case_rows]
        number = {cid: n for n, cid in enumerate(self.case_ids)}
        self._case_of_case_rowid = _lookup((rowid, n) for n, (rowid, _) in enumerate(case_rows))
        self._case_of_passage = _lookup((rowid, number[cid]) for rowid, cid in conn.execute(
            "select rowid, case_id from passages where case_id is not null"))
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], tuple[frozenset[str], int]] = OrderedDict()
        self._cached, self._limit = 0, cached

    def hits(self, conn, terms) -> TermHits:
        return TermHits({t: self.cases(conn, "passages_fts", t) for t in terms},
                        {t: self.cases(conn, "cases_fts", t) for t in terms})

    def cases(self, conn, table: str, term: str) -> frozenset[str]:
        """Ids of the cases holding the term in `table` (passages_fts: their passages; cases_fts: the title)."""
        return self._read(conn, table, term)[0]

    def rows(self, conn, table: str, term: str) -> int:
        """How many rows of `table` (passages_fts or cases_fts) hold the term."""
        return self._read(conn, table, term)[1]

    def _read(self, conn, table: str, term: str) -> tuple[frozenset[str], int]:
        key = (table, term)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        rowids = conn.execute(f"select group_concat(rowid) from {table} where {table} match ?",
                              [phrase(term)]).fetchone()[0]
        lookup = self._case_of_passage if table == "passages_fts" else self._case_of_case_rowid
        rowids = np.fromstring(rowids or "", dtype=np.int64, sep=",")
        numbers = lookup[rowids[(rowids >= 0) & (rowids < len(lookup))]]
        found = (frozenset(self.case_ids[n] for n in np.unique(numbers[numbers >= 0]).tolist()), len(rowids))
        with self._lock:
            if key not in self._cache:
                self._cache[key] = found
                self._cached += len(found[0]) + 1
                while self._cached > self._limit and len(self._cache) > 1:
                    _, (dropped, _) = self._cache.popitem(last=False)
                    self._cached -= len(dropped) + 1
        return found


def _lookup(pairs) -> np.ndarray:
    """An array a[rowid] = number (-1 where no row has that rowid)."""
    pairs = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    out = np.full(int(pairs[:, 0].max()) + 1 if len(pairs) else 1, -1, dtype=np.int32)
    out[pairs[:, 0]] = pairs[:, 1]
    return out


def idf(df: int, cases: int) -> float:
    """Rarity of a term held by df of the corpus's cases (> 0 even for a term every case holds)."""
    return math.log((cases + 1) / (df + 0.5))


def coverage(query: Query, hits: TermHits, cases: int, among: set[str] | None = None,
             chinese_only: bool = False) -> dict[str, float]:
    """case id -> the IDF-weighted share of the query's concepts it holds (0..1). A concept is held
    through itself or an expansion; an expansion commoner than the concept gives only the part of
    the concept's weight its own rarity earns (社区 does not stand for 社区减负). `among`: only
    these cases (the candidates a search ranks) are scored; the weights are the corpus's all the same.
    `chinese_only`: concepts without a Chinese character are left out (the gate's view: in a Chinese
    corpus an English word is no evidence either way, its lexicon terms are)."""
    concepts = [(c, group) for c, group in query.concept_terms() if not chinese_only or CJK_CHAR.search(c)]
    weights = {t: idf(len(hits.cases(t)), cases) for _, group in concepts for t in group}
    total = sum(weights[c] for c, _ in concepts)
    if not total:
        return {}
    credit: dict[str, float] = {}
    for concept, group in concepts:
        best: dict[str, float] = {}
        for term in group:
            share = min(1.0, weights[term] / weights[concept])
            held = hits.cases(term)
            for cid in (held if among is None else among & held):
                best[cid] = max(best.get(cid, 0.0), share)
        for cid, share in best.items():
            credit[cid] = credit.get(cid, 0.0) + weights[concept] * share
    return {cid: value / total for cid, value in credit.items()}
