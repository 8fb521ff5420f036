"""End to end in a real browser: Datasette serving the real build as `casekb serve` does (the Chinese
templates included), driven by Debian's Chromium, on a desktop (1366x900) and a phone (390x844).

The three journeys: an official (home -> search -> result -> the matching passage -> similar cases -> back
to the results), a trainer (search -> compare -> a titled Word pack, reopened), a researcher (a table in
Chinese -> a facet -> SQL -> CSV for Excel). Each checks what a person would: what is in view, that no
English interface text shows, that filters do not overlap and tap targets are big enough on the phone.

Needs /usr/bin/chromium (run scripts/install-browser). Playwright's own browser download is not
used: Chromium is launched through executable_path. Without Chromium the tests skip locally and
fail under CI (env CI set), so a CI image without the browser cannot pass silently.
"""
import os
import re
from pathlib import Path

import pytest

from casekb.serve import running_server
from zh_interface import english_in

pytestmark = pytest.mark.slow  # a real browser: `make test-fast` skips it

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUERY = "小区里到处是垃圾怎么办"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
TAP = 40  # px: the smallest tap target on the phone
TRIO = {"mca2015-03-2": "南京市大力推动社区减负增效", "mca2015-03-1": "太仓市“政社互动”探索实践",
        "mca2015-03-4": "厦门市开展“美丽厦门共同缔造”试点行动"}


def _require_chromium():
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; run scripts/install-browser in the CI image first")
    pytest.skip(f"{CHROMIUM} is missing (run scripts/install-browser to enable browser tests)")


@pytest.fixture(scope="module")
def server(built_db):
    """Base URL of the site as `casekb serve` runs it (metadata.yml, the casekb plugin)."""
    _require_chromium()  # no point starting the server without a browser
    try:
        with running_server(built_db, ROOT / "metadata.yml") as base:
            yield base
    except RuntimeError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def _screenshot(pg, path: Path) -> None:
    pg.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def test_domain_filter_restricts_results(page, server, tmp_path):
    from playwright.sync_api import expect

    page.goto(f"{server}/-/search")
    page.locator('input[name="q"]').fill(QUERY)
    with page.expect_navigation():  # a filter applies as soon as it is chosen
        page.locator('select[name="domain"]').select_option("生态建设")
    assert "domain=" in page.url and "q=" in page.url
    expect(page.locator('select[name="domain"]')).to_have_value("生态建设")  # filter stays selected

    results = page.locator("ol.casekb-results > li")
    expect(results.first).to_be_visible()
    n = results.count()
    assert n >= 1
    for i in range(n):
        tags = [t.strip() for t in results.nth(i).locator(".meta .tag").all_text_contents()]
        assert "生态建设" in tags, f"result {i + 1} ({results.nth(i).locator('.title').text_content()}) has tags {tags}"
    _screenshot(page, tmp_path / "search-domain-filter.png")


def test_overview_page_draws_its_charts(page, server, tmp_path):
    from playwright.sync_api import expect

    page.goto(f"{server}/-/overview")
    expect(page.locator("h1")).to_have_text("案例库概览")
    charts = page.locator("svg.casekb-chart")
    assert charts.count() == 5
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50  # drawn, not collapsed
    _screenshot(page, tmp_path / "overview.png")


# --- the journeys, on a desktop and on a phone --------------------------------------------------------

@pytest.fixture(params=list(VIEWPORTS))
def screen(request, browser, server):
    """A page at the parameter's viewport (touch on the phone)."""
    phone = request.param == "phone"
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS[request.param], has_touch=phone,
                                  accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.viewport_name = request.param
    yield pg
    context.close()


def _no_english(pg):
    """No English interface text on the page; SQL (the editor, <pre>) and table or code names are data."""
    text = pg.evaluate("""() => {
        const body = document.body.cloneNode(true);
        body.querySelectorAll("script, style, textarea, pre, .CodeMirror, code.casekb-name, small.casekb-code")
            .forEach(el => el.remove());
        return body.innerText; }""")
    found = english_in(text)
    assert not found, f"English interface text on {pg.url}: {found}"


def _boxes(locator) -> list[dict]:
    return [locator.nth(i).bounding_box() for i in range(locator.count())]


