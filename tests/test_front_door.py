"""The Chinese front door, through Datasette's test client with the site's template folder (as
`casekb serve` runs it): the home page, Datasette's pages in Chinese with the navigation bar, the
search page's states, table pages, the canned queries, citations, CSV for Excel and titled packs."""
import csv
import hashlib
import io
import re
import sqlite3
from html import unescape
from pathlib import Path

import datasette
import pytest
import yaml
from datasette.app import Datasette

from casekb.serve import TEMPLATE_DIR, datasette_arguments
from datasette_plugins.casekb_search.front_door import EXAMPLES
from kbcore.limits import MAX_QUERY_CHARS
from kbcore.schema import KIND_LABELS, LOST_CHARACTER, STATUS_LABELS
from reports.export import FORMATS
from zh_interface import english_in as english_in_text, visible_text

ROOT = Path(__file__).resolve().parents[1]
DATASETTE = Path(datasette.__file__).parent
PINS = TEMPLATE_DIR / "originals.sha256"


@pytest.fixture(scope="module")
async def site(built_db):
    """The site as `casekb serve` publishes it: metadata.yml, the plugin and the Chinese templates."""
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    ds = Datasette([str(built_db)], immutables=[], metadata=metadata, template_dir=str(TEMPLATE_DIR))
    await ds.invoke_startup()
    return ds


def english_in(page: str) -> list[str]:
    return english_in_text(visible_text(page))


# --- the templates are pinned to the Datasette they were copied from ---------------------------

