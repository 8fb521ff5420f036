"""The overview page: its numbers against independent SQL on the real build, its SVG, and the page."""
import html
import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from kbcore.schema import CASE_KINDS
from reports.overview import COVERAGE_SERIES, overview, overview_charts
from reports.svg import bar_chart, heatmap

REAL = f"kind in ({', '.join(map(repr, CASE_KINDS))})"  # the registry's case kinds, not a list kept by hand
SVG_NS = "http://www.w3.org/2000/svg"
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def conn(built_db):
    with sqlite3.connect(built_db) as c:
        yield c


@pytest.fixture(scope="module")
def data(conn):
    return overview(conn)


@pytest.fixture(scope="module")
def charts(data):
    return {c["id"]: c for c in overview_charts(data)}


def test_regions_add_up_to_the_real_cases(conn, data):
    real = conn.execute(f"select count(*) from cases where {REAL}").fetchone()[0]
    assert real == 76  # 66 title-only book cases + 7 journal + 2 articles + 1 award
    assert sum(r["cases"] for r in data["by_region"]) == real == data["totals"]["cases"]
    assert {r["region"]: r["cases"] for r in data["by_region"]}["太仓市"] == 69
    taicang = next(r for r in data["by_region"] if r["region"] == "太仓市")
    assert (taicang["full_text"], taicang["title_only"]) == (3, 66)
    assert data["totals"] == {"cases": 76, "full_text": 10, "title_only": 66, "expected": 110, "missing": 34}


def test_book_coverage_is_told_honestly(data, charts):
    book = next(c for c in data["coverage"] if c["source_id"] == "taicang100")
    assert (book["expected"], book["full_text"], book["title_only"], book["missing"]) == (100, 0, 66, 34)
    assert (book["title_only_numbers"], book["missing_numbers"]) == ("1—66", "67—100")
    caption = charts["coverage"]["caption"]
    assert "案例1—66仅有标题、没有正文" in caption and "案例67—100缺失" in caption


def test_domain_totals_match_case_domains(conn, data):
    expected = dict(conn.execute(
        f"select d.domain, count(*) from case_domains d join cases c on c.id = d.case_id "
        f"where c.{REAL} group by d.domain").fetchall())
    assert {d["domain"]: d["cases"] for d in data["by_domain"]} == expected
    assert expected["社区治理"] and expected["法治建设"]
    assert all(d["full_text"] + d["title_only"] == d["cases"] for d in data["by_domain"])
    # Prefaces and overviews carry domain tags too; they must not be counted as cases.
    tagged_documents = conn.execute(f"select count(*) from case_domains d join cases c on c.id = d.case_id "
                                    f"where not c.{REAL}").fetchone()[0]
    assert tagged_documents
    assert sum(d["cases"] for d in data["by_domain"]) == (
        conn.execute("select count(*) from case_domains").fetchone()[0] - tagged_documents)


def test_matrices_match_sql(conn, data):
    m = data["mechanism_region"]
    cell = m["counts"][m["rows"].index("社区减负")][m["cols"].index("南京市")]
    assert cell == 1
    assert m["counts"][m["rows"].index("委托协议")][m["cols"].index("太仓市")] == 4
    pairs = conn.execute(
        f"select m.mechanism, c.region, count(*) from case_mechanisms m join cases c on c.id = m.case_id "
        f"where c.{REAL} group by 1, 2").fetchall()
    assert sum(map(sum, m["counts"])) == sum(n for *_, n in pairs) == 69
    for mechanism, region, n in pairs:
        assert m["counts"][m["rows"].index(mechanism)][m["cols"].index(region)] == n
    d = data["domain_region"]
    assert d["counts"][d["rows"].index("社区治理")][d["cols"].index("太仓市")] == 16
    assert [sum(row) for row in d["counts"]] == [x["cases"] for x in data["by_domain"]]
    assert len(m["rows"]) == conn.execute("select count(*) from mechanisms").fetchone()[0] == 24


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{{{SVG_NS}}}svg" and root.get("role") == "img" and root.get("aria-label")
    assert root.find(f"{{{SVG_NS}}}title") is not None
    return root


