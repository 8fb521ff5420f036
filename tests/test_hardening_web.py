"""Issue 11, the web: what one request may cost, what an error says and what a visitor may learn.

SQL functions refuse oversized input before doing the work; plugin work runs on its own bounded
pool with its own read-only connections (Datasette's SQL threads stay free), answering 503 with
Retry-After when it is full or a request runs out of time; packs survive control characters;
download names lose bidi overrides; no page shows where the database lives; /-/casekb.json says
which build is served.
"""
import asyncio
import io
import json
import os
import re
import shutil
import sqlite3
import threading
from copy import deepcopy
from html import unescape
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import docx
import pytest
import yaml
from datasette.app import Datasette

from datasette_plugins.casekb_search import casebase, trainers, workers
from kbcore.limits import MAX_CUT_CHARS, MAX_QUERY_CHARS, MAX_RESULTS
from reports.export import download_name
from reports.render_docx import xml_text

ROOT = Path(__file__).resolve().parents[1]
METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
TRIO = "mca2015-03-2,mca2015-03-1,mca2015-03-4"
UDF_GENERIC = "user-defined function raised exception"
PLUGIN_ROUTES = ["/-/search?q=社区减负", "/-/search.json?q=社区减负", "/-/mechanisms", "/-/mechanisms/社区减负",
                 f"/-/compare?cases={TRIO}", f"/-/compare.json?cases={TRIO}", f"/-/pack?ids={TRIO}&format=md",
                 "/-/overview", "/-/casekb.json", f"/-/cite?ids={TRIO}&format=ris"]
# Datasette turns on sqlite3 callback tracebacks, so each refusal of a SQL function is also reported
# to sys.unraisablehook (the server's log); here that is expected.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def metadata_with(**plugin) -> dict:
    metadata = deepcopy(METADATA)
    metadata.setdefault("plugins", {}).setdefault("casekb", {}).update(plugin)
    return metadata


async def start(paths, metadata: dict = METADATA) -> Datasette:
    ds = Datasette([str(p) for p in paths], immutables=[], metadata=metadata)
    await ds.invoke_startup()
    return ds


@pytest.fixture
def db_copy(built_db, tmp_path) -> Path:
    target = tmp_path / "served" / "casekb.db"
    target.parent.mkdir()
    shutil.copy(built_db, target)
    return target


async def sql(ds, query: str, html: bool = False):
    return await ds.client.get("/casekb" if html else "/casekb.json", params={"sql": query})


# --- 1. SQL functions: bounded input, clear errors -----------------------------------------

@pytest.mark.parametrize("query, needle", [
    (f"select semantic_search(printf('%.*c', {MAX_QUERY_CHARS + 1}, 'x'))", "semantic_search: "),
    ("select semantic_search(printf('%.*c', 4000000, 'x'), 5)", f"{MAX_QUERY_CHARS}"),
    (f"select fts_query(printf('%.*c', {MAX_QUERY_CHARS + 1}, 'x'))", "fts_query: "),
    (f"select jieba_cut(printf('%.*c', {MAX_CUT_CHARS + 1}, 'x'))", "jieba_cut: "),
    ("select count(*) from passages where jieba_cut(printf('%.*c', 1000000, text)) != ''", f"{MAX_CUT_CHARS}"),
    ("select semantic_search('垃圾', 0)", f"semantic_search: k must be a number from 1 to {MAX_RESULTS}"),
    ("select semantic_search('垃圾', 101)", f"semantic_search: k must be a number from 1 to {MAX_RESULTS}"),
    ("select semantic_search('垃圾', 'lots')", f"semantic_search: k must be a number from 1 to {MAX_RESULTS}"),
    ("select semantic_search('垃圾', 2.5)", f"semantic_search: k must be a number from 1 to {MAX_RESULTS}"),
    ("select semantic_search('垃圾', '²')", f"semantic_search: k must be a number from 1 to {MAX_RESULTS}"),
    ("select semantic_search('垃圾', printf('%.*c', 5000, '9'))", "semantic_search: k must be a number"),
])
async def test_sql_functions_refuse_oversized_input_with_a_message_naming_them(ds, monkeypatch, query, needle):
    base = casebase.current(ds)
    encoded = []
    monkeypatch.setattr(base.searcher, "semantic", lambda text, k: encoded.append(text) or [])
    r = await sql(ds, query)
    assert r.status_code == 400
    error = r.json()["error"]
    assert needle in error and UDF_GENERIC not in error, error
    assert encoded == []  # refused before the encoder saw it
    page = await sql(ds, query, html=True)
    assert page.status_code == 400 and needle in unescape(page.text) and UDF_GENERIC not in page.text


