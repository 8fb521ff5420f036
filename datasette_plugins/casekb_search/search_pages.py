"""/-/search (page) and /-/search.json (API): one search run, two layouts.

A bad parameter is the reader's to fix (400); search off because the index could not be
loaded is the site's (503), and both say why.
"""
from datasette.utils.asgi import Response

from index.search import SearchError
from kbcore.schema import kind_label
from reports.mechanisms import mechanism_list
from reports.options import filter_options
from reports.selection import FILTERS, SelectionError

from .access import route
from .web import case_count, compare_url, count_kinds, json_response, json_url, mechanism_url, pack_links, parse_limit

READS = ("cases", "passages", "case_domains", "case_mechanisms", "mechanisms", "domains")
SEARCH_OFF = "搜索索引不可用："


async def run_search(datasette, request, base) -> tuple[list[dict], str | None, int, dict]:
    """(results, error message, HTTP status, params) for the request's q and filters."""
    params = {k: (request.args.get(k) or "").strip() for k in ("q", *FILTERS)}
    if base.searcher is None:
        return [], SEARCH_OFF + base.error, 503, params
    try:
        limit = parse_limit(request)
    except SelectionError as e:
        return [], str(e), 400, params
    if not params["q"]:
        return [], None, 200, params
    filters = {k: params[k] or None for k in FILTERS}
    try:
        results = await datasette.databases[base.database].execute_fn(
            lambda conn: base.searcher.search(params["q"], limit=limit, conn=conn, **filters))
    except SearchError as e:
        return [], str(e), 400, params
    return results, None, 200, params


@route(READS, json=True)
async def search_json(datasette, request, base):
    results, error, status, params = await run_search(datasette, request, base)
    if error is None and not params["q"]:
        error, status = "q: 请输入查询内容 (empty query)", 400
    body = {"query": params["q"], "filters": {k: params[k] for k in FILTERS if params[k]},
            "results": results, "count": len(results)}
    if error:
        body["error"] = error
    return json_response(body, status=status)


@route(READS)
async def search_page(datasette, request, base):
    results, error, status, params = await run_search(datasette, request, base)
    db = datasette.databases[base.database]
    for r in results:
        r["url"] = datasette.urls.row(base.database, "cases", r["case_id"])
        r["kind_label"] = kind_label(r["kind"])
    mechanisms = []
    if params["q"] and base.searcher:
        counts = {m["id"]: m for m in await db.execute_fn(mechanism_list)}
        mechanisms = [{"id": m["id"], "count": case_count(counts[m["id"]]["cases"], counts[m["id"]]["documents"]),
                       "url": mechanism_url(datasette, m["id"]), "compare_url": compare_url(datasette, mechanism=m["id"])}
                      for m in base.searcher.named_mechanisms(params["q"])]
    return Response.html(await datasette.render_template(
        "casekb_search.html",
        {"q": params["q"], "params": params, "results": results, "error": error,
         "options": await db.execute_fn(filter_options), "database": base.database, "mechanisms": mechanisms,
         "count": count_kinds(r["kind"] for r in results),
         "pack_links": pack_links(datasette, q=params["q"], limit=request.args.get("limit"),
                                  **{k: params[k] for k in FILTERS}),
         "json_url": json_url(datasette, request, "/-/search.json")},
        request=request), status=status)
