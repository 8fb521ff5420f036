"""Serving a large library (issue 12): what each request reads is bounded, and the answers are the
ones the plain queries give. Checked on the bundled corpus and on small databases made here: the
bounded paths must give exactly what the unbounded ones give, and the pages must say what they leave out."""
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

import reports.overview
import reports.selection
from datasette_plugins.casekb_search import kept
from index import bm25
from index.connection import connect_readonly
from index.evidence import TermIndex, coverage, term_hits
from index.query import QueryTerms, parse_query
from index.retrievers import bounded_keyword, keyword
from index.search import Searcher
from kbcore.words import match_expression
from reports.mechanisms import mechanism_detail
from reports.overview import overview, overview_charts

ROOT = Path(__file__).resolve().parents[1]

SUBWORDS = QueryTerms(subwords=True, lexicon=True)  # the most terms a query can search

PLAIN = ("select p.rowid, bm25(passages_fts) from passages_fts join passages p on p.rowid = passages_fts.rowid "
         "where passages_fts match ? order by bm25(passages_fts) limit ?")  # the keyword query before issue 12


@pytest.fixture(scope="module")
def conn(built_db):
    with closing(connect_readonly(built_db)) as c:
        yield c


@pytest.fixture(scope="module")
def searcher(built_db):
    return Searcher(built_db)


def dev_queries() -> list[str]:
    return [q["q"] for q in yaml.safe_load((ROOT / "bench/dev_queries.yml").read_text("utf-8"))["queries"]]


def _toy(path, texts: list[str]) -> sqlite3.Connection:
    """A passages table of segmented texts with its FTS5 index, as index.fts makes it."""
    c = sqlite3.connect(path)
    c.execute("create table passages (id text primary key, case_id text, text_seg text)")
    c.executemany("insert into passages values (?, ?, ?)", [(f"p{i}", f"c{i // 3}", t) for i, t in enumerate(texts)])
    c.execute("create virtual table passages_fts using fts5 (text_seg, content=[passages], tokenize='unicode61')")
    c.execute("insert into passages_fts (passages_fts) values ('rebuild')")
    c.commit()
    return c


def test_bm25_top_is_the_plain_ranking_with_its_ties(tmp_path):
    """社区 in most passages (its IDF clamped): the passages of the other terms are ranked on them and the
    few within reach of the k-th rescored; scores and order, ties by rowid, are FTS5's own."""
    texts = []
    for i in range(400):
        words = ["社区"] * (1 + i % 3) if i % 5 else []  # in 80% of the passages, 1-3 times
        words += ["减负"] * (i % 7 == 0) + ["台账"] * (i % 11 == 0) + ["议事会"] * (i % 4 == 1)
        words += ["填充"] * (i % 6) + ["其他"] * (i % 9)  # lengths: many exact ties
        texts.append(" ".join(words) or "无关")
    c = _toy(tmp_path / "toy.db", texts)
    stats = bm25.averages(c, "passages_fts")
    assert stats == bm25.Averages(400, sum(len(t.split()) for t in texts))
    count = lambda t: c.execute("select count(*) from passages_fts where passages_fts match ?",  # noqa: E731
                                [match_expression([t])]).fetchone()[0]
    fast = 0
    for terms in (["社区", "议事会"], ["议事会", "社区"], ["减负", "社区", "台账"], ["社区", "议事会", "减负"],
                  ["社区", "其他"], ["社区"], ["减负", "台账"], ["社区", "不存在"]):
        for k in (1, 5, 20, 60, 200):
            plain = c.execute(PLAIN, [match_expression(terms), k]).fetchall()
            got = bm25.top(c, terms, k, count, stats)
            if got is not None:
                fast += 1
                assert got == plain, (terms, k)
    assert fast >= 10  # the bounded path ran, and agreed every time


def test_bm25_top_declines_what_it_cannot_prove(tmp_path):
    c = _toy(tmp_path / "toy.db", ["社区 减负", "社区", "社区 abc", "其他"])
    count = lambda t: c.execute("select count(*) from passages_fts where passages_fts match ?",  # noqa: E731
                                [match_expression([t])]).fetchone()[0]
    stats = bm25.averages(c, "passages_fts")
    assert bm25.top(c, ["社区", "减负"], 2, count, stats) is None  # fewer rare rows than k
    assert bm25.top(c, ["社区", "abc"], 1, count, stats) is None  # not a run of Han characters
    assert bm25.top(c, ["社区"], 1, count, stats) is None  # nothing rare to rank on
    assert bm25.averages(c, "no_such_fts") is None
    assert bm25.varints(bytes([0x81, 0x1A, 0x50])) == [154, 80]


def test_keyword_hits_are_the_plain_query_s(searcher, conn):
    """The keyword retriever of the served file (bounded) and the plain one give the same hits, in order."""
    bounded = bounded_keyword(searcher.terms, searcher.fts_stats)
    for q in dev_queries() + ["社区", "社区治理 社区 治理"]:
        query = parse_query(q, searcher.mechanisms, SUBWORDS)
        for k in (5, 100):
            assert bounded(conn, query, k) == keyword(conn, query, k), q
            plain = conn.execute(PLAIN, [match_expression(list(query.search_terms)), k]).fetchall()
            assert [-h.score for h in keyword(conn, query, k)] == [rank for _, rank in plain]


def test_term_index_finds_what_the_plain_queries_find(searcher, conn):
    index = TermIndex(conn, cached=50)  # a small cache: answers are dropped and read again
    terms = sorted({t for q in dev_queries() for t in parse_query(q, [], SUBWORDS).search_terms})
    for _ in range(2):
        assert term_hits(conn, terms, index) == term_hits(conn, terms)
    assert index._cached <= 50 + max(len(index.cases(conn, "passages_fts", t)) for t in terms)
    assert index.rows(conn, "passages_fts", "社区") == conn.execute(
        "select count(*) from passages_fts where passages_fts match '\"社区\"'").fetchone()[0]


