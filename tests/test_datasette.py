"""The published site through Datasette's test client: pages, API, similar cases, SQL functions."""
import json
import re

import pytest

from datasette_plugins.casekb_search import mechanism_pages


async def test_search_page_shows_results_in_chinese(ds):
    r = await ds.client.get("/-/search", params={"q": "小区里到处是垃圾怎么办"})
    assert r.status_code == 200
    assert "案例搜索" in r.text and "匹配原因" in r.text
    assert "/casekb/cases/taicang100-054" in r.text
    assert "<strong>垃圾</strong>" in r.text


async def test_search_page_without_query_shows_form_and_filters(ds):
    r = await ds.client.get("/-/search")
    assert r.status_code == 200
    assert 'name="q"' in r.text and "生态建设" in r.text and "南京市" in r.text


async def test_search_json(ds):
    r = await ds.client.get("/-/search.json", params={"q": "社區減負", "limit": 3})
    assert r.status_code == 200
    data = r.json()
    assert data["results"][0]["case_id"] == "mca2015-03-2"
    assert {"case_id", "title", "region", "domains", "score", "snippet", "matched"} <= set(data["results"][0])


async def test_search_json_filter(ds):
    data = (await ds.client.get("/-/search.json", params={"q": "垃圾", "domain": "生态建设"})).json()
    assert data["results"] and all("生态建设" in r["domains"] for r in data["results"])


@pytest.mark.parametrize("q", ['"', "*", "AND", "NEAR(", "col:", "' or 1=1 --", "😀", "a\x00b",
                               "<script>alert('x')</script>", "政" * 3_000, "", "   "])
async def test_hostile_queries_are_answered_or_refused_and_never_reflect_html(ds, q):
    """Query syntax of FTS5 or SQL is searched as text (200); only an overlong query, or an empty one
    where a query is needed (the JSON API; the page shows its form), is refused with 400."""
    too_long = len(q) > 500
    for path, refused in (("/-/search", too_long), ("/-/search.json", too_long or not q.strip())):
        r = await ds.client.get(path, params={"q": q})
        assert r.status_code == (400 if refused else 200), (path, r.status_code)
        assert "<script>alert" not in r.text and "Traceback" not in r.text
        if refused and path.endswith(".json"):
            assert r.json()["error"].startswith("q:")


async def test_mechanism_filter(ds):
    data = (await ds.client.get("/-/search.json", params={"q": "社区", "mechanism": "社区减负"})).json()
    assert data["results"] and "mca2015-03-2" in [r["case_id"] for r in data["results"]]
    ids = {r[0] for r in (await ds.get_database("casekb").execute(
        "select case_id from case_mechanisms where mechanism = '社区减负'")).rows}
    assert {r["case_id"] for r in data["results"]} <= ids
    bad = await ds.client.get("/-/search.json", params={"q": "社区", "mechanism": "火星机制"})
    assert bad.status_code == 400 and "mechanism" in bad.json()["error"]
    page = await ds.client.get("/-/search")
    assert 'name="mechanism"' in page.text and "网格化" in page.text


async def test_bad_limit_is_a_clear_400(ds):
    r = await ds.client.get("/-/search.json", params={"q": "垃圾", "limit": "lots"})
    assert r.status_code == 400 and "limit" in r.json()["error"]


async def test_case_page_has_similar_cases(ds):
    r = await ds.client.get("/casekb/cases/taicang100-050")
    assert r.status_code == 200
    assert "鱼儿回来了" in r.text and "相似案例" in r.text
    similar = r.text.split("相似案例", 1)[1]
    assert "/casekb/cases/taicang100-0" in similar and "taicang100-050\"" not in similar


async def test_sql_functions(ds):
    db = ds.get_database("casekb")
    tokens = json.loads((await db.execute("select jieba_cut('太仓市政社互动') as t")).first()["t"])
    assert tokens == ["太仓市", "政社互动"]
    match = (await db.execute("select fts_query('社区 AND \"减负') as m")).first()["m"]
    rows = (await db.execute("select count(*) as n from passages_fts where passages_fts match ?", [match])).first()
    assert rows["n"] > 0
    hits = json.loads((await db.execute("select semantic_search('河道污染治理', 5) as s")).first()["s"])
    assert len(hits) == 5 and {"case_id", "passage_id", "score"} <= set(hits[0])


