"""/-/search (page) and /-/search.json (API): one search run, two layouts.

A bad parameter is the reader's to fix (400); search off because the index could not be
loaded is the site's (503), and both say why. The search runs as one job on the plugin's work pool
(workers.py), not on Datasette's SQL threads; what the page shows beside it (the forms' choices, the
mechanisms' counts) is read once per served file (kept.py).
"""
from urllib.parse import quote

from datasette.utils.asgi import Response

from index.search import SUGGESTED_QUERIES, SearchError
from kbcore.schema import kind_label
from reports.selection import FILTERS, SelectionError

from . import workers
from .access import route
from .kept import mechanisms as mechanism_list, options as filter_options
from .web import case_count, compare_url, count_kinds, json_response, json_url, mechanism_url, pack_links, parse_limit

READS = ("cases", "passages", "case_domains", "case_mechanisms", "mechanisms", "domains")
SEARCH_OFF = "搜索索引不可用："


async def run_search(datasette, request, base) -> tuple[list[dict], str | None, int, dict, dict]:
    """(results, error message, HTTP status, params, what an empty answer says) for the request's q and
    filters. An answer the gate left empty says so (`note`), what to try (`suggestions`) and searches that
    do find cases (`suggested_queries`); still HTTP 200."""
    params = {k: (request.args.get(k) or "").strip() for k in ("q", *FILTERS)}
    error, status, limit = None, 200, None
    if base.searcher is None:
        error, status = SEARCH_OFF + base.error, 503
    else:
        try:
            limit = parse_limit(request)
        except SelectionError as e:
            error, status = str(e), 400
    filters = {k: params[k] or None for k in FILTERS}
    searching = error is None and (bool(params["q"]) or any(filters.values()))  # filters alone list cases

    def work(conn):
        try:
            return base.searcher.answer(params["q"], limit=limit, conn=conn, **filters), None
        except SearchError as e:
            return None, str(e)

    if not searching:
        return [], error, status, params, {}
    answer, failed = await workers.run(datasette, work)
    if failed:
        return [], failed, 400, params, {}
    results = answer.results
    said = {"note": answer.note, "suggestions": answer.suggestions,
            "suggested_queries": list(SUGGESTED_QUERIES)} if answer.note and params["q"] else {}
    for r in results:
        r["url"] = case_url(datasette, base.database, r)
    return results, error, status, params, said


def case_url(datasette, database: str, result: dict) -> str:
    """The case page, opened at the result's best passage (the page's passages carry their ids as anchors)."""
    url = datasette.urls.row(database, "cases", result["case_id"])
    return url + ("#" + quote(result["anchor"], safe="") if result.get("anchor") else "")


@route(READS, json=True)
async def search_json(datasette, request, base):
    results, error, status, params, said = await run_search(datasette, request, base)
    if error is None and not params["q"] and not any(params[k] for k in FILTERS):
        error, status = "q: 请输入查询内容 (empty query)", 400
    body = {"query": params["q"], "filters": {k: params[k] for k in FILTERS if params[k]},
            "results": results, "count": len(results), **said}
    if error:
        body["error"] = error
    return json_response(body, status=status)


@route(READS)
async def search_page(datasette, request, base):
    q = (request.args.get("q") or "").strip()
    named = base.searcher.named_mechanisms(q) if q and base.searcher else []  # and how many cases use each
    counts = {m["id"]: m for m in await mechanism_list(datasette)} if named else {}
    options = await filter_options(datasette)
    results, error, status, params, said = await run_search(datasette, request, base)
    for r in results:
        r["kind_label"] = kind_label(r["kind"])
    mechanisms = [{"id": m["id"], "count": case_count(counts[m["id"]]["cases"], counts[m["id"]]["documents"]),
                   "url": mechanism_url(datasette, m["id"]), "compare_url": compare_url(datasette, mechanism=m["id"])}
                  for m in named]
    return Response.html(await datasette.render_template(
        "casekb_search.html",
        {"q": params["q"], "params": params, "results": results, "error": error,
         "options": options, "database": base.database, "mechanisms": mechanisms,
         "count": count_kinds(r["kind"] for r in results), **said,
         "pack_links": pack_links(datasette, q=params["q"], limit=request.args.get("limit"),
                                  **{k: params[k] for k in FILTERS}),
         "json_url": json_url(datasette, request, "/-/search.json")},
        request=request), status=status)