def test_coverage_among_candidates_is_the_corpus_coverage_restricted(searcher, conn):
    for q in ("社区减负", "小区里到处是垃圾怎么办", "两份清单"):
        query = parse_query(q, searcher.mechanisms, SUBWORDS)
        hits = term_hits(conn, query.search_terms)
        full = coverage(query, hits, searcher.case_count)
        among = set(list(full)[::2]) | {"no-such-case"}
        assert coverage(query, hits, searcher.case_count, among) == {c: v for c, v in full.items() if c in among}


def test_overview_shows_the_first_sources_and_regions_and_sums_the_rest(conn, monkeypatch):
    monkeypatch.setattr(reports.overview, "SHOWN_SOURCES", 2)
    monkeypatch.setattr(reports.overview, "SHOWN_REGIONS", 3)
    data = overview(conn)
    charts = {c["id"]: c
              for c in overview_charts(data, href=lambda f: "/x?" + "&".join(f"{k}={v}" for k, v in f.items()))}
    sources, regions = len(data["coverage"]), len(data["by_region"])
    assert sources > 2 and regions > 3
    rows = charts["coverage"]["table"]["rows"]
    assert rows[0][0]["text"] == "太仓“政社互动”100例"  # the incomplete source first
    assert rows[2] == [f"其余{sources - 2}份来源", *(sum(c[k] or 0 for c in data["coverage"][2:])
                                                    for k in ("expected", "full_text", "title_only", "missing"))]
    assert rows[-1][0] == "合计" and len(rows) == 4
    assert f"其余{sources - 2}份来源" in charts["coverage"]["svg"]
    regions_table = charts["regions"]["table"]["rows"]
    assert [r[0]["text"] for r in regions_table[:3]] == [r["region"] for r in data["by_region"][:3]]
    assert regions_table[3][0] == f"其余{regions - 3}个地区"
    assert regions_table[3][-1] == sum(r["cases"] for r in data["by_region"][3:])
    heat = charts["domain-region"]["table"]
    assert heat["columns"] == ["领域", *[r["region"] for r in data["by_region"][:3]],
                               f"其余{regions - 3}个地区", "合计"]
    for row, full in zip(heat["rows"], data["domain_region"]["counts"]):
        assert row[-1] == sum(full)  # totals unchanged
        assert row[4] == 0 or row[4]["href"] is None  # the summed column opens nothing
    assert "其余" not in overview_charts(overview(conn))[0]["caption"]  # the bundled corpus fits: nothing summed


def test_mechanism_pages_add_up_to_the_whole_list(conn):
    whole = mechanism_detail(conn, "社区减负", 1, 100)
    pages = [mechanism_detail(conn, "社区减负", n, 4) for n in (1, 2, 3)]
    assert [p["pages"] for p in pages] == [2, 2, 2] and not pages[2]["cases"] + pages[2]["documents"]
    assert pages[0]["cases"] + pages[1]["cases"] == whole["cases"]
    assert pages[0]["documents"] + pages[1]["documents"] == whole["documents"]
    assert all(e["evidence"] for e in whole["cases"])  # each with the passages that prove it
    seq = dict(conn.execute("select id, seq from passages"))
    for entry in whole["cases"] + whole["documents"]:
        assert [seq[p["id"]] for p in entry["evidence"]] == sorted(seq[p["id"]] for p in entry["evidence"])


async def test_bad_page_numbers_are_a_clear_400(ds):
    for page in ("²", "-1", "0", "1.5", "1e3", "9" * 30):
        r = await ds.client.get("/-/mechanisms/社区减负", params={"page": page})
        assert r.status_code == 400 and "page: " in r.text and "Traceback" not in r.text, page
    r = await ds.client.get("/-/mechanisms/社区减负", params={"page": "999999"})  # a number, past the last page
    assert r.status_code == 404 and "page: " in r.text


async def test_a_mechanism_with_more_cases_than_a_pack_says_how_to_narrow(ds, monkeypatch):
    monkeypatch.setattr(reports.selection, "MAX_PACK_CASES", 3)  # 社区减负: 4 cases and 2 other documents
    page = (await ds.client.get("/-/mechanisms/社区减负")).text
    assert "课程包：这里共6个案例与文献，一个课程包最多3个，不能整体下载" in page
    assert 'id="casekb-pack"' not in page
    assert (await ds.client.get("/-/pack", params={"mechanism": "社区减负", "format": "html"})).status_code == 400


async def test_what_every_visit_shows_alike_is_read_once_per_served_file(built_db, monkeypatch):
    calls = []
    for name, label in (("overview", "overview"), ("mechanism_list", "mechanisms"), ("filter_options", "options")):
        real = getattr(kept, name)
        monkeypatch.setattr(kept, name, lambda c, real=real, label=label: calls.append(label) or real(c))
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    site = Datasette([str(built_db)], immutables=[], metadata=metadata)
    await site.invoke_startup()
    for path in ("/-/overview", "/", "/-/overview", "/-/mechanisms", "/-/search?q=社区减负", "/-/mechanisms",
                 "/-/search?q=垃圾", "/-/compare", "/-/compare?mechanism=社区减负"):
        r = await site.client.get(path)
        assert r.status_code == 200, path
    assert sorted(calls) == ["mechanisms", "options", "overview"]
    search = (await site.client.get("/-/search", params={"q": "社区减负"})).text
    assert re.search(r"”有 4 个案例，另有 2 篇序言、综述等文献", search)