async def test_sql_functions_within_limits_still_work(ds):
    rows = (await ds.client.get("/casekb.json", params={
        "sql": "select count(*) as n from json_each(semantic_search('河道污染治理', '7'))", "_shape": "array"})).json()
    assert rows == [{"n": 7}]
    longest = (await ds.client.get("/casekb.json", params={
        "sql": "select count(*) as n from cases where json_array_length(jieba_cut(body)) > 0", "_shape": "array"}))
    assert longest.status_code == 200 and longest.json()[0]["n"] > 0


async def test_a_table_filter_with_a_refused_function_says_why(ds):
    r = await ds.client.get("/casekb/cases.json", params={
        "_where": f"jieba_cut(printf('%.*c', {MAX_CUT_CHARS + 1}, 'x')) != ''"})
    assert r.status_code == 400 and "jieba_cut: " in r.json()["error"]


# --- 6. fts3_tokenizer ----------------------------------------------------------------------

@pytest.mark.parametrize("query", ["select hex(fts3_tokenizer('simple'))",
                                   "select fts3_tokenizer('simple', x'0000000000000000')"])
async def test_fts3_tokenizer_is_refused_in_both_forms(ds, query):
    r = await sql(ds, query)
    assert r.status_code == 400, r.text
    assert "fts3_tokenizer: " in r.json()["error"] and r.json()["rows"] == []  # no pointer, no row
    page = await sql(ds, query, html=True)
    assert page.status_code == 400 and "fts3_tokenizer: " in page.text and UDF_GENERIC not in page.text


# --- 7. no absolute path ---------------------------------------------------------------------

async def test_pragma_database_list_does_not_show_the_file(ds, built_db):
    r = await sql(ds, "select * from pragma_database_list")
    assert r.status_code == 400 and "pragma_database_list" in r.json()["error"]
    assert str(built_db) not in r.text
    r = await sql(ds, "select file from PRAGMA_DATABASE_LIST()")
    assert r.status_code == 400 and str(built_db) not in r.text
    # Datasette's own use of the pragma (attached databases on the database page) still works
    assert (await ds.client.get("/casekb")).status_code == 200


async def test_no_page_a_visitor_reaches_shows_where_the_database_is(db_copy):
    ds = await start([db_copy])
    folder = str(db_copy.parent)
    pages = ["/", "/.json", "/casekb", "/casekb.json", "/casekb/cases", "/casekb/cases/mca2015-03-2",
             "/-/databases", "/-/databases.json", "/-/threads", "/-/threads.json", "/-/versions.json",
             "/-/plugins.json", "/-/settings.json", "/-/metadata.json", "/-/casekb.json",
             "/casekb.json?sql=select+*+from+pragma_database_list", "/casekb?sql=select+file+from+pragma_database_list",
             "/casekb.json?sql=select+*+from+pragma_database_list()", "/nope", "/casekb/nope", *PLUGIN_ROUTES]
    for page in pages:
        r = await ds.client.get(page)
        assert folder not in r.text and folder not in unquote(r.text), page
    databases = (await ds.client.get("/-/databases.json")).json()
    assert databases[0]["name"] == "casekb" and databases[0]["path"] == "casekb.db"


# --- 5. DOCX with control characters; 9. download names ------------------------------------

def test_xml_text_keeps_what_xml_can_hold():
    assert xml_text("a\x00b\x01c\ufffe\uffffd\ud800e\tf\ng\rh") == "abcde\tf\ng\rh"
    assert xml_text("社区减负 😀") == "社区减负 😀"


@pytest.mark.parametrize("params", [{"title": "\x00\x01\ufffe", "ids": TRIO},
                                    {"title": "减负\x0b\x1f标题", "q": "社区\x01减负\x02", "limit": 2}])
async def test_docx_pack_with_control_characters_is_a_valid_document(ds, params):
    r = await ds.client.get("/-/pack", params={**params, "format": "docx"})
    assert r.status_code == 200, r.text
    document = docx.Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "\x00" not in text and "\x01" not in text and document.core_properties.title is not None


