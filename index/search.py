"""Hybrid search, the facade the site, the reports and the CLI use: jieba keyword search (FTS5)
and semantic search (FAISS), fused per case, behind a gate that asks whether the question is about
local governance at all.

query -> Query record (folded once: concepts, the lexicon's case terms and their expansions, named
mechanisms, text for the encoder) -> retrievers (keyword passages, titles, mechanism, semantic) ->
filters (cases only, unless the kind filter asks for prefaces, essays or editors' notes) -> evidence
(keyword coverage, semantic standing, the gate's margin over the off-topic background) -> the gate
(index/gate.py) -> fusion, fair to each case's length (index/ranking.py: per encoder, chosen on the
tuning half of the dev set) -> title-only precedents at the rank they earn, at most a few before the
first case with text -> results described in one batch, with highlighted snippets, the passage to open
and why each matched, in plain words.
A query of filters only (no words) lists the cases passing them, those with text first.
"""
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
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
from .filters import Filters, allowed_cases
from .fusion import Fused, fuse, length_fair
from .gate import GateEvidence, background_vectors, nearest_background
from .query import Query, QueryTerms, SearchError, clean_query, mechanism_catalogue, named_mechanisms, parse_query
from .ranking import TITLE_ONLY_AHEAD, Ranking, shipped
from .results import (
    NO_ANSWER,
    SUGGESTED_QUERIES,
    describe,
    describe_listing,
    describe_neighbours,
    is_english,
    no_answer_note,
    suggestions,
)
from .vectors import IndexMismatch, case_centre, load_vectors, nearest_cases, standing, stored_model

__all__ = ["Searcher", "open_searcher", "SearchError", "Answer", "CANDIDATES", "MODES", "NO_ANSWER",
           "SUGGESTED_QUERIES", "Filters", "suggestions"]

CANDIDATES = 100  # hits each retriever hands to fusion
# one query per request thread: a 2-thread encoder had p95 212 ms against 1.5 ms on a busy 2-core machine
QUERY_THREADS = 1
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
    gate: GateEvidence | None = None  # what the gate reads (None: the query was not embedded)


class Answer(NamedTuple):
    results: list[dict]
    note: str | None        # said when the gate found the question is not about anything the cases hold
    suggestions: list[str]  # what to try then


def _warm_encoder(model: str):
    """The query encoder, its model loaded: encoders load it on first use, and that is paid here, at
    start-up, not in the first visitor's request, which has 5 s in all (datasette_plugins' work pool)."""
    encoder = load_encoder(model, threads=QUERY_THREADS)
    encoder.encode_query(["社区"])
    return encoder