def _overlap(a, b) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def _check_phone_layout(pg):
    """Filters folded behind 筛选, then stacked but never on top of each other, inside the screen;
    tap targets >= 40 px."""
    width = VIEWPORTS["phone"]["width"]
    box = pg.locator("details.casekb-filter-box")
    if box.get_attribute("open") is None:
        assert not pg.locator(".casekb-filters select").first.is_visible()  # folded on the phone
        box.locator("summary").click()
    filters = _boxes(pg.locator(".casekb-filters label"))
    assert len(filters) == 5
    for i, a in enumerate(filters):
        assert a["x"] >= 0 and a["x"] + a["width"] <= width, f"filter {i} leaves the screen: {a}"
        for b in filters[i + 1:]:
            assert not _overlap(a, b), f"filters overlap: {a} {b}"
    targets = pg.locator('ul.casekb-nav a, .casekb-query input, .casekb-filters select, '
                         'details.casekb-filter-box summary, .casekb-results label.pick, '
                         '.casekb-select input[type=submit], .casekb-results .open a')
    for box in _boxes(targets):
        if box and box["width"]:  # hidden ones (in a closed group) have no size
            assert box["height"] >= TAP, f"tap target {box} lower than {TAP}px"
    assert pg.evaluate("document.documentElement.scrollWidth") <= width  # nothing pushes the page sideways


def test_official_finds_a_precedent_and_reads_the_matching_passage(screen, server, tmp_path):
    from playwright.sync_api import expect

    pg = screen
    pg.goto(server + "/")
    _no_english(pg)
    box = pg.locator("#home-q")
    expect(box).to_be_visible()
    assert box.bounding_box()["y"] < VIEWPORTS[pg.viewport_name]["height"] / 2  # the search box comes first
    box.fill(QUERY)
    expect(pg.locator("#home-q-count")).to_have_text(f"{len(QUERY)} / 500 字")
    with pg.expect_navigation():
        box.press("Enter")
    assert "/-/search" in pg.url
    expect(pg.locator("#search-q")).to_have_value(QUERY)
    _no_english(pg)
    if pg.viewport_name == "phone":
        _check_phone_layout(pg)
    _screenshot(pg, tmp_path / f"official-search-{pg.viewport_name}.png")

    first = pg.locator("ol.casekb-results > li:not(.title-only) .title a").first
    expect(first).to_be_visible()
    title = first.inner_text().strip()
    assert "#" in first.get_attribute("href"), "the first result does not point at its matching passage"
    title_only = pg.locator("ol.casekb-results > li.title-only")
    if title_only.count():  # inline at their rank, marked, visible
        expect(title_only.first.locator(".casekb-missing-badge")).to_have_text("正文缺失")
        expect(title_only.first).to_be_visible()
    with pg.expect_navigation():
        first.click()
    assert "/casekb/cases/" in pg.url and "#" in pg.url
    expect(pg.locator("h1")).to_have_text(title)
    target = pg.locator("p.passage:target")
    expect(target).to_have_count(1)
    expect(target).to_be_in_viewport()
    assert target.evaluate("el => getComputedStyle(el).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    _no_english(pg)
    _screenshot(pg, tmp_path / f"official-case-{pg.viewport_name}.png")
    reference = pg.locator("#reference-text")
    expect(reference).to_contain_text("[")  # a GB/T 7714 reference: …[M]//… or …[N]. …
    pg.locator("#copy-reference").click()
    expect(pg.locator("#copy-status")).to_have_text(re.compile("已复制|请手动复制"))

    similar = pg.locator("section.casekb-similar ol li a")
    expect(similar.first).to_be_visible()
    here = pg.url.split("?")[0]
    with pg.expect_navigation():
        similar.first.click()
    assert "/casekb/cases/" in pg.url and pg.url.split("?")[0] != here
    back = pg.locator(".casekb-back a")
    expect(back).to_contain_text(QUERY)
    with pg.expect_navigation():
        back.click()
    expect(pg.locator("#search-q")).to_have_value(QUERY)  # the query kept on the way back


def test_trainer_compares_cities_and_downloads_a_titled_word_pack(screen, server, tmp_path):
    import docx
    from playwright.sync_api import expect

    pg = screen
    pg.goto(server + "/-/search")
    pg.locator("#search-q").fill("社区减负")
    if not pg.locator('select[name="mechanism"]').is_visible():  # folded behind 筛选 on the phone
        pg.locator("details.casekb-filter-box summary").click()
    with pg.expect_navigation():  # applied on change
        pg.locator('select[name="mechanism"]').select_option("社区减负")
    expect(pg.locator(".casekb-mechanism")).to_contain_text("社区减负")
    _no_english(pg)
    if pg.viewport_name == "phone":
        _check_phone_layout(pg)
    for case_id in TRIO:
        pg.locator(f'input[name="cases"][value="{case_id}"]').check()
    with pg.expect_navigation():
        pg.locator('input[value="并排比较所选案例"]').first.click()
    assert "/-/compare" in pg.url
    headers = [h.strip() for h in pg.locator(".casekb-compare thead th").all_inner_texts()]
    assert sorted(headers[1:]) == sorted(TRIO.values())
    expect(pg.locator(".casekb-compare table")).to_contain_text("78项 → 28项")
    assert "□" not in pg.locator(".casekb-compare table").inner_text()  # no figure with lost characters
    _no_english(pg)
    _screenshot(pg, tmp_path / f"trainer-compare-{pg.viewport_name}.png")

    form = pg.locator("form.casekb-pack-form")
    form.locator('input[name="title"]').fill("社区减负：三地比较")
    with pg.expect_download() as info:
        form.locator('button[value="docx"]').click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".docx" and path.name.startswith("社区减负：三地比较")
    doc = docx.Document(path)
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    assert section.header.paragraphs[0].text == "社区减负：三地比较"
    footer = section.footer._element.xml
    assert "w:fldChar" in footer and " PAGE " in footer  # a page number field
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "社区减负：三地比较"
    for case_id, title in TRIO.items():
        assert f"案例{case_id[-1]}：{title}" in text
    sources = text.split("来源文献", 1)[1]
    assert "本刊编辑部. 社区治理的地方创新[J]. 中国民政, 2015(3)." in sources  # GB/T 7714


def test_researcher_goes_from_a_table_to_a_facet_to_sql_and_csv(screen, server, tmp_path):
    from playwright.sync_api import expect

    pg = screen
    pg.goto(server + "/")
    with pg.expect_navigation():
        pg.locator("ul.casekb-nav a", has_text="数据表与SQL").click()
    expect(pg.locator("h1")).to_contain_text("数据表与SQL")
    _no_english(pg)
    with pg.expect_navigation():
        pg.locator(".db-table h3 a", has_text="案例与文献").click()
    expect(pg.locator("h1")).to_contain_text("案例与文献")
    _no_english(pg)
    if pg.viewport_name == "desktop":  # the column menu (the phone shows rows as cards, without headers)
        pg.locator("th.col-title svg.dropdown-menu-icon").click()
        menu = pg.locator("body > .dropdown-menu")
        expect(menu).to_be_visible()
        expect(menu.locator("a.dropdown-sort-asc")).to_have_text("升序排列")
        expect(menu.locator(".dropdown-column-type")).to_contain_text("类型：")
        _no_english(pg)
        pg.keyboard.press("Escape")
        pg.locator("h1").click()

    with pg.expect_navigation():
        pg.locator("#facet-kind a", has_text="书中案例").click()
    assert "kind=book_case" in pg.url
    expect(pg.locator("h3").first).to_contain_text("66 行")
    expect(pg.locator("td.col-status").first).to_contain_text("仅有标题")
    _no_english(pg)
    _screenshot(pg, tmp_path / f"researcher-facet-{pg.viewport_name}.png")

    with pg.expect_navigation():
        pg.get_by_text("查看和编辑 SQL").click()
    expect(pg.locator("h1")).to_contain_text("SQL 查询")
    with pg.expect_navigation():
        pg.locator('input[type="submit"][value="运行 SQL"]').click()
    expect(pg.locator("table.rows-and-columns tbody tr").first).to_be_visible()
    _no_english(pg)
    with pg.expect_download() as info:
        pg.locator("a.export-csv_bom").click()
    path = tmp_path / "cases.csv"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the Chinese
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,") and len(lines) == 1 + 66 and "书中案例" not in lines[0]


def test_overview_chart_text_stays_readable_on_a_phone(browser, server, tmp_path):
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS["phone"], has_touch=True)
    pg = context.new_page()
    pg.goto(server + "/-/overview")
    charts = pg.locator("svg.casekb-chart")
    assert charts.count() == 5
    for i in range(charts.count()):
        scale = charts.nth(i).evaluate("svg => svg.getBoundingClientRect().width / svg.viewBox.baseVal.width")
        size = float(charts.nth(i).get_attribute("font-size")) * scale
        assert size >= 11, f"chart {i + 1} draws its text at {size:.1f}px"
    assert pg.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    _no_english(pg)
    _screenshot(pg, tmp_path / "overview-phone.png")
    context.close()