def pins() -> dict[str, str]:
    lines = [line.split() for line in PINS.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    return {path: digest for digest, path in lines}


def test_overridden_datasette_files_are_the_ones_the_translations_were_made_from():
    changed = [path for path, digest in pins().items()
               if hashlib.sha256((DATASETTE / path).read_bytes()).hexdigest() != digest]
    assert not changed, (f"Datasette {datasette.__version__} changed {changed}: compare them with the copies in "
                         f"{TEMPLATE_DIR} and port the change, then update {PINS.name}")


def test_every_template_that_replaces_datasettes_own_is_pinned():
    defaults = {p.name for p in (DATASETTE / "templates").glob("*.html")}
    ours = {p.name for p in TEMPLATE_DIR.glob("*.html")}
    pinned = {Path(p).name for p in pins()}
    assert ours & defaults <= pinned
    assert "table.js" in pinned  # its column menu is renamed in _table_js_zh.html


def test_casekb_serve_uses_the_template_folder():
    command = datasette_arguments(Path("x.db"), Path("metadata.yml"))  # what every worker's Datasette parses
    assert command[command.index("--template-dir") + 1] == str(TEMPLATE_DIR)


# --- every page: Chinese, with the navigation bar -------------------------------------------------

PAGES = ["/", "/casekb", "/casekb/cases", "/casekb/cases?_facet=kind&kind=book_case", "/casekb/sources/taicang100",
         "/casekb/cases/mca2015-03-2", "/casekb?sql=select+id,+title+from+cases+limit+3",
         "/casekb/passages_mentioning?term=两份清单", "/-/search?q=社区减负", "/-/search", "/-/overview",
         "/-/mechanisms", "/-/mechanisms/社区减负", "/-/compare?cases=mca2015-03-2,mca2015-03-1"]


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_is_chinese_with_the_navigation_bar(site, path):
    r = await site.client.get(path)
    assert r.status_code == 200
    assert '<html lang="zh-CN">' in r.text
    nav = re.search(r'<ul class="casekb-nav">(.*?)</ul>', r.text, re.S).group(1)
    assert re.findall(r">([^<>]+)</a>", nav) == ["首页", "案例搜索", "治理机制", "并排比较", "概览", "数据表与SQL"]
    assert 'class="nav-menu"' not in r.text  # the unlabelled menu button is gone
    assert english_in(r.text) == [], path


async def test_error_pages_are_chinese(site):
    for path, title in [("/nope", "找不到这个页面"), ("/casekb/nope", "找不到这个数据表"),
                        ("/casekb/cases/nope", "找不到这条记录")]:
        r = await site.client.get(path)
        assert r.status_code == 404 and title in r.text and english_in(r.text) == [], path


async def test_breadcrumbs_name_the_database_and_table_in_chinese(site):
    def crumbs(page):
        found = re.search(r'<p class="crumbs">(.*?)</p>', page, re.S)
        return [t.strip() for t in re.findall(r">([^<>]+)</a>", found.group(1))] if found else []
    assert crumbs((await site.client.get("/")).text) == []  # the home page is not inside anything
    assert crumbs((await site.client.get("/casekb/cases")).text) == ["首页", "案例库"]
    assert crumbs((await site.client.get("/casekb/sources/taicang100")).text) == ["首页", "案例库", "来源文献"]
    assert crumbs((await site.client.get("/-/mechanisms/社区减负")).text) == ["首页", "治理机制"]
    assert crumbs((await site.client.get("/-/search?q=垃圾")).text) == ["首页"]


# --- the home page -------------------------------------------------------------------------------

async def test_home_page_is_a_front_door(site, built_db):
    page = (await site.client.get("/")).text
    content = page.split('<section class="content">', 1)[1]
    assert content.index('role="search"') < content.index("casekb-examples") < content.index("casekb-coverage")
    assert re.search(r'<input type="search" name="q"', content)
    examples = re.findall(r'<li><a href="(/-/search\?q=[^"]+)">([^<]+)</a></li>', content)
    assert [text for _, text in examples] == list(EXAMPLES) and 3 <= len(examples) <= 4
    with sqlite3.connect(built_db) as conn:
        cases, with_text, title_only = conn.execute(
            "select count(*), sum(status = 'full_text'), sum(status = 'title_only') from real_cases").fetchone()
        missing = conn.execute("select sum(max(cases_missing, 0)) from coverage").fetchone()[0]
    coverage = visible_text(re.search(r'<p class="casekb-coverage">(.*?)</p>', content, re.S).group(1))
    assert re.sub(r"\s+", "", coverage).startswith(
        f"共收录{cases}个案例：{with_text}个有正文，{title_only}个只有标题（正文缺失）；各来源应有而源文本中没有的，另有{missing}个。")
    entries = re.findall(r'<li><a href="([^"]+)"><strong>([^<]+)</strong>', content)
    assert entries == [("/-/mechanisms", "治理机制"), ("/-/compare", "并排比较"), ("/-/overview", "概览"),
                       ("/casekb", "数据表与SQL")]


@pytest.mark.parametrize("question", EXAMPLES)
async def test_each_example_question_finds_cases_with_text(site, question):
    results = (await site.client.get("/-/search.json", params={"q": question})).json()["results"]
    assert any(r["status"] == "full_text" for r in results), question


# --- the search page -----------------------------------------------------------------------------

async def test_search_results_show_title_only_precedents_inline_at_their_rank(site):
    """Title-only cases stand in the one list where the search JSON ranks them, marked 正文缺失 (issue 18)."""
    q = "小区里到处是垃圾怎么办"
    page = (await site.client.get("/-/search", params={"q": q})).text
    ranked = [(r["case_id"], r["status"]) for r in
              (await site.client.get("/-/search.json", params={"q": q})).json()["results"]]
    assert "casekb-title-only\"" not in page and "<details class=\"casekb-title-only" not in page  # no collapsed box
    shown = re.findall(r'<li( class="title-only")?>\s*<div class="title">.*?value="([^"]+)".*?</div>', page, re.S)
    assert [cid for _, cid in shown] == [cid for cid, _ in ranked]  # the JSON's order, one list
    assert [bool(cls) for cls, _ in shown] == [status == "title_only" for _, status in ranked]
    items = re.findall(r'<li class="title-only">\s*<div class="title">.*?</div>', page, re.S)
    assert items and all('<span class="casekb-missing-badge">正文缺失</span>' in item for item in items)
    main = page.split('<ol class="casekb-results">', 1)[1]
    # each result opens its case with the query kept and, when a passage matched, at that passage
    links = re.findall(r'<div class="title">.*?<a href="([^"]+)">', main, re.S)
    assert links and all("?q=%E5%B0%8F%E5%8C%BA" in unescape(u) for u in links)
    anchored = [unescape(u) for u in links if "#" in u]
    assert anchored and all(re.search(r"/casekb/cases/([^?]+)\?q=[^#]+#\1-\d{3}$", u) for u in anchored)
    assert "匹配原因：" in main


async def test_search_states_say_what_to_do(site):
    empty = (await site.client.get("/-/search")).text
    assert "casekb-empty" in empty and all(e in empty for e in EXAMPLES)
    filters_only = (await site.client.get("/-/search", params={"domain": "生态建设", "limit": 100})).text
    listed = (await site.client.get("/-/search.json", params={"domain": "生态建设", "limit": 100})).json()["results"]
    assert "符合筛选条件的有" in filters_only and len(listed) > 1
    assert all(f'value="{r["case_id"]}"' in filters_only for r in listed)  # filters alone list the cases
    assert "<summary>筛选（已选 1 项）</summary>" in filters_only and "清除筛选" in filters_only
    nothing = await site.client.get("/-/search", params={"q": "垃圾", "region": "成都市", "status": "title_only"})
    assert nothing.status_code == 200 and "没有找到与“垃圾”相关的案例" in nothing.text
    assert "不加筛选，重新搜索“垃圾”" in nothing.text


async def test_a_long_question_is_counted_and_refused_not_cut(site):
    page = (await site.client.get("/-/search")).text
    box = re.search(r'<input type="search" name="q"[^>]*>', page).group(0)
    assert "maxlength" not in box and f'data-max-chars="{MAX_QUERY_CHARS}"' in box
    assert f"最多 {MAX_QUERY_CHARS} 字" in page
    long = "社区" * MAX_QUERY_CHARS
    r = await site.client.get("/-/search", params={"q": long})
    assert r.status_code == 400 and 'class="casekb-error"' in r.text
    assert f'value="{long}"' in r.text  # the whole question stays in the box, to be shortened


async def test_case_page_keeps_the_query_for_the_way_back(site):
    page = (await site.client.get("/casekb/cases/mca2015-03-2", params={"q": "社区减负"})).text
    back = "/-/search?q=%E7%A4%BE%E5%8C%BA%E5%87%8F%E8%B4%9F"
    assert f'<a href="{back}">← 返回“社区减负”的搜索结果</a>' in page
    assert f'<a href="{back}">搜索其他案例</a>' in page
    similar = page.split("<h2>相似案例</h2>", 1)[1]
    assert re.search(r'<a href="/casekb/cases/[^"?]+\?q=%E7%A4%BE', similar)
    plain = (await site.client.get("/casekb/cases/mca2015-03-2")).text
    assert '<a href="/-/search">搜索其他案例</a>' in plain and "返回“" not in plain


# --- Datasette's table, database, query and row pages ---------------------------------------------

async def test_table_page_cuts_long_text_and_labels_coded_values(site):
    page = (await site.client.get("/casekb/cases", params={"id": "mca2015-03-2"})).text
    body = re.search(r'<td class="col-body type-str">(.*?)</td>', page, re.S).group(1)
    assert 'class="casekb-cut"' in body and len(visible_text(body).strip()) <= 31
    assert f'{KIND_LABELS["journal_case"]} <small class="casekb-code">journal_case</small>' in page
    assert f'{STATUS_LABELS["full_text"]} <small class="casekb-code">full_text</small>' in page
    row = (await site.client.get("/casekb/passages/mca2015-03-2-002")).text  # a row page shows all of it
    assert "casekb-cut" not in row
    facet = (await site.client.get("/casekb/cases", params={"_facet": "kind"})).text
    assert re.search(r'<a href="[^"]*kind=book_case[^"]*">书中案例</a> 66', facet)
    for column in ("body", "body_original", "title_seg"):  # not offered as facets
        assert f'>{column}</a>' not in facet.split('class="suggested-facets"', 1)[1].split("</p>", 1)[0]


async def test_database_page_lists_tables_by_their_chinese_titles(site):
    page = (await site.client.get("/casekb")).text
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))["databases"]["casekb"]
    for table in ("cases", "passages", "sources", "case_figures"):
        title = metadata["tables"][table]["title"]
        assert f'<a href="/casekb/{table}">{title}</a> <code class="casekb-name">{table}</code>' in page
    assert "<h2 id=\"queries\">预设查询</h2>" in page and "运行 SQL" in page


