"""Retrievers: each reads a Query and returns ranked hits from one kind of evidence.

A retriever is `(conn, query, k) -> [Hit]`, best first, at most k hits; fusion reads only
the order, so the scores need not be comparable across retrievers.
"""
import json
from typing import Callable, NamedTuple

import numpy as np

from kbcore.words import match_expression

from . import bm25
from .connection import marks
from .evidence import TermIndex
from .query import Query
from .vectors import Vectors, nearest


class Hit(NamedTuple):
    case_id: str
    passage_id: str | None  # None: the case's title
    score: float            # the retriever's own score, higher is better


Retriever = Callable[[object, Query, int], list[Hit]]


def keyword(conn, query: Query, k: int) -> list[Hit]:
    """Passages matching any searched term (the query's concepts and their expansions), by FTS5 bm25
    (ties by rowid). The k best are found before their passages are read: a common word matches most
    of the corpus, and joining every match with `passages` cost three times the ranking."""
    match = match_expression(list(query.search_terms))
    if not match:
        return []
    return [Hit(cid, pid, -rank) for cid, pid, rank in conn.execute(
        "select p.case_id, p.id, f.rank from (select rowid, bm25(passages_fts) as rank from passages_fts "
        "where passages_fts match ? order by rank, rowid limit ?) f join passages p on p.rowid = f.rowid "
        "order by f.rank, f.rowid", [match, k])]


def bounded_keyword(terms: TermIndex, stats: bm25.Averages | None) -> Retriever:
    """keyword(), with the same hits in the same order, for one served file: when the query mixes rare
    terms with terms in half the passages or more, FTS5 scores only the passages holding the rare
    ones (index.bm25); `terms` knows how many passages hold each term."""
    def retrieve(conn, query: Query, k: int) -> list[Hit]:
        ranked = bm25.top(conn, list(query.search_terms), k, lambda t: terms.rows(conn, "passages_fts", t), stats)
        if ranked is None:
            return keyword(conn, query, k)
        rows = {rowid: (cid, pid) for rowid, cid, pid in conn.execute(
            f"select rowid, case_id, id from passages where rowid in ({marks(ranked)})", [r for r, _ in ranked])}
        return [Hit(*rows[rowid], -rank) for rowid, rank in ranked]
    return retrieve


def title(conn, query: Query, k: int) -> list[Hit]:
    """Case titles (with their chapter topic) matching any searched term, by FTS5 bm25."""
    match = match_expression(list(query.search_terms))
    if not match:
        return []
    return [Hit(cid, None, -rank) for cid, rank in conn.execute(
        "select c.id, bm25(cases_fts) from cases_fts join cases c on c.rowid = cases_fts.rowid "
        "where cases_fts match ? order by bm25(cases_fts) limit ?", [match, k])]


def mechanism(conn, query: Query, k: int) -> list[Hit]:
    """Cases tagged with a mechanism the query names, each with its first evidence passage."""
    if not query.mechanisms:
        return []
    return [Hit(cid, (json.loads(ids) or [None])[0], score) for cid, ids, score in conn.execute(
        f"select case_id, evidence_passage_ids, score from case_mechanisms where mechanism in "
        f"({marks(query.mechanisms)}) order by score desc, case_id limit ?", [*query.mechanisms, k])]


def semantic(vectors: Vectors, embed: Callable[[str], np.ndarray]) -> Retriever:
    """The semantic retriever over loaded vectors: the folded query embedded, nearest titles and
    passages first, scored by cosine similarity."""
    def retrieve(conn, query: Query, k: int) -> list[Hit]:
        if not query.folded:
            return []
        return by_vector(vectors, embed(query.folded), k)
    return retrieve


def by_vector(vectors: Vectors, vec: np.ndarray, k: int) -> list[Hit]:
    """The semantic retriever's hits for a query already embedded."""
    return [Hit(*vectors.items[i], score) for i, score in nearest(vectors, vec, k)]