async def test_docx_pack_from_the_raw_url_in_the_issue(ds):
    r = await ds.client.get(f"/-/pack?format=docx&title=%00%01%EF%BF%BE&ids={TRIO}")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert docx.Document(io.BytesIO(r.content)).paragraphs


@pytest.mark.parametrize("title", ["案例\u202egpj.exe.html", "a\u2066b\u2069c\u200e\u200fd\u202ae\u202cf",
                                   "x\x07y\x85z"])
def test_download_names_have_no_format_or_control_characters(title):
    name = download_name(SimpleNamespace(title=title, date="2026-11-25"), "html")  # a CoursePack's two fields
    assert not re.search(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069\x00-\x1f\x7f-\x9f]", name), name
    assert name.endswith("-2026-11-25.html")


async def test_download_header_has_no_bidi_override(ds):
    r = await ds.client.get("/-/pack", params={"ids": TRIO, "format": "html", "title": "课程\u202egpj.exe"})
    assert r.status_code == 200
    name = unquote(r.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert "\u202e" not in name and name.startswith("课程gpj.exe-")


# --- 8. index off: q= selections are the site's failure (503) -------------------------------

@pytest.fixture
async def no_index(db_copy):
    with sqlite3.connect(db_copy) as conn:
        conn.execute("delete from embeddings")
    return await start([db_copy])


@pytest.mark.parametrize("path", ["/-/pack?q=垃圾&format=md", "/-/pack?q=垃圾", "/-/compare?q=垃圾",
                                  "/-/compare.json?q=垃圾"])
async def test_a_q_selection_without_the_index_is_503(no_index, path):
    r = await no_index.client.get(path)
    assert r.status_code == 503 and "搜索索引不可用" in (r.json()["error"] if ".json" in path else r.text)
    assert (await no_index.client.get(f"/-/pack?ids={TRIO}&format=md")).status_code == 200


# --- 10. content types and nosniff ----------------------------------------------------------

ERRORS = [("/-/pack?ids=" + TRIO + "&format=pdf", 400), ("/-/pack?format=docx", 400),
          ("/-/pack?q=垃圾&region=火星市&domain=社区治理", 404), ("/-/search.json?q=", 400),
          ("/-/compare.json?cases=nope", 400), ("/-/compare?cases=nope", 400), ("/-/mechanisms/火星机制", 404),
          ("/-/search?q=" + "x" * 600, 400), ("/-/cite?format=doc&ids=" + TRIO, 400), ("/-/cite?ids=nope", 404)]


@pytest.mark.parametrize("path, status", ERRORS)
async def test_error_bodies_are_json_or_html_and_never_sniffed(ds, path, status):
    r = await ds.client.get(path)
    assert r.status_code == status
    assert r.headers["x-content-type-options"] == "nosniff"
    content_type = r.headers["content-type"]
    if ".json" in path.split("?")[0]:
        assert content_type.startswith("application/json") and r.json()["error"]
    else:
        assert content_type.startswith("text/html") and "<html" in r.text


async def test_every_plugin_response_says_nosniff(ds):
    for path in PLUGIN_ROUTES:
        r = await ds.client.get(path)
        assert r.status_code == 200 and r.headers.get("x-content-type-options") == "nosniff", path


async def test_a_closed_site_answers_403_as_json_or_html_with_nosniff(built_db):
    metadata = deepcopy(METADATA)
    metadata["allow"] = False
    ds = await start([built_db], metadata)
    for path in PLUGIN_ROUTES:
        r = await ds.client.get(path)
        assert r.status_code == 403 and r.headers["x-content-type-options"] == "nosniff", path
        assert not r.headers["content-type"].startswith("text/plain"), path


# --- 2-4. the work pool ------------------------------------------------------------------------

async def test_search_pack_and_compare_do_not_use_datasettes_sql_threads(db_copy, monkeypatch):
    ds = await start([db_copy])
    db = ds.databases["casekb"]
    used = []
    original = db.execute_fn

    async def spy(fn):
        used.append(fn)
        return await original(fn)
    monkeypatch.setattr(db, "execute_fn", spy)
    threads = []
    monkeypatch.setattr(trainers, "course_pack",
                        lambda *a, **k: threads.append(threading.current_thread().name) or _pack(*a, **k))
    for path in ("/-/search.json?q=社区减负", "/-/search?q=社区减负", f"/-/pack?ids={TRIO}&format=docx",
                 "/-/pack?q=垃圾&format=md", f"/-/compare?cases={TRIO}", "/-/compare.json?mechanism=社区减负",
                 "/-/mechanisms", "/-/overview"):
        assert (await ds.client.get(path)).status_code == 200, path
    # Datasette's own statements (its permission checks read sqlite_master) are all that ran there
    assert used and {fn.__module__ for fn in used} == {"datasette.database"}
    assert threads and all(name.startswith(workers.THREAD_PREFIX) for name in threads)


_pack = trainers.course_pack


class Gate:
    """Work that waits until the test opens it, so a worker is busy for as long as the test needs."""

    def __init__(self):
        self.started, self.opened, self.runs = threading.Event(), threading.Event(), 0

    def __call__(self, *args, **kwargs):
        self.runs += 1
        self.started.set()
        assert self.opened.wait(30), "the test never opened the gate"
        return _pack(*args, **kwargs)


async def _until(event: threading.Event):
    for _ in range(3000):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the work never started")


async def test_a_full_pool_answers_503_with_retry_after_and_datasette_keeps_answering(db_copy, monkeypatch):
    ds = await start([db_copy], metadata_with(work_threads=1, work_queue=0, request_seconds=30))
    gate = Gate()
    monkeypatch.setattr(trainers, "course_pack", gate)
    pack = asyncio.ensure_future(ds.client.get("/-/pack", params={"ids": TRIO, "format": "docx"}))
    try:
        await _until(gate.started)
        busy = await ds.client.get("/-/search.json", params={"q": "垃圾"})
        assert busy.status_code == 503 and busy.headers["retry-after"].isdigit()
        assert "繁忙" in busy.json()["error"]
        page = await ds.client.get("/-/search", params={"q": "垃圾"})
        assert page.status_code == 503 and "繁忙" in page.text and page.headers["retry-after"]
        # Datasette's own pages do not wait for the pack
        table = await ds.client.get("/casekb/cases.json", params={"_size": 5})
        assert table.status_code == 200 and table.json()["rows"]
    finally:
        gate.opened.set()
    assert (await pack).status_code == 200
    assert (await ds.client.get("/-/search.json", params={"q": "垃圾"})).status_code == 200


async def test_a_request_out_of_time_is_503_and_queued_work_is_dropped(db_copy, monkeypatch):
    ds = await start([db_copy], metadata_with(work_threads=1, work_queue=1, request_seconds=0.3))
    gate = Gate()
    monkeypatch.setattr(trainers, "course_pack", gate)
    first = asyncio.ensure_future(ds.client.get("/-/pack", params={"ids": TRIO, "format": "docx"}))
    try:
        await _until(gate.started)
        queued = await ds.client.get("/-/pack", params={"ids": TRIO, "format": "md"})  # waits behind the first
        assert queued.status_code == 503 and queued.headers["retry-after"]
        assert "超时" in queued.text and "<html" in queued.text
        late = await first
        assert late.status_code == 503  # its result, when it comes, is dropped
    finally:
        gate.opened.set()
    # the queued pack never ran; the worker is free again
    assert gate.runs == 1
    monkeypatch.setattr(trainers, "course_pack", _pack)
    assert (await ds.client.get("/-/pack", params={"ids": TRIO, "format": "md"})).status_code == 200


async def test_sql_past_the_deadline_is_interrupted_and_frees_the_worker(db_copy):
    ds = await start([db_copy], metadata_with(work_threads=1, work_queue=0, request_seconds=0.3))
    endless = "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r"
    with pytest.raises(workers.TimedOut):
        await workers.run(ds, lambda conn: conn.execute(endless).fetchone())
    for _ in range(300):  # the interrupted statement ends; the one worker takes new work
        try:
            assert await workers.run(ds, lambda conn: conn.execute("select count(*) from cases").fetchone()[0]) > 0
            break
        except workers.Busy:
            await asyncio.sleep(0.01)
    else:
        raise AssertionError("the worker stayed busy: the endless statement was not interrupted")


async def test_packs_and_titles_are_bounded(ds, monkeypatch):
    import reports.selection
    monkeypatch.setattr(reports.selection, "MAX_PACK_CASES", 3)  # where the cap is kept, for CLI and web alike
    r = await ds.client.get("/-/pack", params={"domain": "社区治理", "format": "md"})
    assert r.status_code == 400 and "最多3个案例" in r.text and "region、kind 或 status" in r.text
    narrowed = await ds.client.get("/-/pack", params={"domain": "社区治理", "q": "社区减负", "limit": 3,
                                                      "format": "md"})
    assert narrowed.status_code == 200  # the narrowing the message suggests works
    r = await ds.client.get("/-/pack", params={"ids": TRIO, "format": "md", "title": "长" * 1000})
    assert r.status_code == 400 and "title: " in r.text


# --- 11. build identity --------------------------------------------------------------------------

def _build_info(conn) -> dict | None:
    if conn.execute("select 1 from sqlite_master where name = 'build_info'").fetchone() is None:
        return None
    cursor = conn.execute("select * from build_info limit 1")
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row)) if row else None