async def test_passages_mentioning_answers_an_empty_term_with_no_rows(site):
    for params in ({}, {"term": ""}, {"term": "   "}):
        r = await site.client.get("/casekb/passages_mentioning.json", params={**params, "_shape": "array"})
        assert r.status_code == 200 and r.json() == [], params
        page = await site.client.get("/casekb/passages_mentioning", params=params)
        assert page.status_code == 200 and "没有结果" in page.text


async def test_passages_mentioning_examples_find_passages(site):
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    description = metadata["databases"]["casekb"]["queries"]["passages_mentioning"]["description"]
    examples = re.search(r"（如 ([^）]+)）", description).group(1).split("、")
    assert examples
    for term in examples:
        rows = (await site.client.get("/casekb/passages_mentioning.json",
                                      params={"term": term, "_shape": "array"})).json()
        assert rows and all(term[:2] in r["text"] for r in rows), term


async def test_csv_for_excel_has_a_byte_order_mark_and_the_filtered_rows(site):
    page = (await site.client.get("/casekb/cases", params={"kind": "journal_case"})).text
    link = unescape(re.search(r'<a href="([^"]+)" class="export-csv_bom">', page).group(1))
    r = await site.client.get(link)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 7 and {row["kind"] for row in rows} == {"journal_case"}
    assert rows[1]["title"] == "南京市大力推动社区减负增效"
    query = await site.client.get("/casekb/passages_mentioning.csv_bom", params={"term": "两份清单"})
    assert query.content.startswith(b"\xef\xbb\xbf") and "两份清单" in query.content.decode("utf-8-sig")