async def test_canned_queries_run(ds):
    for name, params in [("cases_by_domain_and_region", {}), ("title_only_cases", {}),
                         ("coverage_report", {}), ("cases_of_chapter", {"chapter_no": "6"}),
                         ("passages_mentioning", {"term": "网格"}),
                         ("semantic_neighbours", {"text": "垃圾分类"}), ("jieba_tokens", {"text": "三社联动"})]:
        r = await ds.client.get(f"/casekb/{name}.json", params={**params, "_shape": "array"})
        assert r.status_code == 200, (name, r.text[:300])
        assert r.json(), name
    chapter6 = (await ds.client.get("/casekb/cases_of_chapter.json",
                                    params={"chapter_no": "6", "_shape": "array"})).json()
    assert [c["number"] for c in chapter6] == list(range(45, 55))


async def test_cases_table_has_facets_and_descriptions(ds):
    r = await ds.client.get("/casekb/cases.json", params={"_facet": "region"})
    assert r.status_code == 200
    regions = {f["value"] for f in r.json()["facet_results"]["region"]["results"]}
    assert {"太仓市", "南京市", "厦门市", "张家港市"} <= regions
    page = await ds.client.get("/casekb/cases")
    assert "案例与文献" in page.text


async def test_coverage_page(ds):
    rows = (await ds.client.get("/casekb/coverage.json", params={"_shape": "array"})).json()
    book = next(r for r in rows if r["source_id"] == "taicang100")
    assert (book["expected_cases"], book["cases_present"], book["bodies_present"]) == (100, 66, 0)


async def test_case_page_reads_as_a_case(ds):
    page = (await ds.client.get("/casekb/cases/mca2015-03-2")).text
    assert "<h1>南京市大力推动社区减负增效</h1>" in page
    assert 'id="mca2015-03-2-001"' in page  # every passage is an anchor that can be cited
    assert "引用：《社区治理的地方创新》" in page
    assert "南京市大力推動社區減負增效" in page  # the original Traditional text, kept
    title_only = (await ds.client.get("/casekb/cases/taicang100-054")).text
    assert "正文缺失" in title_only and "第121页" in title_only and "生态建设" in title_only


async def test_tagging_tables_facets_and_canned_queries(ds):
    r = await ds.client.get("/casekb/cases.json", params={"_facet_array": "domains"})
    assert r.status_code == 200
    facet = {f["value"] for f in r.json()["facet_results"]["domains"]["results"]}
    assert {"生态建设", "法治建设", "社区治理"} <= facet
    rows = (await ds.client.get("/casekb/cities_using_mechanism.json",
                                params={"mechanism": "社区减负", "_shape": "array"})).json()
    assert any(r["region"] == "南京市" and r["passage_id"] and "减负" in r["text"] for r in rows)
    for name, params in [("mechanisms_by_city", {}), ("domain_cooccurrence", {}),
                         ("cases_sharing_keywords", {"case_id": "mca2015-03-2"})]:
        r = await ds.client.get(f"/casekb/{name}.json", params={**params, "_shape": "array"})
        assert r.status_code == 200 and r.json(), name


async def test_mechanism_pages_list_cases_with_evidence(ds):
    index = await ds.client.get("/-/mechanisms")
    assert index.status_code == 200 and "社区减负" in index.text and "/-/mechanisms/" in index.text
    page = await ds.client.get("/-/mechanisms/社区减负")
    assert page.status_code == 200
    assert "南京市大力推动社区减负增效" in page.text
    assert "<strong>社区减负</strong>" in page.text
    evidence = json.loads((await ds.get_database("casekb").execute(
        "select evidence_passage_ids from case_mechanisms where case_id = 'mca2015-03-2' "
        "and mechanism = '社区减负'")).first()[0])
    assert evidence and all(f"#{pid}" in page.text for pid in evidence)
    missing = await ds.client.get("/-/mechanisms/<img src=x onerror=alert(1)>")
    assert missing.status_code == 404 and "<img src=x" not in missing.text


