"""What a case has in common with a query, in absolute terms (fusion only ranks):

* keyword coverage: the share of the query's concepts the case's text or title holds, each
  concept weighted by its rarity in the corpus (IDF over cases), so 社区 (in almost every case)
  counts for little and a word no case holds (股票) leaves every case uncovered;
* semantic standing: how far the case's best cosine stands above the query's mean cosine with
  all stored vectors, in standard deviations (index.vectors.standing).

The relevance floor (index/ranking.py) reads these two; `why` reads the terms.
"""
import math
from typing import NamedTuple

from .query import Query


class TermHits(NamedTuple):
    body: dict[str, set[str]]   # term -> ids of the cases whose passages hold it
    title: dict[str, set[str]]  # term -> ids of the cases whose title (or chapter topic) holds it

    def cases(self, term: str) -> set[str]:
        return self.body.get(term, set()) | self.title.get(term, set())


def term_hits(conn, terms) -> TermHits:
    """Per term, the cases holding it, by the FTS indexes (one indexed lookup per term and table)."""
    body, title = {}, {}
    for term in terms:
        phrase = '"' + term.replace('"', '""') + '"'
        body[term] = {cid for (cid,) in conn.execute(
            "select distinct p.case_id from passages_fts join passages p on p.rowid = passages_fts.rowid "
            "where passages_fts match ?", [phrase])}
        title[term] = {cid for (cid,) in conn.execute(
            "select c.id from cases_fts join cases c on c.rowid = cases_fts.rowid where cases_fts match ?",
            [phrase])}
    return TermHits(body, title)


def idf(df: int, cases: int) -> float:
    """Rarity of a term held by df of the corpus's cases (> 0 even for a term every case holds)."""
    return math.log((cases + 1) / (df + 0.5))


def coverage(query: Query, hits: TermHits, cases: int) -> dict[str, float]:
    """case id -> the IDF-weighted share of the query's concepts it holds (0..1). A concept is held
    through itself or an expansion; an expansion commoner than the concept gives only the part of
    the concept's weight its own rarity earns (社区 does not stand for 社区减负)."""
    concepts = query.concept_terms()
    weights = {t: idf(len(hits.cases(t)), cases) for _, group in concepts for t in group}
    total = sum(weights[c] for c, _ in concepts)
    if not total:
        return {}
    credit: dict[str, float] = {}
    for concept, group in concepts:
        best: dict[str, float] = {}
        for term in group:
            share = min(1.0, weights[term] / weights[concept])
            for cid in hits.cases(term):
                best[cid] = max(best.get(cid, 0.0), share)
        for cid, share in best.items():
            credit[cid] = credit.get(cid, 0.0) + weights[concept] * share
    return {cid: value / total for cid, value in credit.items()}