# --- citations -----------------------------------------------------------------------------------

async def test_case_page_shows_its_reference_with_copy_and_exports(site):
    page = (await site.client.get("/casekb/cases/taicang100-001")).text
    reference = re.search(r'<span id="reference-text">([^<]+)</span>', page).group(1)
    assert unescape(reference).endswith("[M]//陆卫其. 太仓“政社互动”100例. 苏州: 苏州大学出版社, 2014: 3.")
    assert 'id="copy-reference"' in page and "/-/cite?ids=taicang100-001&amp;format=bibtex" in page


async def test_cite_route_exports_a_selection(site):
    bib = await site.client.get("/-/cite", params={"ids": "taicang100-001,mca2015-03-2", "format": "bibtex"})
    assert bib.status_code == 200 and bib.text.count("@") == 2 and "@article{mca2015-03-2," in bib.text
    ris = await site.client.get("/-/cite", params={"ids": "mca2015-03-2", "format": "ris"})
    assert ris.text.startswith("TY  - JOUR") and "attachment" in ris.headers["content-disposition"]
    assert (await site.client.get("/-/cite", params={"ids": "nope"})).status_code == 404
    assert (await site.client.get("/-/cite", params={"ids": "mca2015-03-2", "format": "doc"})).status_code == 400
    search = (await site.client.get("/-/search", params={"q": "社区减负"})).text
    assert re.search(r'/-/cite\?ids=[^"]*mca2015-03-2[^"]*&amp;format=ris', search)


