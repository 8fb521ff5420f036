"""/-/compare, /-/compare.json and /-/pack through Datasette's test client, and the links
that lead trainers to them from the search and mechanism pages."""
import html
import io
import re
from urllib.parse import unquote

import docx
import pytest

TRIO = "mca2015-03-2,mca2015-03-1,mca2015-03-4"


async def test_compare_page_puts_three_cities_side_by_side_with_evidence_links(ds):
    r = await ds.client.get("/-/compare", params={"cases": TRIO})
    assert r.status_code == 200
    header = re.search(r"<thead>(.*?)</thead>", r.text, re.S).group(1)
    assert re.findall(r'<a href="/casekb/cases/([^"]+)">', header) == TRIO.split(",")
    assert "南京市（江苏省）" in r.text and "厦门市（福建省）" in r.text
    # the figure and the passage it is quoted from
    assert re.search(r'78项 → 28项</span><br>“[^”]*比部门清理前的78项减少了64.1%” '
                     r'<a href="/casekb/cases/mca2015-03-1#mca2015-03-1-002"', r.text)
    assert "取消25项工作任务、48类评比、42个机构、72项台账" in r.text
    row = re.search(r'<tr><th scope="row"><a href="/-/mechanisms/[^"]+" title="[^"]*">社区减负</a></th>(.*?)</tr>',
                    r.text, re.S).group(1)
    assert re.findall(r'href="/casekb/cases/([^"#]+)#([^"]+)"', row) == [
        ("mca2015-03-2", "mca2015-03-2-001"), ("mca2015-03-1", "mca2015-03-1-002"),
        ("mca2015-03-4", "mca2015-03-4-003")]
    assert f"/-/pack?ids={TRIO.replace(',', '%2C')}&amp;format=docx" in r.text
    table = r.text.split('<div class="casekb-cards">')[0]
    assert table.count('href="/casekb/sources/mca2015-03"') == 3  # each citation opens its source record
    assert re.search(r'<a class="tag" href="/casekb/cases/mca2015-03-2#mca2015-03-2-\d{3}" '
                     r'title="依据词：[^"]*社区减负',
                     r.text)  # a domain tag opens the passage it was read from


async def test_every_evidence_link_points_at_a_passage_that_exists(ds):
    r = await ds.client.get("/-/compare", params={"cases": TRIO})
    for case_id, anchor in set(re.findall(r'href="/casekb/cases/([^"#]+)#([^"]+)"', r.text)):
        page = await ds.client.get(f"/casekb/cases/{case_id}")
        assert f'id="{anchor}"' in page.text, (case_id, anchor)


async def test_compare_by_mechanism_and_repeated_cases_params(ds):
    r = await ds.client.get("/-/compare.json", params={"mechanism": "社区减负"})
    assert r.status_code == 200
    data = r.json()
    assert set(TRIO.split(",")) <= {c["id"] for c in data["cases"]}
    assert data["mechanisms"][0] == {"id": "社区减负", "cases": [c["id"] for c in data["cases"]]}
    r = await ds.client.get("/-/compare.json?cases=mca2015-03-2&cases=mca2015-03-1")
    assert [c["id"] for c in r.json()["cases"]] == ["mca2015-03-2", "mca2015-03-1"]
    figures = r.json()["cases"][1]["figures"]
    assert {"quote": figures[0]["quote"], "change": "78项 → 28项", "passage_id": "mca2015-03-1-002"} in figures


@pytest.mark.parametrize("params, needle", [
    ({"cases": "mca2015-03-2,nope"}, "cases: "),
    ({"cases": ",".join(f"taicang100-{i:03d}" for i in range(1, 10))}, "cases: "),
])
async def test_compare_errors_name_the_parameter(ds, params, needle):
    r = await ds.client.get("/-/compare", params=params)
    assert r.status_code == 400 and needle in r.text
    assert "<b>火星" not in r.text
    j = await ds.client.get("/-/compare.json", params=params)
    assert j.status_code == 400 and j.json()["error"].startswith(needle)


async def test_compare_without_selection_offers_the_forms(ds):
    r = await ds.client.get("/-/compare")
    assert r.status_code == 200 and 'name="mechanism"' in r.text and 'name="cases"' in r.text
    assert (await ds.client.get("/-/compare.json")).status_code == 400


@pytest.mark.parametrize("fmt, content_type", [("docx", "application/vnd.openxmlformats"),
                                               ("html", "text/html"), ("md", "text/markdown")])
async def test_pack_download(ds, fmt, content_type):
    r = await ds.client.get("/-/pack", params={"ids": TRIO, "format": fmt, "title": "社区减负：三地比较"})
    assert r.status_code == 200 and r.headers["content-type"].startswith(content_type)
    disposition = r.headers["content-disposition"]
    # the printable page opens in the browser (a download link beside it); the files are saved
    assert disposition.startswith("inline;" if fmt == "html" else "attachment;")
    assert 'filename="casekb-pack-' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith("社区减负：三地比较-")
    text = ("\n".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)
            if fmt == "docx" else r.content.decode("utf-8"))
    for title in ("南京市大力推动社区减负增效", "太仓市“政社互动”探索实践", "厦门市开展“美丽厦门共同缔造”试点行动"):
        assert title in text


