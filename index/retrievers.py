"""Retrievers: each reads a Query and returns ranked hits from one kind of evidence.

A retriever is `(conn, query, k) -> [Hit]`, best first, at most k hits; fusion reads only
the order, so the scores need not be comparable across retrievers.
"""
import json
from typing import Callable, NamedTuple

import numpy as np

from kbcore.words import match_expression

from .connection import marks
from .query import Query
from .vectors import Vectors, nearest


class Hit(NamedTuple):
    case_id: str
    passage_id: str | None  # None: the case's title
    score: float            # the retriever's own score, higher is better


Retriever = Callable[[object, Query, int], list[Hit]]


def keyword(conn, query: Query, k: int) -> list[Hit]:
    """Passages matching any searched term (the query's concepts and their expansions), by FTS5 bm25."""
    match = match_expression(list(query.search_terms))
    if not match:
        return []
    return [Hit(cid, pid, -rank) for cid, pid, rank in conn.execute(
        "select p.case_id, p.id, bm25(passages_fts) from passages_fts join passages p "
        "on p.rowid = passages_fts.rowid where passages_fts match ? order by bm25(passages_fts) limit ?",
        [match, k])]


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