async def test_cite_route_is_closed_when_the_cases_are(built_db):
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    metadata["databases"]["casekb"]["tables"]["sources"]["allow"] = False
    ds = Datasette([str(built_db)], immutables=[], metadata=metadata, template_dir=str(TEMPLATE_DIR))
    await ds.invoke_startup()
    assert (await ds.client.get("/-/cite", params={"ids": "mca2015-03-2"})).status_code == 403


# --- packs ---------------------------------------------------------------------------------------

async def test_pack_forms_ask_for_a_title(site):
    for path in ("/-/search?q=社区减负", "/casekb/cases/mca2015-03-2", "/-/mechanisms/社区减负",
                 "/-/compare?cases=mca2015-03-2,mca2015-03-1"):
        page = (await site.client.get(path)).text
        form = re.search(r'<form class="casekb-pack-form" id="casekb-pack" action="/-/pack" method="get">(.*?)</form>',
                         page, re.S)
        assert form and '<input type="text" name="title"' in form.group(1), path
        assert re.findall(r'<button type="submit" name="format" value="(\w+)">', form.group(1)) == list(FORMATS)


async def test_a_titled_pack_is_a4_with_page_numbers_and_references(site):
    import docx

    r = await site.client.get("/-/pack", params={"q": "社区减负", "format": "docx", "title": "社区减负：三地比较"})
    assert r.status_code == 200
    doc = docx.Document(io.BytesIO(r.content))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert section.header.paragraphs[0].text == "社区减负：三地比较"
    assert " PAGE " in section.footer._element.xml and "w:fldChar" in section.footer._element.xml
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "社区减负：三地比较"
    assert "本刊编辑部. 社区治理的地方创新[J]. 中国民政, 2015(3)." in text  # GB/T 7714 in the sources and cases
    # a search's pack lists the cases with only a title on one page instead of a page each
    assert text.count("仅有标题的案例（正文缺失）") == 1


async def test_title_only_cases_get_a_page_each_when_asked(site):
    params = {"ids": "taicang100-001,taicang100-002", "format": "md"}
    separate = (await site.client.get("/-/pack", params=params)).text
    together = (await site.client.get("/-/pack", params={**params, "title_only": "list"})).text
    assert separate.count("\n## ") > together.count("\n## ")
    assert "## 仅有标题的案例（正文缺失）" in together and "## 仅有标题的案例（正文缺失）" not in separate


async def test_figures_with_lost_characters_are_not_key_figures(site, built_db):
    with sqlite3.connect(built_db) as conn:
        lost = [q for (q,) in conn.execute("select quote from case_figures where case_id = 'mca2015-03-2' "
                                           "and instr(quote, ?) > 0", [LOST_CHARACTER])]
    assert lost, "the build no longer has a figure with a lost character to test with"
    compare = (await site.client.get("/-/compare.json", params={"cases": "mca2015-03-2"})).json()
    quotes = [f["quote"] for f in compare["cases"][0]["figures"]]
    assert quotes and not any(LOST_CHARACTER in q for q in quotes)
    pack = (await site.client.get("/-/pack", params={"ids": "mca2015-03-2", "format": "md"})).text
    key_figures = next(line for line in pack.splitlines() if line.startswith("- **关键数字**"))
    assert LOST_CHARACTER not in key_figures