def _texts(root) -> list[str]:
    return [t.text for t in root.iter(f"{{{SVG_NS}}}text")]


def test_charts_are_self_contained_svg_with_labels_and_counts(charts):
    for chart in charts.values():
        svg = chart["svg"]
        _parse(svg)
        assert "<script" not in svg.lower()
        assert re.findall(r"https?://[^\s\"']+", svg) == [SVG_NS]
        assert chart["table"]["rows"] and chart["caption"].endswith("。")
    coverage = _texts(_parse(charts["coverage"]["svg"]))
    assert {"有正文", "仅有标题", "缺失", "66", "34", "应有 100 例"} <= set(coverage)
    regions = _texts(_parse(charts["regions"]["svg"]))
    assert {"太仓市", "南京市", "69", "66"} <= set(regions)
    mechanisms = _texts(_parse(charts["mechanism-region"]["svg"]))
    assert {"社区减负", "南京市", "委托协议", "4"} <= set(mechanisms)


def test_bar_widths_follow_the_counts(charts):
    bars = [r for r in _parse(charts["regions"]["svg"]).iter(f"{{{SVG_NS}}}rect") if r.get("height") == "30"]
    widths = sorted(float(r.get("width")) for r in bars)
    # 太仓市: 3 有正文 + 66 仅有标题 on the same scale as the other regions' single case.
    assert widths[-1] / widths[0] == pytest.approx(66, rel=0.01)


def test_hostile_labels_are_escaped():
    bar = bar_chart([(HOSTILE, (3,)), ("a&b", (1,))], HOSTILE)
    grid = heatmap([HOSTILE], ['"><img src=x>'], [[2]], HOSTILE)
    for svg in (bar, grid):
        root = _parse(svg)
        assert "<script" not in svg and "<img" not in svg
        assert html.escape(HOSTILE) in svg
        assert HOSTILE in _texts(root)  # shown to the reader as the text it is
    assert "a&amp;b" in bar


def test_labels_are_shown_whole_and_the_bars_fit_a_phone():
    title = "张家港市—社区协商：基层法治化的新探索（第四届“中国法治政府奖”获奖项目）"
    root = ET.fromstring(bar_chart([(title, (1, 2, 3))], "t", series=COVERAGE_SERIES, total_format="应有 {} 例"))
    assert float(root.get("width")) <= 358  # a 390 px screen's content box: no scaling, no sideways scroll
    assert "".join(_texts(root)[3:]).startswith(title)  # wrapped onto lines above the bar, never cut
    grid = ET.fromstring(heatmap([title], ["太仓市"], [[1]], "t"))
    assert title in _texts(grid) and float(grid.get("width")) > 14 * len(title)


def test_bars_and_cells_link_only_where_there_is_something_to_open():
    links = [f"/x?{i}&<" for i in range(2)]
    bar = ET.fromstring(bar_chart([("南京市", (1,)), ("厦门市", (2,))], "t", links=links))
    assert [a.get("href") for a in bar.iter(f"{{{SVG_NS}}}a")] == links  # escaped in the markup, whole here
    grid = ET.fromstring(heatmap(["社区治理"], ["南京市", "厦门市"], [[0, 3]], "t", links=[["/empty", "/three"]]))
    assert [a.get("href") for a in grid.iter(f"{{{SVG_NS}}}a")] == ["/three"]  # an empty cell opens nothing


async def _listed(ds, href: str) -> set[str]:
    """The case ids the search page's listing at href shows (read through its JSON twin)."""
    assert href.startswith("/-/search?")
    answer = (await ds.client.get(href.replace("/-/search?", "/-/search.json?"))).json()
    return {r["case_id"] for r in answer["results"]}


