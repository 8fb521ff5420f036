"""Hybrid search, the facade the site, the reports and the CLI use: jieba keyword search (FTS5)
and semantic search (FAISS), fused per case, with a relevance floor.

query -> Query record (folded once: concepts and their expansions, named mechanisms, text for the
encoder) -> retrievers (keyword passages, titles, mechanism, semantic) -> filters -> evidence
(keyword coverage, semantic standing) -> fusion (index/ranking.py: per encoder, chosen on the
tuning half of the dev set) -> relevance floor -> results described in one batch, with
highlighted snippets, the passage to open and why each matched, in plain words.
A query of filters only (no words) lists the cases passing them, those with text first.
"""
import threading
from collections import OrderedDict
from contextlib import closing, contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np

from kbcore.schema import CASE_KINDS
from kbcore.words import fold_query, init

from . import bm25, retrievers
from .connection import connect_readonly, marks, named_rows
from .encoders import load_encoder
from .evidence import TermHits, TermIndex, coverage, term_hits
from .filters import allowed_cases
from .fusion import Fused, Fusion, fuse
from .query import Query, QueryTerms, SearchError, clean_query, mechanism_catalogue, named_mechanisms, parse_query
from .ranking import Floor, Ranking, shipped
from .results import NO_ANSWER, describe, describe_listing, describe_neighbours, suggestions
from .vectors import IndexMismatch, case_centre, load_vectors, nearest_cases, standing

__all__ = ["Searcher", "open_searcher", "SearchError", "Answer", "CANDIDATES", "MODES", "NO_ANSWER", "suggestions"]

CANDIDATES = 100  # hits each retriever hands to fusion
QUERY_THREADS = 1  # one query per request thread: a 2-thread encoder had p95 212 ms against 1.5 ms on a busy 2-core machine
# Query vectors kept (most recently used): the back button, the next page, a pack or a comparison made
# from a search ask for the same query again. A 384-d vector is 1.5 KB: 1,024 of them are 1.5 MB.
QUERY_CACHE = 1024
MODES = ("keyword", "title", "semantic", "mechanism")


class Candidates(NamedTuple):
    """Everything the ranking reads for one query, before fusion (the benchmark fuses it many ways)."""
    query: Query
    lists: dict            # retriever name -> [Hit], best first, filters applied
    similarity: dict       # case id -> (cosine, passage id or None for the title) of its best semantic hit
    standing: dict         # case id -> standing of that cosine (index.vectors.standing)
    coverage: dict         # case id -> keyword coverage (index.evidence.coverage)
    hits: TermHits         # per searched term, the cases holding it


class Answer(NamedTuple):
    results: list[dict]
    note: str | None        # said when a query found nothing above the floor
    suggestions: list[str]  # what to try then
    below_floor: int        # candidate cases the floor left out