# --- the phone: every casekb page fits, charts open their cases, the basket lasts ---------------------------

PHONE_PAGES = ["/", f"/-/search?q={QUERY}", "/-/search?domain=社区治理", "/-/overview", "/-/mechanisms",
               "/-/mechanisms/社区减负", "/-/compare", "/-/compare?mechanism=社区减负",
               f"/-/compare?cases={','.join(TRIO)}",
               "/casekb/cases/mca2015-03-2", "/casekb/cases/taicang100-001", "/casekb", "/casekb/cases",
               "/casekb/cases?_facet=region", "/casekb/passages_mentioning?term=两份清单",
               "/casekb?sql=select+id,+title,+body+from+cases+limit+3", "/nosuchpage"]


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS["phone"], has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


# casekb's controls on a phone: at least TAP px high (links inside running text are not counted)
CONTROLS = ("ul.casekb-nav a, .casekb-pack-form button, .casekb-pack-form select, .casekb-reference button, "
            ".casekb-results label.pick, .casekb-cite a, .casekb-reference .actions a, .casekb-results .open a, "
            ".casekb-pack a, .casekb-similar li a, details.casekb-filter-box summary, .casekb-keep button, "
            ".casekb-card .tag, .casekb-examples a, .casekb-compare select, .casekb-compare input, "
            ".casekb-overview nav.toc a, .casekb-overview summary, .casekb-basket button, .casekb-basket a")