async def test_chart_links_open_exactly_the_counted_cases(ds, conn):
    """Each segment of a bar (太仓市: 3 with text, 66 title-only) and each heat-map cell opens the search
    page's listing of exactly the cases it counts."""
    svgs = {(root := ET.fromstring(svg)).get("aria-label"): root
            for svg in re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" class="casekb-chart".*?</svg>',
                                  await _page(ds), re.S)}
    segments = {a.find(f"{{{SVG_NS}}}rect/{{{SVG_NS}}}title").text: a.get("href")
                for chart in ("各地区的案例数", "各领域的案例数") for a in svgs[chart].iter(f"{{{SVG_NS}}}a")
                if a.find(f"{{{SVG_NS}}}rect") is not None}
    labels = {"".join(t.text for t in a.iter(f"{{{SVG_NS}}}text")): a.get("href")
              for a in svgs["各地区的案例数"].iter(f"{{{SVG_NS}}}a") if a.find(f"{{{SVG_NS}}}rect") is None}
    cells = {a.find(f"{{{SVG_NS}}}rect/{{{SVG_NS}}}title").text: a.get("href")
             for a in svgs["各领域、各地区的案例数"].iter(f"{{{SVG_NS}}}a")}

    def ids(sql, *params):
        return {cid for (cid,) in conn.execute(sql, params)}
    expected = {
        segments["太仓市：有正文 3"]: ids("select id from real_cases where region = '太仓市' and status = 'full_text'"),
        segments["太仓市：仅有标题 66"]: ids("select id from real_cases where region = '太仓市' "
                                          "and status = 'title_only'"),
        segments["社区治理：有正文 4"]: ids("select id from real_cases where status = 'full_text' and id in "
                                          "(select case_id from case_domains where domain = '社区治理')"),
        cells["社区治理 × 南京市：1"]: ids("select id from real_cases where region = '南京市' and id in "
                                        "(select case_id from case_domains where domain = '社区治理')")}
    expected[labels["太仓市"]] = ids("select id from real_cases where region = '太仓市'")  # a label: the whole bar
    assert [len(v) for v in expected.values()] == [3, 66, 4, 1, 69]
    for href, cases in expected.items():
        assert await _listed(ds, href) == cases, href


async def _page(ds) -> str:
    response = await ds.client.get("/-/overview")
    assert response.status_code == 200
    return response.text


async def test_page_shows_charts_tables_and_no_external_script(ds, charts):
    page = await _page(ds)
    assert "<title>案例库概览" in page and 'lang="zh-CN"' in page
    for chart in charts.values():
        assert f"<h2 id=\"{chart['id']}-h\">{html.escape(chart['title'])}</h2>" in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="casekb-chart"') == 5
    assert page.count("<summary>数据表</summary>") == 5
    assert "共收录 <strong>76</strong> 个案例" in page and "<strong>34</strong> 个缺失" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    stylesheet = re.search(r'<link rel="stylesheet" href="(/-/static-plugins/casekb/[^"]+\.css)">', page).group(1)
    assert ".casekb-overview-page header" in (await ds.client.get(stylesheet)).text  # the print layout
    assert 'href="/-/mechanisms/%E7%A4%BE%E5%8C%BA%E5%87%8F%E8%B4%9F"' in page  # 社区减负


@pytest.mark.parametrize("text, count", [("太仓市", 69), ("社区治理", 19), ("太仓“政社互动”100例", 66)])
async def test_table_links_open_exactly_the_counted_cases(ds, text, count):
    page = await _page(ds)
    href = re.search(r'<th scope="row"><a href="([^"]+)">' + re.escape(html.escape(text)) + "</a>", page).group(1)
    href = html.unescape(href)
    if href.startswith("/-/search?"):
        assert len(await _listed(ds, href)) == count
        return
    assert href.startswith("/casekb/cases?") and "_col=title" in href  # a source: its cases, without their texts
    data = (await ds.client.get(href.replace("/casekb/cases?", "/casekb/cases.json?") + "&_size=0")).json()
    assert data["filtered_table_rows_count"] == count