class Searcher:
    """Holds what is expensive to load (vectors, encoder, mechanism names), once per process,
    and runs the retrievers, the filters, the gate, fusion and the description of a search."""

    def __init__(self, db_path: Path, model: str | None = None, ranking: Ranking | None = None,
                 candidates: int = CANDIDATES, cache_size: int = QUERY_CACHE):
        self.db_path = Path(db_path)
        self.candidates_per_list = candidates
        with closing(connect_readonly(self.db_path)) as conn, ThreadPoolExecutor(1) as loader:
            # The encoder loads (and warms) while jieba and the vectors load here: much of each waits on
            # zlib or SQLite, which let the other thread run.
            stored = stored_model(conn)
            encoder = loader.submit(_warm_encoder, stored) if stored and model in (None, stored) else None
            init()
            self.vectors = load_vectors(conn, model)
            self.mechanisms = mechanism_catalogue(conn)  # the database is fixed while it is served
            self.case_count = conn.execute("select count(*) from cases").fetchone()[0]
            self.terms = TermIndex(conn)  # which cases hold a term, kept for the common ones
            self.fts_stats = bm25.averages(conn, "passages_fts")
            # Per document: its kind and status (cases first, title-only placement) and its passages (length).
            self.documents = {cid: (kind, status) for cid, kind, status in conn.execute(
                "select id, kind, status from cases")}
            self.sizes = dict(conn.execute("select case_id, count(*) from passages group by case_id"))
            self.ranking = ranking or shipped(self.vectors.model)
            self.encoder = encoder.result() if encoder else _warm_encoder(self.vectors.model)
            self.background = background_vectors(conn, self.encoder)
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

    def search(self, query: str | None, limit: int = 10, filters: Filters | None = None, *, conn=None,
               modes=MODES, ranking: Ranking | None = None, gate: bool = True, **values) -> list[dict]:
        """Cases for a query, best first (see answer())."""
        return self.answer(query, limit, filters, conn=conn, modes=modes, ranking=ranking, gate=gate,
                           **values).results

    def answer(self, query: str | None, limit: int = 10, filters: Filters | None = None, *, conn=None,
               modes=MODES, ranking: Ranking | None = None, gate: bool = True, **values) -> Answer:
        """Cases for a query, best first, with a note when the gate finds the question is not about
        anything the cases hold. Filters come as a Filters record or by name (domain=..., kind=...);
        only cases are searched unless the kind filter names another kind of document. An empty query
        with a filter lists the documents passing the filters (text first); `modes`, `ranking` and
        `gate=False` let the benchmark run some retrievers, other rankings or no gate."""
        filters = filters or Filters(**values)
        text = clean_query(query, allow_empty=filters.any())
        kinds = (filters.kind,) if filters.kind else CASE_KINDS
        with self._connection(conn) as conn:
            allowed = allowed_cases(conn, filters)
            if not text:
                return Answer(describe_listing(conn, allowed, limit, kinds), None, [])
            allowed = {cid for cid, (kind, _) in self.documents.items()
                       if kind in kinds and (allowed is None or cid in allowed)}
            ranking = ranking or self.ranking
            found = self.gather(conn, text, ranking.terms, modes, allowed)
            ordered = self.order(found, ranking, gate)
            results = describe(conn, ordered[:limit], found)
        if results:
            return Answer(results, None, [])
        return Answer([], no_answer_note(text), suggestions(filters.named(), is_english(text)))

    def gather(self, conn, text: str, terms: QueryTerms, modes=MODES, allowed: set[str] | None = None) -> Candidates:
        """The retrievers' lists for a query (filters applied), each candidate's evidence and the gate's."""
        query = parse_query(text, self.mechanisms, terms,
                            in_corpus=lambda w: bool(term_hits(conn, [w], self.terms).cases(w)))
        if "mechanism" not in modes:
            query = query._replace(mechanisms=())  # nor named in the reasons
        vec = self.embed(query.folded) if "semantic" in modes and query.folded else None  # embedded once
        k = self.candidates_per_list
        lists = {name: retrievers.by_vector(self.vectors, vec, k) if name == "semantic" else retrieve(conn, query, k)
                 for name, retrieve in self.retrievers.items()
                 if name in modes and (name != "semantic" or vec is not None)}
        hits = term_hits(conn, query.search_terms, self.terms)
        unfiltered = {h.case_id for found in lists.values() for h in found}
        cover = coverage(query, hits, self.case_count, unfiltered)
        gate = None
        if vec is not None:  # the gate reads the question, whatever the filters
            best = lists["semantic"][0].score if lists["semantic"] else -1.0
            held = coverage(query, hits, self.case_count, unfiltered, chinese_only=True)
            gate = GateEvidence(best, nearest_background(self.background, vec), max(held.values(), default=0.0))
        if allowed is not None:
            lists = {name: [h for h in hits if h.case_id in allowed] for name, hits in lists.items()}
        similarity, stand = {}, {}
        if vec is not None:
            stands = standing(self.vectors, vec)
            for hit in lists["semantic"]:
                if hit.case_id not in similarity:
                    similarity[hit.case_id] = (hit.score, hit.passage_id)
                    stand[hit.case_id] = stands(hit.score)
        return Candidates(query, lists, similarity, stand, cover, hits, gate)

    def order(self, found: Candidates, ranking: Ranking, gate: bool = True) -> list[Fused]:
        """The cases in order: nothing if the gate says the question is not about governance, else the
        lists fused (each case's place made fair to its length), title-only precedents held to at
        most TITLE_ONLY_AHEAD before the first case with text."""
        if gate and ranking.gate is not None and found.gate is not None and not ranking.gate.answers(found.gate):
            return []
        lists = length_fair(found.lists, self.sizes, ranking.length) if ranking.length else found.lists
        return title_only_placed(fuse(lists, ranking.fusion), self.documents)

    def rank(self, found: Candidates, ranking: Ranking, gate: bool = True) -> list[str]:
        """Case ids in order for gathered candidates (the benchmark's grid)."""
        return [f.case_id for f in self.order(found, ranking, gate)]

    @contextmanager
    def _connection(self, conn):
        """The caller's connection, or a read-only one of our own, closed afterwards."""
        if conn is not None:
            yield conn
            return
        with closing(connect_readonly(self.db_path)) as own:
            yield own


def title_only_placed(fused: list[Fused], documents: dict, ahead: int = TITLE_ONLY_AHEAD) -> list[Fused]:
    """The order with at most `ahead` title-only precedents before the first case with text (the others
    that ranked above it follow it, in their order); `documents` maps a case id to (kind, status)."""
    first = next((i for i, f in enumerate(fused) if documents.get(f.case_id, (None, None))[1] != "title_only"), None)
    if first is None or first <= ahead:
        return fused
    return fused[:ahead] + [fused[first]] + fused[ahead:first] + fused[first + 1:]


def open_searcher(db_path: Path, model: str | None = None) -> Searcher:
    try:
        return Searcher(db_path, model)
    except IndexMismatch as e:
        raise SearchError(str(e)) from e