def test_no_page_is_wider_than_a_phone_and_every_chart_fits(phone, server, tmp_path):
    width = VIEWPORTS["phone"]["width"]
    for i, path in enumerate(PHONE_PAGES):
        phone.goto(server + path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= width, f"{path} is wider than the phone"
        small = phone.evaluate("""(sel) => [...document.querySelectorAll(sel)]
            .map(e => [e.textContent.trim().slice(0, 12), e.getBoundingClientRect().height])
            .filter(([, h]) => h > 0 && h < %d)""" % TAP, CONTROLS)
        assert not small, f"tap targets lower than {TAP}px on {path}: {small}"
        for box in _boxes(phone.locator("svg.casekb-chart")):
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"a chart on {path} leaves the screen: {box}"
        _screenshot(phone, tmp_path / f"phone-{i:02d}.png")


def _tap_segment(pg, title: str) -> None:
    """Tap the chart segment whose tooltip is `title` (an SVG <rect> with a <title>)."""
    box = pg.evaluate("""(title) => {
        const t = [...document.querySelectorAll("svg.casekb-chart rect > title")].find(t => t.textContent === title);
        t.parentNode.scrollIntoView({block: "center"});
        const r = t.parentNode.getBoundingClientRect();
        return {x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height}; }""", title)
    assert box["h"] >= 24, f"segment {title} is {box['h']}px high"
    pg.mouse.click(box["x"], box["y"])


@pytest.mark.parametrize("segment, count", [("太仓市：仅有标题 66", 66), ("社区治理：有正文 4", 4)])
def test_a_chart_segment_opens_exactly_the_cases_it_counts(phone, server, segment, count):
    phone.goto(server + "/-/overview")
    with phone.expect_navigation():
        _tap_segment(phone, segment)
    assert "/-/search?" in phone.url
    items = phone.locator("ol.casekb-results > li")
    assert items.count() == count
    status = "title_only" if "仅有标题" in segment else "full_text"
    assert phone.locator("ol.casekb-results > li.title-only").count() == (count if status == "title_only" else 0)


def test_the_basket_survives_a_new_search_and_compares_what_it_holds(phone, server, tmp_path):
    from playwright.sync_api import expect

    first, second = list(TRIO)[:2]
    phone.goto(server + "/-/search?q=社区减负")
    phone.locator(f'input[name="cases"][value="{first}"]').check()
    expect(phone.locator("#casekb-basket summary")).to_have_text("待选案例 1 个")
    phone.goto(server + "/-/search?q=政社互动")
    expect(phone.locator("#casekb-basket summary")).to_have_text("待选案例 1 个")  # kept across searches
    phone.locator(f'input[name="cases"][value="{second}"]').check()
    phone.goto(server + f"/casekb/cases/{list(TRIO)[2]}")
    phone.locator("button[data-basket-id]").click()  # 加入待选案例 on a case page
    expect(phone.locator("#casekb-basket summary")).to_have_text("待选案例 3 个")
    _screenshot(phone, tmp_path / "basket-phone.png")
    phone.goto(server + "/-/compare")  # the empty comparison page offers the basket's cases
    expect(phone.locator("#casekb-picker input[type=checkbox]")).to_have_count(3)
    with phone.expect_navigation():
        phone.locator('#casekb-picker input[type="submit"]').click()
    assert sorted(h.strip() for h in phone.locator(".casekb-card h2").all_inner_texts()) == sorted(TRIO.values())
    cite = phone.locator("#casekb-basket a", has_text="引用").get_attribute("href")
    text = phone.request.get(server + cite).text()
    assert len(text.splitlines()) == 3 and all(title in text for title in TRIO.values())


def test_casekb_boxes_stay_open_when_the_page_is_tapped(phone, server):
    """Datasette's click-outside script closes its own menus only (templates_zh/_close_open_menus.html)."""
    phone.goto(server + f"/-/search?q={QUERY}")
    box = phone.locator("details.casekb-filter-box")
    box.locator("summary").click()
    assert box.get_attribute("open") is not None
    phone.locator("h1").click()
    assert box.get_attribute("open") is not None
    phone.goto(server + "/casekb/cases")
    columns = phone.locator("details.casekb-columns")
    columns.locator("summary").click()
    phone.locator("h1").click()
    assert columns.get_attribute("open") is not None
