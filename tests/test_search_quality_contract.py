"""What a search answers, as the reader meets it: no answer for a question about nothing in the
corpus, a list of cases for filters alone, links that open the passage that matched, reasons in
plain words, and similar cases that are cases (issue 10, items 7-9)."""
import json
import re
from contextlib import closing

import pytest
from click.testing import CliRunner

from casekb.cli import main
from index.connection import connect_readonly
from index.search import NO_ANSWER, Searcher
from kbcore.schema import CASE_KINDS

NONSENSE = ["how to bake bread", "量子力学火箭发射", "北京明天天气怎么样"]


@pytest.fixture(scope="module")
def searcher(built_db):
    return Searcher(built_db)


@pytest.mark.parametrize("q", NONSENSE)
async def test_a_question_about_nothing_in_the_corpus_gets_no_cases_and_says_so(ds, searcher, q):
    assert searcher.search(q, gate=False), "without the gate the least bad cases would be listed"
    r = await ds.client.get("/-/search.json", params={"q": q})
    assert r.status_code == 200
    data = r.json()
    assert data["results"] == [] and data["count"] == 0 and "error" not in data
    assert data["note"].startswith(NO_ANSWER) and data["suggestions"]  # an English one also suggests Chinese
    page = await ds.client.get("/-/search", params={"q": q})
    assert page.status_code == 200


def test_the_cli_says_nothing_relevant_was_found_and_what_to_try(built_db):
    result = CliRunner().invoke(main, ["search", NONSENSE[0], "--db", str(built_db)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("没有找到很相关的案例")
    assert "建议" in result.output and "换一种说法" in result.output
    as_json = CliRunner().invoke(main, ["search", NONSENSE[0], "--db", str(built_db), "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output) == []


def test_a_real_question_is_still_answered(searcher):
    assert "taicang100-054" in [r["case_id"] for r in searcher.search("小区里到处是垃圾怎么办", limit=5)]


def _text_first(results) -> bool:
    statuses = [r["status"] for r in results]
    return statuses == sorted(statuses, key=lambda s: s == "title_only")


async def test_filters_alone_list_the_real_cases_with_text_first(ds, built_db):
    r = await ds.client.get("/-/search.json", params={"domain": "生态建设", "limit": 100})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    db = ds.get_database("casekb")
    expected = {row[0] for row in (await db.execute(
        "select c.id from real_cases c join case_domains d on d.case_id = c.id where d.domain = '生态建设'")).rows}
    assert {x["case_id"] for x in results} == expected and len(results) == len(expected)
    assert all(x["kind"] in CASE_KINDS and "生态建设" in x["domains"] for x in results)
    assert results[0]["status"] == "full_text" and _text_first(results)
    assert {x["status"] for x in results} == {"full_text", "title_only"}
    nothing = await ds.client.get("/-/search.json")
    assert nothing.status_code == 400 and "q:" in nothing.json()["error"]  # neither words nor filters


def test_the_cli_lists_cases_for_filters_alone(built_db):
    result = CliRunner().invoke(main, ["search", "--domain", "生态建设", "--db", str(built_db),
                                       "--json", "--limit", "100"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data and _text_first(data) and all("生态建设" in r["domains"] for r in data)
    with closing(connect_readonly(built_db)) as conn:
        others = {cid for (cid,) in conn.execute(
            "select id from cases where kind not in (select id from document_kinds where is_case)")}
    assert not others & {r["case_id"] for r in data}


@pytest.mark.parametrize("q", ["社区减负", "垃圾猪污染治理", "广场舞太吵扰民怎么管", "两份清单"])
async def test_result_links_open_the_matching_passage(ds, q):
    results = (await ds.client.get("/-/search.json", params={"q": q, "limit": 5})).json()["results"]
    anchored = [r for r in results if r["anchor"]]
    assert anchored, "some result of a question the texts answer opens at a passage"
    for r in results:
        path, _, anchor = r["url"].partition("#")
        assert path == f"/casekb/cases/{r['case_id']}"
        assert anchor == (r["anchor"] or "") and r["passage_id"] == r["anchor"]
    for r in anchored:
        path, _, anchor = r["url"].partition("#")
        page = await ds.client.get(path)
        assert page.status_code == 200
        assert f'id="{anchor}"' in page.text, (r["url"], "no such anchor on the case page")
        passage = re.search(rf'<p class="passage" id="{re.escape(anchor)}">(.*?)</p>', page.text, re.S).group(1)
        assert r["snippet_text"].strip("…")[:20] in passage


PLAIN = re.compile(r"^(标题出现(“[^”]+”、?)+|正文出现(“[^”]+”、?)+|所属章节与(“[^”]+”、?)+有关|标题与问题意思相近"
                   r"|正文与问题意思相近|与问题意思有些相近|使用了(“[^”]+”、?)+机制|符合筛选条件)$")


@pytest.mark.parametrize("q", ["小区里到处是垃圾怎么办", "社区减负", "鱼儿回来了", "社區減負增效", "业委会成立"])
def test_why_is_in_plain_words(searcher, q):
    results = searcher.search(q, limit=10)
    assert results
    for r in results:
        assert r["why"] and r["why"] == "；".join(r["reasons"])
        assert not re.search(r"\d", "".join(re.sub(r"“[^”]*”", "", x) for x in r["reasons"])), r["why"]
        assert all(PLAIN.match(x) for x in r["reasons"]), r["why"]
        assert r["semantic_similarity"] is None or isinstance(r["semantic_similarity"], float)
    why = {r["case_id"]: r["why"] for r in results}
    if q == "社区减负":
        assert "使用了“社区减负”机制" in why["mca2015-03-4"]
    if q == "小区里到处是垃圾怎么办":
        assert why["taicang100-054"].startswith("标题出现“垃圾”")


def test_similar_cases_are_cases(searcher, built_db):
    with closing(connect_readonly(built_db)) as conn:
        rows = conn.execute("select id, kind, status from cases").fetchall()
        kinds = {cid: kind for cid, kind, _ in rows}
        for cid, kind, status in rows:
            similar = searcher.similar(conn, cid, k=6)
            assert len(similar) == 6
            assert all(kinds[s["case_id"]] in CASE_KINDS for s in similar), (cid, similar)
            assert all(s["status"] in ("full_text", "title_only") for s in similar)
            if status == "title_only":  # a reader of a bare title is shown cases with text first
                assert similar[0]["status"] == "full_text" and _text_first(similar), (cid, similar)


async def test_case_page_neighbours_hold_no_preface_and_flag_title_only(ds):
    page = (await ds.client.get("/casekb/cases/taicang100-050")).text
    panel = page.split("相似案例", 1)[1]
    linked = re.findall(r'href="/casekb/cases/([^"?#]+)', panel)
    assert linked and not [c for c in linked if "preface" in c or "overview" in c or "intro" in c]
    assert "仅有标题" in panel