class Searcher:
    """Holds what is expensive to load (vectors, encoder, mechanism names), once per process,
    and runs the retrievers, the filters, fusion, the floor and the description of a search."""

    def __init__(self, db_path: Path, model: str | None = None, ranking: Ranking | None = None,
                 candidates: int = CANDIDATES, cache_size: int = QUERY_CACHE):
        self.db_path = Path(db_path)
        self.candidates_per_list = candidates
        init()
        with closing(connect_readonly(self.db_path)) as conn:
            self.vectors = load_vectors(conn, model)
            self.mechanisms = mechanism_catalogue(conn)  # the database is fixed while it is served
            self.case_count = conn.execute("select count(*) from cases").fetchone()[0]
            self.terms = TermIndex(conn)  # which cases hold a term, kept for the common ones
            self.fts_stats = bm25.averages(conn, "passages_fts")
        self.ranking = ranking or shipped(self.vectors.model)
        self.encoder = load_encoder(self.vectors.model, threads=QUERY_THREADS)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = cache_size
        # Fusion adds the lists in this order (float sums depend on it).
        self.retrievers = {"keyword": retrievers.bounded_keyword(self.terms, self.fts_stats),
                           "title": retrievers.title, "mechanism": retrievers.mechanism,
                           "semantic": retrievers.semantic(self.vectors, self.embed)}

    def named_mechanisms(self, text: str) -> list[dict]:
        """Mechanisms the text names, with how many cases use each (the search page points to them)."""
        return [{"id": m.id, "cases": m.cases} for m in named_mechanisms(fold_query(text or ""), self.mechanisms)]

    def embed(self, text: str) -> np.ndarray:
        """The query's vector, on the encoder's query side; recent ones come from a small LRU cache."""
        with self._lock:  # the encoders are not re-entrant across threads; the cache is shared
            vec = self._cache.get(text)
            if vec is not None:
                self._cache.move_to_end(text)
                return vec
            vec = self.encoder.encode_query([text])[0]
            vec.setflags(write=False)
            if self.cache_size:
                self._cache[text] = vec
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            return vec

    def semantic(self, text: str, k: int = CANDIDATES) -> list[tuple[str, str | None, float]]:
        """(case_id, passage_id, cosine similarity) nearest to a text, best first (SQL semantic_search())."""
        return self.retrievers["semantic"](None, Query(text, fold_query(text or ""), (), ()), k)

    def similar(self, conn, case_id: str, k: int = 5) -> list[dict]:
        """Real cases (never a preface, essay or editors' introduction) closest to this one: the mean of
        its vectors (title and passages) against all, each with its status. On a title-only case's
        page the nearest cases with text fill the first half of the list: a title's nearest
        neighbours are other bare titles, and a reader there needs text. Costs the case's own vectors
        and the nearest few hundred (index.vectors.nearest_cases), not a pass over every vector."""
        centre = case_centre(self.vectors, case_id, conn)
        if centre is None:
            return []
        rows = {r["id"]: r for r in named_rows(conn, "select id, kind, status from cases where id = ?", [case_id])}
        title_only = case_id in rows and rows[case_id]["status"] == "title_only"

        def real_cases(best: dict) -> list[str]:
            new = [cid for cid in best if cid not in rows]
            if new:
                rows.update((r["id"], r) for r in named_rows(
                    conn, f"select id, kind, status from cases where id in ({marks(new)})", new))
            return [cid for cid in best if cid != case_id and cid in rows and rows[cid]["kind"] in CASE_KINDS]

        def with_text(real: list[str]) -> list[str]:
            return [c for c in real if rows[c]["status"] != "title_only"][:(k + 1) // 2] if title_only else []

        def enough(best: dict) -> bool:
            real = real_cases(best)
            return len(real) >= k and len(with_text(real)) >= (k + 1) // 2 * title_only

        best = nearest_cases(self.vectors, centre, enough)
        real = real_cases(best)
        if title_only:
            first = with_text(real)
            real = first + [c for c in real if c not in first]
        return describe_neighbours(conn, [(cid, best[cid]) for cid in real[:k]])

    def search(self, query: str | None, limit: int = 10, domain: str | None = None, region: str | None = None,
               kind: str | None = None, status: str | None = None, mechanism: str | None = None, conn=None,
               modes=MODES, ranking: Ranking | None = None, floor: bool = True) -> list[dict]:
        """Cases for a query, best first (see answer())."""
        return self.answer(query, limit, domain=domain, region=region, kind=kind, status=status,
                           mechanism=mechanism, conn=conn, modes=modes, ranking=ranking, floor=floor).results

    def answer(self, query: str | None, limit: int = 10, domain: str | None = None, region: str | None = None,
               kind: str | None = None, status: str | None = None, mechanism: str | None = None, conn=None,
               modes=MODES, ranking: Ranking | None = None, floor: bool = True) -> Answer:
        """Cases for a query, best first, with a note when none clears the relevance floor.
        An empty query with a filter lists the cases passing the filters (real cases, text first);
        `modes`, `ranking` and `floor=False` let the benchmark run some retrievers, other rankings
        or no floor."""
        filters = {"domain": domain, "region": region, "kind": kind, "status": status, "mechanism": mechanism}
        text = clean_query(query, allow_empty=any(filters.values()))
        with self._connection(conn) as conn:
            allowed = allowed_cases(conn, **filters)
            if not text:
                return Answer(describe_listing(conn, allowed, limit), None, [], 0)
            ranking = ranking or self.ranking
            found = self.gather(conn, text, ranking.terms, modes, allowed)
            fused = fuse(found.lists, ranking.fusion)
            kept = self.above_floor(found, fused, ranking.floor if floor else None)
            results = describe(conn, kept[:limit], found, ranking.floor)
        note = NO_ANSWER if not results else None
        return Answer(results, note, suggestions(filters) if note else [], len(fused) - len(kept))

    def gather(self, conn, text: str, terms: QueryTerms, modes=MODES, allowed: set[str] | None = None) -> Candidates:
        """The retrievers' lists for a query (filters applied) and each candidate's evidence."""
        query = parse_query(text, self.mechanisms, terms,
                            in_corpus=lambda w: bool(term_hits(conn, [w], self.terms).cases(w)))
        if "mechanism" not in modes:
            query = query._replace(mechanisms=())  # nor named in the reasons
        vec = self.embed(query.folded) if "semantic" in modes and query.folded else None  # embedded once
        k = self.candidates_per_list
        lists = {name: retrievers.by_vector(self.vectors, vec, k) if name == "semantic" else retrieve(conn, query, k)
                 for name, retrieve in self.retrievers.items()
                 if name in modes and (name != "semantic" or vec is not None)}
        if allowed is not None:
            lists = {name: [h for h in hits if h.case_id in allowed] for name, hits in lists.items()}
        similarity, stand = {}, {}
        if vec is not None:
            stands = standing(self.vectors, vec)
            for hit in lists["semantic"]:
                if hit.case_id not in similarity:
                    similarity[hit.case_id] = (hit.score, hit.passage_id)
                    stand[hit.case_id] = stands(hit.score)
        hits = term_hits(conn, query.search_terms, self.terms)
        ranked = {h.case_id for found in lists.values() for h in found}  # the only cases fusion sees
        return Candidates(query, lists, similarity, stand, coverage(query, hits, self.case_count, ranked), hits)

    def above_floor(self, found: Candidates, fused: list[Fused], floor: Floor | None) -> list[Fused]:
        if floor is None:
            return fused
        evidence = [(f, found.coverage.get(f.case_id, 0.0), found.standing.get(f.case_id, float("-inf")),
                     "mechanism" in f.parts) for f in fused]
        if not any(floor.answers(*e[1:]) for e in evidence):
            return []
        return [e[0] for e in evidence if floor.keeps(*e[1:])]

    def rank(self, found: Candidates, fusion: Fusion, floor: Floor | None) -> list[str]:
        """Case ids in order for gathered candidates (the benchmark's grid)."""
        return [f.case_id for f in self.above_floor(found, fuse(found.lists, fusion), floor)]

    @contextmanager
    def _connection(self, conn):
        """The caller's connection, or a read-only one of our own, closed afterwards."""
        if conn is not None:
            yield conn
            return
        with closing(connect_readonly(self.db_path)) as own:
            yield own


def open_searcher(db_path: Path, model: str | None = None) -> Searcher:
    try:
        return Searcher(db_path, model)
    except IndexMismatch as e:
        raise SearchError(str(e)) from e
