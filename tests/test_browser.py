"""End to end in a real browser: Datasette serving the real build, driven by Debian's Chromium.

Needs /usr/bin/chromium (run scripts/install-browser). Playwright's own browser download is not
used: Chromium is launched through executable_path. Without Chromium the tests skip locally and
fail under CI (env CI set), so a CI image without the browser cannot pass silently.
"""
import os
from pathlib import Path

import pytest

from casekb.serve import running_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUERY = "小区里到处是垃圾怎么办"


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


def test_search_then_open_case_and_similar_cases(page, server, tmp_path):
    from playwright.sync_api import expect

    page.goto(f"{server}/-/search")
    expect(page.locator("h1")).to_have_text("案例搜索")
    box = page.locator('input[name="q"]')
    box.fill(QUERY)
    with page.expect_navigation():
        box.press("Enter")
    assert "/-/search" in page.url and "q=" in page.url

    results = page.locator("ol.casekb-results > li")
    expect(results.first).to_be_visible()
    titles = results.locator(".title a")
    assert titles.count() >= 1
    first_title = titles.first.inner_text().strip()
    assert first_title
    highlighted = [t.strip() for t in page.locator("ol.casekb-results li strong").all_inner_texts()]
    assert highlighted, "no highlighted <strong> term in the results"
    assert any(t and t in QUERY for t in highlighted), f"highlights {highlighted[:10]} not taken from the query"
    expect(box).to_have_value(QUERY)  # the query stays in the box for refining
    _screenshot(page, tmp_path / "search-results.png")

    with page.expect_navigation():
        titles.first.click()
    assert "/casekb/cases/" in page.url
    expect(page.locator("body")).to_contain_text(first_title)
    similar = page.locator("section.casekb-similar")
    expect(similar.locator("h2")).to_have_text("相似案例")
    links = similar.locator("ol li a")
    expect(links.first).to_be_visible()
    assert links.count() >= 1
    case_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        assert "/casekb/cases/" in href and not href.endswith("/" + case_id)
    _screenshot(page, tmp_path / "case-page.png")


def test_domain_filter_restricts_results(page, server, tmp_path):
    from playwright.sync_api import expect

    page.goto(f"{server}/-/search")
    page.locator('input[name="q"]').fill(QUERY)
    page.locator('select[name="domain"]').select_option("生态建设")
    with page.expect_navigation():
        page.locator('input[name="q"]').press("Enter")
    assert "domain=" in page.url
    expect(page.locator('select[name="domain"]')).to_have_value("生态建设")  # filter stays selected

    results = page.locator("ol.casekb-results > li")
    expect(results.first).to_be_visible()
    n = results.count()
    assert n >= 1
    for i in range(n):
        tags = [t.strip() for t in results.nth(i).locator(".meta .tag").all_inner_texts()]
        assert "生态建设" in tags, f"result {i + 1} ({results.nth(i).locator('.title').inner_text()}) has tags {tags}"
    _screenshot(page, tmp_path / "search-domain-filter.png")


def test_trainer_compares_three_cities_and_downloads_a_docx_pack(page, server, tmp_path):
    """The trainer's path: search 社区减负, narrow to the mechanism, tick 南京, 太仓 and 厦门,
    compare them side by side, download the Word pack and open it."""
    import docx
    from playwright.sync_api import expect

    page.goto(f"{server}/-/search")
    page.locator('input[name="q"]').fill("社区减负")
    page.locator('select[name="mechanism"]').select_option("社区减负")
    with page.expect_navigation():
        page.locator('input[name="q"]').press("Enter")
    expect(page.locator(".casekb-mechanism")).to_contain_text("社区减负")
    for case_id in ("mca2015-03-2", "mca2015-03-1", "mca2015-03-4"):
        page.locator(f'input[name="cases"][value="{case_id}"]').check()
    with page.expect_navigation():
        page.locator('input[value="并排比较所选案例"]').first.click()
    assert "/-/compare" in page.url
    headers = [h.strip() for h in page.locator("thead th").all_inner_texts()]
    assert sorted(headers[1:]) == sorted(["南京市大力推动社区减负增效", "太仓市“政社互动”探索实践",
                                          "厦门市开展“美丽厦门共同缔造”试点行动"])  # in the results' order
    expect(page.locator("table")).to_contain_text("78项 → 28项")
    evidence = page.locator("tr", has=page.locator("th", has_text="社区减负")).locator("td a")
    assert evidence.count() == 3
    _screenshot(page, tmp_path / "compare.png")

    with page.expect_download() as info:
        page.get_by_text("Word (DOCX)").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".docx"
    text = "\n".join(p.text for p in docx.Document(path).paragraphs)
    for citation in ("案例2：南京市大力推动社区减负增效", "案例1：太仓市“政社互动”探索实践",
                     "案例4：厦门市开展“美丽厦门共同缔造”试点行动"):
        assert citation in text
    assert "来源文献" in text


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
