"""Hybrid search: jieba keyword search (FTS5) + semantic search (FAISS), fused, per case.

query -> fold -> (a) MATCH built from jieba terms over passages and titles, (b) the
folded query embedded and looked up in FAISS -> reciprocal rank fusion -> one result
per case, with a highlighted snippet and the reasons it matched.
"""
import html
import json
import re
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import numpy as np

from kbcore.limits import MAX_QUERY_CHARS
from kbcore.schema import TITLE_ONLY_NOTE
from kbcore.text import count_terms, fold, term_pattern, to_simplified
from kbcore.words import init, match_expression, query_terms

from .encoders import load_encoder
from .vectors import IndexMismatch, as_query, load_vectors

CANDIDATES = 100
# RRF constant and list weights, chosen by a small grid on bench/dev_queries.yml
# (k in 10/30/60, title 0.5/1, semantic 0.8/1/1.5): k=10 and semantic 1.5 gave the best nDCG@10.
RRF_K = 10
WEIGHTS = {"keyword": 1.0, "title": 1.0, "semantic": 1.5, "mechanism": 1.0}
SNIPPET_CHARS = 140


class SearchError(ValueError):
    """A query or parameter the user must change; the message says which and why."""


class Searcher:
    """Holds what is expensive to load (FAISS index, encoder), once per process."""

    def __init__(self, db_path: Path, model: str | None = None):
        self.db_path = Path(db_path)
        init()
        with closing(connect_readonly(self.db_path)) as conn:
            self.index, self.manifest = load_vectors(conn, self.db_path, model)
            self.items = conn.execute(
                "select id, case_id, passage_id from vector_items order by id").fetchall()
            self.mechanisms = mechanism_terms(conn)  # the database is fixed while it is served
        self.encoder = load_encoder(self.manifest["model"])
        self._lock = threading.Lock()

    def named_mechanisms(self, text: str) -> list[dict]:
        """Mechanisms whose name or a term appears in the text, with how many cases use each:
        a question about 社区减负 (or 减轻负担) is then also answered by the cases tagged with it."""
        folded = fold(text or "")
        return [{"id": mid, "cases": cases} for mid, terms, cases in self.mechanisms if count_terms(folded, terms)]

    def embed(self, text: str):
        with self._lock:  # numpy encoders are not re-entrant across threads
            return self.encoder.encode([text])[0]

    def semantic(self, text: str, k: int = CANDIDATES) -> list[tuple[str, str | None, float]]:
        """(case_id, passage_id, cosine similarity), best first."""
        folded = fold(text)
        if not folded:
            return []
        scores, ids = self.index.search(as_query(self.embed(folded)), min(k, self.index.ntotal))
        return [(self.items[i][1], self.items[i][2], float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]

    def similar(self, conn, case_id: str, k: int = 5) -> list[dict]:
        """Cases closest to this one: the mean of its vectors (title and passages) against all."""
        ids = [i for i, cid, _ in self.items if cid == case_id]
        if not ids:
            return []
        centre = np.mean([self.index.reconstruct(i) for i in ids], axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        scores, hits = self.index.search(as_query(centre), min(CANDIDATES, self.index.ntotal))
        best = {}
        for s, i in zip(scores[0], hits[0]):
            cid = self.items[i][1]
            if i >= 0 and cid != case_id and cid not in best:
                best[cid] = float(s)
        out = []
        for cid, score in list(best.items())[:k]:
            title, region, kind = conn.execute(
                "select title, region, kind from cases where id = ?", [cid]).fetchone()
            out.append({"case_id": cid, "title": title, "region": region, "kind": kind,
                        "similarity": round(score, 4)})
        return out

    def search(self, query: str, limit: int = 10, domain: str | None = None, region: str | None = None,
               kind: str | None = None, status: str | None = None, mechanism: str | None = None, conn=None,
               modes=("keyword", "title", "semantic", "mechanism")) -> list[dict]:
        """Cases for a query, best first; `modes` lets the benchmark run one side alone."""
        query = clean_query(query)
        own = conn is None
        conn = conn or connect_readonly(self.db_path)
        try:
            allowed = allowed_cases(conn, domain=domain, region=region, kind=kind, status=status,
                                    mechanism=mechanism)
            lists, terms = {}, query_terms(query)
            match = match_expression(terms)
            if match and "keyword" in modes:
                lists["keyword"] = conn.execute(
                    "select p.case_id, p.id from passages_fts join passages p on p.rowid = passages_fts.rowid "
                    "where passages_fts match ? order by bm25(passages_fts) limit ?", [match, CANDIDATES]).fetchall()
            if match and "title" in modes:
                lists["title"] = [(cid, None) for (cid,) in conn.execute(
                    "select c.id from cases_fts join cases c on c.rowid = cases_fts.rowid "
                    "where cases_fts match ? order by bm25(cases_fts) limit ?", [match, CANDIDATES])]
            named = [m["id"] for m in self.named_mechanisms(query)] if "mechanism" in modes else []
            if named:
                lists["mechanism"] = [(cid, (json.loads(ids) or [None])[0]) for cid, ids in conn.execute(
                    f"select case_id, evidence_passage_ids from case_mechanisms where mechanism in "
                    f"({','.join('?' * len(named))}) order by score desc, case_id", named)]
            similarity = {}
            if "semantic" in modes:
                hits = self.semantic(query)
                lists["semantic"] = [(cid, pid) for cid, pid, _ in hits]
                for cid, pid, s in hits:
                    similarity.setdefault(cid, (s, pid))
            ranked = fuse(lists, allowed)[:limit]
            return [describe(conn, cid, score, parts, terms, similarity.get(cid), named) for cid, score, parts in ranked]
        finally:
            if own:
                conn.close()


def mechanism_terms(conn) -> list[tuple[str, tuple[str, ...], int]]:
    """(id, its name and terms, cases using it) for every mechanism some case uses, most used first."""
    return [(mid, (mid, *json.loads(terms)), cases) for mid, terms, cases in conn.execute(
        "select m.id, m.terms, count(*) from mechanisms m join case_mechanisms cm on cm.mechanism = m.id "
        "group by m.id order by count(*) desc, m.id")]


def clean_query(query) -> str:
    if not isinstance(query, str):
        raise SearchError("q: 请输入查询内容 (the query must be text)")
    query = query.replace("\x00", " ").strip()
    if not query:
        raise SearchError("q: 请输入查询内容 (empty query)")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"q: 查询过长，请不超过{MAX_QUERY_CHARS}字 "
                          f"(query is {len(query)} characters; the limit is {MAX_QUERY_CHARS})")
    return query


def allowed_cases(conn, domain=None, region=None, kind=None, status=None, mechanism=None) -> set[str] | None:
    """Case ids passing the filters (None: no filter). Unknown filter values are errors."""
    clauses, params = [], []
    for name, value, sql, valid in (
            ("domain", domain, "id in (select case_id from case_domains where domain = ?)",
             "select id from domains"),
            ("kind", kind, "kind = ?", "select distinct kind from cases"),
            ("status", status, "status = ?", "select distinct status from cases"),
            ("mechanism", mechanism, "id in (select case_id from case_mechanisms where mechanism = ?)",
             "select id from mechanisms"),
            ("region", region, "(region = ? or province = ?)", None)):
        if not value:
            continue
        if valid and value not in {v for (v,) in conn.execute(valid)}:
            options = "、".join(sorted(v for (v,) in conn.execute(valid)))
            raise SearchError(f"{name}: 未知的取值 {value!r} (unknown {name}; one of: {options})")
        clauses.append(sql)
        params += [value] * sql.count("?")
    if not clauses:
        return None
    return {cid for (cid,) in conn.execute(f"select id from cases where {' and '.join(clauses)}", params)}


def fuse(lists: dict[str, list[tuple[str, str | None]]], allowed: set | None):
    """Reciprocal rank fusion at case level: each list votes 1/(k + rank of the case in it).

    Returns (case_id, score, {list: (rank, best passage id)}) best first.
    """
    scores, parts = {}, {}
    for name, hits in lists.items():
        rank = 0
        seen = set()
        for cid, pid in hits:
            if cid in seen or (allowed is not None and cid not in allowed):
                continue
            seen.add(cid)
            rank += 1
            scores[cid] = scores.get(cid, 0.0) + WEIGHTS[name] / (RRF_K + rank)
            parts.setdefault(cid, {})[name] = (rank, pid)
    ordered = sorted(scores, key=lambda c: (-scores[c], c))
    return [(cid, scores[cid], parts[cid]) for cid in ordered]


def describe(conn, case_id, score, parts, terms, similarity, named=()) -> dict:
    row = conn.execute(
        "select id, title, region, province, kind, status, chapter, citation from cases where id = ?",
        [case_id]).fetchone()
    domains = [d for (d,) in conn.execute(
        "select domain from case_domains where case_id = ? order by score desc, domain", [case_id])]
    passage_id = ((parts.get("keyword") or (None, None))[1] or (parts.get("mechanism") or (None, None))[1]
                  or (similarity[1] if similarity else None))
    mechanisms, evidence_terms = [], []
    for mechanism, found_terms in conn.execute(
            f"select mechanism, evidence_terms from case_mechanisms where case_id = ? and mechanism in "
            f"({','.join('?' * len(named))}) order by score desc", [case_id, *named]) if named else ():
        mechanisms.append(mechanism)
        evidence_terms += json.loads(found_terms)
    text = ""
    if passage_id:
        text = conn.execute("select text from passages where id = ?", [passage_id]).fetchone()[0]
    haystack = row[1] + " " + _all_text(conn, case_id)  # stored text is already Simplified
    matched = [t for t in terms if t in haystack]
    snippet_source = text or (TITLE_ONLY_NOTE if row[5] == "title_only" else "")
    marked = list(dict.fromkeys(matched + evidence_terms))
    window = _window(snippet_source, marked)
    reasons = []
    if matched:
        reasons.append("关键词：" + "、".join(matched))
    if mechanisms:
        reasons.append("治理机制：" + "、".join(mechanisms))
    if similarity:
        reasons.append(f"语义相似度 {similarity[0]:.2f}")
    return {
        "case_id": row[0], "title": row[1], "title_html": highlight(row[1], matched),
        "region": row[2], "province": row[3], "kind": row[4], "status": row[5], "chapter": row[6],
        "citation": row[7], "domains": domains, "score": round(score, 4),
        "passage_id": passage_id, "snippet": highlight(window, marked), "snippet_text": window,
        "matched": matched, "semantic_similarity": round(similarity[0], 4) if similarity else None,
        "why": "；".join(reasons) or "语义相近",
    }


def _all_text(conn, case_id) -> str:
    return " ".join(t for (t,) in conn.execute("select text from passages where case_id = ?", [case_id]))


def _window(text: str, terms: list[str]) -> str:
    if len(text) <= SNIPPET_CHARS:
        return text
    folded = fold(text) if terms else ""
    hits = [folded.find(t) for t in terms if folded.find(t) >= 0]
    start = max(0, min(hits) - 30) if hits else 0
    end = min(len(text), start + SNIPPET_CHARS)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def highlight(text: str, terms: list[str]) -> str:
    """HTML with the terms in <strong>: escape first, then swap sentinels, so no markup leaks."""
    if not text:
        return ""
    marked = text
    terms = tuple(t for t in terms if t)
    if terms:
        pattern = term_pattern(terms, re.IGNORECASE)
        folded = fold_keep_length(text)
        spans = [m.span() for m in pattern.finditer(folded)]
        marked = "".join(_interleave(text, spans))
    return html.escape(marked).replace("\ue000", "<strong>").replace("\ue001", "</strong>")


def fold_keep_length(text: str) -> str:
    """Traditional->Simplified without NFKC, so match offsets stay valid in the original."""
    folded = to_simplified(text)
    return folded if len(folded) == len(text) else text


def _interleave(text, spans):
    pos = 0
    for start, end in spans:
        yield text[pos:start] + "\ue000" + text[start:end] + "\ue001"
        pos = end
    yield text[pos:]


def connect_readonly(db_path: Path) -> sqlite3.Connection:
    """A read-only connection usable from Datasette's threads."""
    return sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True, check_same_thread=False)


def open_searcher(db_path: Path, model: str | None = None) -> Searcher:
    try:
        return Searcher(db_path, model)
    except IndexMismatch as e:
        raise SearchError(str(e)) from e