async def test_mechanisms_count_real_cases_and_list_other_documents_apart(ds):
    db = ds.get_database("casekb")
    real, documents = (await db.execute(
        "select count(r.id), count(*) - count(r.id) from case_mechanisms cm "
        "left join real_cases r on r.id = cm.case_id where cm.mechanism = '社区减负'")).first()
    assert (real, documents) == (4, 2)  # the overview's count; a preface and an essay also name it
    index = (await ds.client.get("/-/mechanisms")).text
    row = re.search(r'<tr><td><a href="/-/mechanisms/[^"]+">社区减负</a></td>.*?</tr>', index, re.S).group(0)
    assert "<td>4（另有 2 篇文献）</td>" in row
    page = (await ds.client.get("/-/mechanisms/社区减负")).text
    assert "4 个案例，另有 2 篇序言、综述等文献用到这一机制" in page
    cases, others = page.split("<h2>提到这一机制的文献</h2>")
    assert "/casekb/cases/mca2015-03-2" in cases and "/casekb/cases/taicang-practice" in cases
    assert "taicang100-preface1" not in cases and 'href="/casekb/cases/taicang100-preface1"' in others
    assert "太仓市 · 序 · 匹配词" in others and "太仓市 · 综述 · 匹配词" in others
    search = (await ds.client.get("/-/search", params={"q": "社区减负"})).text
    assert "</a>”有 4 个案例，另有 2 篇序言、综述等文献 · " in search


async def test_mechanism_page_is_paginated(ds, monkeypatch):
    monkeypatch.setattr(mechanism_pages, "MECHANISM_PAGE_CASES", 4)  # 社区减负: 4 cases, then 2 other documents
    first = (await ds.client.get("/-/mechanisms/社区减负")).text
    assert "4 个案例，另有 2 篇序言、综述等文献用到这一机制" in first  # totals, not this page's
    assert "第 1 / 2 页" in first
    assert 'rel="next" href="/-/mechanisms/%E7%A4%BE%E5%8C%BA%E5%87%8F%E8%B4%9F?page=2"' in first
    assert 'rel="prev"' not in first and "/casekb/cases/mca2015-03-2" in first and "提到这一机制的文献" not in first
    second = (await ds.client.get("/-/mechanisms/社区减负", params={"page": 2})).text
    assert "第 2 / 2 页" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert 'href="/casekb/cases/taicang100-preface1"' in second and 'href="/casekb/cases/mca2015-03-2"' not in second
    for page, status in (("3", 404), ("0", 400), ("x", 400)):
        r = await ds.client.get("/-/mechanisms/社区减负", params={"page": page})
        assert r.status_code == status and "page: " in r.text


@pytest.mark.parametrize("path", ["/-/search?q=垃圾", "/-/mechanisms", "/-/mechanisms/网格化", "/-/overview",
                                  "/-/compare?cases=mca2015-03-2,mca2015-03-1", "/casekb/cases/mca2015-03-2"])
async def test_pages_are_styled_by_the_one_shared_stylesheet(ds, path):
    page = (await ds.client.get(path)).text
    assert page.count('<link rel="stylesheet" href="/-/static-plugins/casekb/casekb.css">') == 1
    assert not re.search(r"<style>[^<]*\.casekb", page)  # no copied rules left in the templates
    css = await ds.client.get("/-/static-plugins/casekb/casekb.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".casekb-error {" in css.text and ".casekb-pack a {" in css.text


async def test_other_pages_do_not_load_the_stylesheet_nor_the_case_layout(ds):
    page = (await ds.client.get("/casekb/sources/mca2015-03")).text
    assert "casekb.css" not in page and "This data as" in page and "casekb-case" not in page