async def test_casekb_json_says_which_build_is_served(ds, built_db):
    r = await ds.client.get("/-/casekb.json")
    assert r.status_code == 200
    data = r.json()
    assert data["database"] == "casekb" and data["search"]["on"] is True and data["search"]["error"] is None
    with sqlite3.connect(built_db) as conn:
        expected = _build_info(conn)
    if expected is None:
        assert data["build"] == "unknown"
    else:
        assert data["build"] == expected


async def test_casekb_json_is_closed_with_the_site(built_db):
    metadata = deepcopy(METADATA)
    metadata["allow"] = False
    ds = await start([built_db], metadata)
    r = await ds.client.get("/-/casekb.json")
    assert r.status_code == 403 and r.json()["error"]


def _stamp(db: Path, built_at: str, title: str):
    """A build_info row (kbcore.schema's columns; the table is made if the build had none) and a changed title."""
    with sqlite3.connect(db) as conn:
        if _build_info(conn) is None:
            conn.execute("drop table if exists build_info")
            conn.execute("create table build_info (built_at text, corpus_sha256 text, model text, version text,"
                         " cases integer, passages integer)")
            conn.execute("insert into build_info values (?, 'abc', 'usem3', '0', 76, 1)", [built_at])
        else:
            conn.execute("update build_info set built_at = ?", [built_at])
        conn.execute("update cases set title = ? where id = 'mca2015-03-2'", [title])