async def test_cite_three_journal_cases_gives_three_references_each_naming_its_case(site):
    ids = ["mca2015-03-2", "mca2015-03-4", "mca2015-03-1"]
    r = await site.client.get("/-/cite", params={"ids": ",".join(ids + ["mca2015-03-2"]), "format": "gbt"})
    lines = r.text.splitlines()
    titles = [(await site.client.get(f"/casekb/cases/{i}.json", params={"_shape": "object"})).json()[i]["title"]
              for i in ids]
    assert len(lines) == 3 and all(title in line for title, line in zip(titles, lines))
    assert r.headers["content-disposition"].startswith("inline")  # a page to read, not a file
    saved = await site.client.get("/-/cite", params={"ids": ",".join(ids), "format": "gbt", "download": "1"})
    assert saved.headers["content-disposition"].startswith("attachment") and saved.text == r.text
    for fmt, start in (("bibtex", "@"), ("ris", "TY  - ")):
        text = (await site.client.get("/-/cite", params={"ids": ",".join(ids), "format": fmt})).text
        assert sum(line.startswith(start) for line in text.splitlines()) == 3
        assert all(title in text for title in titles)


async def test_errors_have_one_set_of_titles_and_no_english_gloss_on_a_page(site):
    r = await site.client.get("/-/cite", params={"ids": "nope,nada"})
    assert r.status_code == 404 and "找不到这个页面" in r.text and "没有这些案例编号 nope、nada" in r.text
    assert "unknown case ids" not in r.text and english_in(r.text) == []
    assert "找不到这个页面" in (await site.client.get("/nosuchpage")).text


async def test_csv_for_excel_with_labels_has_plain_cells_and_a_label_column(site):
    r = await site.client.get("/casekb/cases.csv_bom", params={"_labels": "on", "kind": "journal_case"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[header.index("source_id") + 1] == "source_id_label"
    assert len(body) == 7 and all(len(row) == len(header) for row in body)
    cells = [dict(zip(header, row)) for row in body]
    assert {c["source_id"] for c in cells} == {"mca2015-03"}
    assert {c["source_id_label"] for c in cells} == {"社区治理的地方创新"}
    assert not any("{'value'" in cell or "'label'" in cell for row in body for cell in row)


async def test_reading_view_keeps_passage_anchors_but_shows_no_ids_or_raw_scores(site):
    page = (await site.client.get("/casekb/cases/mca2015-03-2")).text
    assert 'id="mca2015-03-2-002"' in page  # the anchor a search result or a citation points to
    assert "mca2015-03-2-002" not in visible_text(page) and "相似度" not in page
    assert 'data-basket-id="mca2015-03-2"' in page  # 加入待选案例
    for fmt in ("md", "html"):
        pack = (await site.client.get("/-/pack", params={"ids": "mca2015-03-2", "format": fmt})).text
        assert "〔" not in pack and "mca2015-03-2-002" not in visible_text(pack.split("案例编号", 1)[0])
    title_only = (await site.client.get("/casekb/cases/taicang100-001")).text
    assert 'id="casekb-pack"' not in title_only  # no course pack of a title alone


async def test_datasette_pages_speak_in_the_users_words(site):
    db = (await site.client.get("/casekb")).text
    listed = re.findall(r'<h3><a href="/casekb/([^"]+)">', db.split('id="tables"', 1)[1].split('id="views"', 1)[0])
    assert listed[:3] == ["cases", "passages", "sources"]
    assert not {"build_info", "embeddings", "vector_index", "case_tokens"} & set(listed)  # internal tables hidden
    table = (await site.client.get("/casekb/cases", params={"kind__in": "book_case,journal_case",
                                                           "_facet": "region"})).text
    header = re.search(r"<thead>(.*?)</thead>", table, re.S).group(1)
    assert "案例编号" in header and "正文状态" in header and ">status<" not in header
    assert "筛选条件：文献类型 属于 书中案例、期刊案例；按案例编号升序排列" in table
    facets = (await site.client.get("/casekb/cases", params={"_facet_array": "mechanisms"})).text
    assert "案例用到的治理机制" in facets and "（数组）" not in facets


async def test_canned_queries_label_their_columns_and_coded_values(site):
    page = (await site.client.get("/casekb/cases_of_chapter", params={"chapter_no": "1"})).text
    header = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert "正文状态" in header and "案例编号" in header
    assert f'{STATUS_LABELS["title_only"]} <small class="casekb-code">title_only</small>' in page