async def test_pack_from_search_and_mechanism_selections(ds):
    r = await ds.client.get("/-/pack", params={"q": "社区减负", "mechanism": "社区减负", "format": "md", "limit": 3})
    assert r.status_code == 200
    assert "检索“社区减负”，机制：社区减负" in r.text and r.text.count("\n## ") == 1 + 3 + 2
    r = await ds.client.get("/-/pack", params={"mechanism": "社区减负", "format": "md"})
    assert "共 6 篇：4 个案例，2 篇序言、综述等文献" in r.text


@pytest.mark.parametrize("params, status, needle", [
    ({"ids": TRIO, "format": "pdf"}, 400, "format: "),
    ({"format": "docx"}, 400, "ids/query/domain/mechanism"),
    ({"q": "x" * 600}, 400, "q: "),
    ({"q": "垃圾", "limit": "0"}, 400, "limit: "),
    ({"q": "垃圾", "domain": "社区治理", "region": "火星市"}, 404, "没有符合条件的案例"),
])
async def test_pack_errors(ds, params, status, needle):
    r = await ds.client.get("/-/pack", params=params)
    assert r.status_code == status and needle in r.text


async def test_search_page_links_to_compare_and_pack(ds):
    r = await ds.client.get("/-/search", params={"q": "社区减负", "domain": "社区治理"})
    assert 'action="/-/compare"' in r.text and 'name="cases" value="mca2015-03-2"' in r.text
    assert ("/-/pack?q=%E7%A4%BE%E5%8C%BA%E5%87%8F%E8%B4%9F"
            "&amp;domain=%E7%A4%BE%E5%8C%BA%E6%B2%BB%E7%90%86&amp;format=docx") in r.text
    assert 'href="/-/compare?mechanism=%E7%A4%BE%E5%8C%BA%E5%87%8F%E8%B4%9F"' in r.text  # 社区减负 is a mechanism


async def test_mechanism_page_links_to_compare_and_pack(ds):
    r = await ds.client.get("/-/mechanisms/社区减负")
    assert 'href="/-/compare?mechanism=%E7%A4%BE%E5%8C%BA%E5%87%8F%E8%B4%9F"' in r.text
    assert "/-/pack?mechanism=%E7%A4%BE%E5%8C%BA%E5%87%8F%E8%B4%9F&amp;format=docx" in r.text


async def test_case_page_shows_key_figures_and_leads_to_compare_and_pack(ds):
    page = (await ds.client.get("/casekb/cases/mca2015-03-1")).text
    assert "<strong>78项 → 28项</strong>：“属于自治组织依法协助事务" in page
    compare = re.search(r'<a href="(/-/compare\?cases=[^"]+)">与前三个相似案例并排比较</a>', page).group(1)
    assert unquote(compare).startswith("/-/compare?cases=mca2015-03-1,") and unquote(compare).count(",") == 3
    assert (await ds.client.get(compare.replace("&amp;", "&"))).status_code == 200
    assert "/-/pack?ids=mca2015-03-1&amp;format=docx" in page


async def test_key_figures_canned_query(ds):
    rows = (await ds.client.get("/casekb/key_figures.json", params={
        "region": "", "only_changes": "1", "_shape": "array"})).json()
    assert {(r["case_id"], r["change"]) for r in rows} >= {
        ("mca2015-03-1", "78项 → 28项"), ("taicang100-overview", "72项 → 28项")}
    nanjing = (await ds.client.get("/casekb/key_figures.json", params={
        "region": "南京市", "only_changes": "", "_shape": "array"})).json()
    assert nanjing and {r["region"] for r in nanjing} == {"南京市"}


async def test_an_unknown_mechanism_is_a_not_found_page_and_nothing_chosen_offers_the_picker(ds):
    r = await ds.client.get("/-/compare", params={"mechanism": "<b>火星</b>"})
    assert r.status_code == 404 and "没有名为“&lt;b&gt;火星&lt;/b&gt;”的治理机制" in r.text and "<b>火星" not in r.text
    empty = await ds.client.get("/-/compare")
    assert empty.status_code == 200 and 'id="casekb-picker"' in empty.text and "待选案例" in empty.text


async def test_search_report_states_question_filters_time_count_and_why_each_case_matched(ds):
    params = {"q": "社区减负", "domain": "社区治理", "format": "report"}
    r = await ds.client.get("/-/pack", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"].startswith("inline") and ".html" in r.headers["content-disposition"]
    found = (await ds.client.get("/-/search.json", params={"q": "社区减负", "domain": "社区治理"})).json()["results"]
    page = html.unescape(r.text)
    assert "<h1>检索报告</h1>" in r.text and "“社区减负”" in page and "领域：社区治理" in page
    assert re.search(r"<dt>检索时间</dt><dd>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d</dd>", r.text)
    assert re.search(rf"<dt>检索结果</dt><dd>共 {len(found)} (个案例|篇)", page)
    items = re.findall(r"<li value=\"\d+\"><strong>(.*?)</strong>.*?匹配原因：(.*?)</span>.*?参考文献：(.*?)</span>",
                       page, re.S)
    assert [t for t, _, _ in items] == [f["title"] for f in found]
    assert [w for _, w, _ in items] == [f["why"] for f in found] and all(w for _, w, _ in items)
    assert all(title in ref for title, _, ref in items if "mca2015" in ref)  # each reference names its case
    saved = await ds.client.get("/-/pack", params={**params, "download": "1"})
    assert saved.headers["content-disposition"].startswith("attachment")