async def test_a_rebuild_while_serving_keeps_the_opened_file_and_its_identity(db_copy, tmp_path):
    _stamp(db_copy, "2026-11-25T08:00:00", "旧标题")
    ds = await start([db_copy])
    before = (await ds.client.get("/-/casekb.json")).json()
    assert "2026-11-25T08:00:00" in json.dumps(before["build"])
    page = await ds.client.get("/-/search", params={"q": "社区减负"})
    assert "数据构建于 2026-11-25" in page.text
    # a rebuild swaps a new file in under the same name, as casekb build does
    new = tmp_path / "new.db"
    shutil.copy(db_copy, new)
    _stamp(new, "2030-01-01T00:00:00", "新标题")
    os.replace(new, db_copy)
    after = (await ds.client.get("/-/casekb.json")).json()
    assert after.pop("worker")["pid"] == before.pop("worker")["pid"] and after == before  # memory changes
    hits = (await ds.client.get("/-/search.json", params={"q": "社区减负", "limit": 3})).json()["results"]
    assert "旧标题" in [h["title"] for h in hits]
    # every one of Datasette's SQL threads still reads the file it opened
    db = ds.databases["casekb"]
    threads = ds.setting("num_sql_threads")
    barrier = threading.Barrier(threads, timeout=10)

    def title(conn):
        barrier.wait()
        return conn.execute("select title from cases where id = 'mca2015-03-2'").fetchone()[0]
    assert set(await asyncio.gather(*[db.execute_fn(title) for _ in range(threads)])) == {"旧标题"}


async def test_footer_line_without_build_info_says_unknown(db_copy):
    with sqlite3.connect(db_copy) as conn:
        conn.execute("drop table if exists build_info")
    ds = await start([db_copy])
    assert (await ds.client.get("/-/casekb.json")).json()["build"] == "unknown"
    page = (await ds.client.get("/-/overview")).text
    assert "数据构建于 未知" in page and "编码器 usem3" in page


async def test_an_error_that_escapes_datasette_is_a_plain_500_page(built_db, tmp_path):
    (tmp_path / "error.html").write_text("{{ nothing.at_all }}", encoding="utf-8")  # an error page that fails
    ds = Datasette([str(built_db)], immutables=[], metadata=METADATA, template_dir=str(tmp_path))
    await ds.invoke_startup()
    r = await ds.client.get("/no-such-page")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "服务器出错" in r.text and "Traceback" not in r.text and "nothing" not in r.text
