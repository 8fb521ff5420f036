"""casekb in Datasette: the hooks. /-/search (page), /-/search.json (API), /-/mechanisms,
/-/compare, /-/pack, /-/overview, 相似案例 on case pages, the shared stylesheet, menu links,
and SQL functions jieba_cut(), fts_query(), semantic_search() (sql_functions.py, with what SQL may not do).
Plugin routes run their work on the plugin's own bounded pool (workers.py); /-/casekb.json says which
build is served (site_info.py); every response carries nosniff and every request passes a guard
(middleware.py, guard.py); answers the same for every visitor of immutable files are kept and served again
(shared_answers.py); errors are answered by casekb, cheaply, in place of Datasette's handler (errors.py).

The case base is whichever served database holds the casekb tables (the `database` setting
picks one); its FAISS index and the encoder load once, in the startup hook, not per request.
Configuration (metadata.yml): plugins: casekb: {database: casekb} (optional: any served database with the
casekb tables is found); `model` (optional) insists on the encoder the database must have been built with.
"""
from datasette import hookimpl

from kbcore.words import init

from . import casebase, errors, middleware, page_cache, site_info, sql_functions
from .access import can_read
from .case_page import case_page_vars, is_case_page
from .exports import CSV_BOM, cite, csv_bom
from .front_door import install_globals, template_vars
from .home_page import home_page
from .mechanism_pages import mechanism_page, mechanisms_page
from .overview import overview_page
from .search_pages import search_json, search_page
from .trainers import compare_json, compare_page, pack_download
from .web import stylesheet_url

MENU = (("/-/search", "案例搜索", search_page), ("/-/mechanisms", "治理机制", mechanisms_page),
        ("/-/compare", "并排比较", compare_page), ("/-/overview", "概览", overview_page))


@hookimpl
def startup(datasette):
    async def inner():
        errors.install()  # casekb's error pages replace Datasette's handler (no rich locals)
        sql_functions.relay_refusals(datasette)
        page_cache.keep_table_permissions(datasette)  # pages cost little (page_cache.py)
        await casebase.load(datasette)  # the searcher loads jieba while its encoder loads
        init()  # jieba, for the SQL functions, when no searcher loaded it
        install_globals(datasette)  # error pages are rendered without the hooks' variables
    return inner


@hookimpl
def prepare_connection(conn, database, datasette):
    sql_functions.register(conn, database, datasette)


@hookimpl
def asgi_wrapper(datasette):
    return middleware.wrapper(datasette, [pattern for pattern, _ in register_routes(datasette)],
                              [pattern for pattern, _ in PAGES])


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    return errors.answer(datasette, request, exception)


# casekb's pages: each answers the same to every visitor of an immutable file (shared_answers.py keeps them);
# site_info's routes, which name the worker that answers, are added to them in register_routes.
PAGES = ((r"^/(?P<format>)$", home_page),  # format: always empty, as Datasette's index view reads it
         (r"^/-/search$", search_page), (r"^/-/search\.json$", search_json),
         (r"^/-/mechanisms$", mechanisms_page), (r"^/-/mechanisms/(?P<mechanism>[^/]+)$", mechanism_page),
         (r"^/-/compare$", compare_page), (r"^/-/compare\.json$", compare_json), (r"^/-/pack$", pack_download),
         (r"^/-/overview$", overview_page), (r"^/-/cite$", cite))


@hookimpl
def register_routes(datasette):
    return [*PAGES, *site_info.routes(datasette)]


@hookimpl
def register_output_renderer(datasette):
    return {"extension": CSV_BOM, "render": csv_bom}  # CSV with a BOM, for Excel (exports.py)


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    async def inner():  # front_door: what the Chinese templates (templates_zh) read on every page
        found = await template_vars(datasette, request, template, database, view_name)
        # the footer's 数据构建于 … line, for those who may read /-/casekb.json
        found["casekb_build"] = await site_info.footer_for(datasette, request.actor if request else None)
        if is_case_page(datasette, view_name, database, table):
            found.update(await case_page_vars(datasette, request, database))
        return found
    return inner


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
