"""Trainers' routes: /-/compare (side by side), /-/compare.json, /-/pack (course pack download).

The work is in reports/; these handlers only read parameters, run it on Datasette's
connection and lay out the answer.
"""
from urllib.parse import quote

from datasette.utils.asgi import Response

from kbcore.limits import MAX_COMPARED
from reports.compare import comparison
from reports.export import DEFAULT_FORMAT, check_format, download_name
from reports.options import filter_options
from reports.pack import course_pack, describe_selection
from reports.selection import FILTERS, SelectionError, parse_ids, select_cases

from .access import route
from .web import count_kinds, json_response, json_url, mechanism_url, pack_links, parse_limit

# What a comparison or a pack reads: the cases with their tags, evidence, figures and sources
# (and the domains the comparison form offers).
READS = ("cases", "passages", "case_domains", "case_mechanisms", "mechanisms", "case_figures", "sources", "domains")


def selection_params(request, ids_param: str) -> dict:
    """The selection as select_cases() takes it; ids may repeat (?cases=a&cases=b) or be comma-joined."""
    params = {k: (request.args.get(k) or "").strip() or None for k in FILTERS}
    params["ids"] = parse_ids(",".join(request.args.getlist(ids_param)))
    params["query"] = (request.args.get("q") or "").strip() or None
    return params


async def _select(datasette, base, params, limit=20, ids_param="ids") -> list[str]:
    return await datasette.databases[base.database].execute_fn(
        lambda conn: select_cases(conn, searcher=base.searcher, limit=limit, ids_param=ids_param, **params))


@route(READS)
async def pack_download(datasette, request, base):
    params = selection_params(request, "ids")
    try:
        pack_format = check_format((request.args.get("format") or DEFAULT_FORMAT).strip())
    except ValueError as e:
        return _error(str(e))
    fmt = pack_format.id
    try:
        limit = parse_limit(request)
        case_ids = await _select(datasette, base, params, limit)
    except SelectionError as e:
        return _error(str(e))
    if not case_ids:
        return _error("没有符合条件的案例，未生成课程包 (no cases match)", status=404)
    selection = describe_selection(**params)
    pack = await datasette.databases[base.database].execute_fn(
        lambda conn: course_pack(conn, case_ids, title=request.args.get("title"), selection=selection))
    name = download_name(pack, fmt)
    ascii_name = f"casekb-pack-{pack['date']}.{fmt}"
    return Response(pack_format.render(pack), content_type=pack_format.content_type, headers={
        "content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"})


def _error(message: str, status: int = 400) -> Response:
    return Response.text(message, status=status)


async def compared(datasette, request, base) -> tuple[dict | None, str | None, dict]:
    """(comparison with links, error, params) for /-/compare and /-/compare.json."""
    params = selection_params(request, "cases")
    if not any(params.values()):
        return None, None, params
    try:
        if len(params["ids"]) > MAX_COMPARED:
            raise SelectionError(f"cases: 最多并排比较{MAX_COMPARED}个案例 "
                                 f"(at most {MAX_COMPARED} cases side by side, got {len(params['ids'])})")
        case_ids = await _select(datasette, base, params, limit=MAX_COMPARED, ids_param="cases")
    except SelectionError as e:
        return None, str(e), params
    data = await datasette.databases[base.database].execute_fn(lambda conn: comparison(conn, case_ids))
    for case in data["cases"]:
        url = datasette.urls.row(base.database, "cases", case["id"])
        case["url"] = url
        for f in case["figures"]:
            f["url"] = f"{url}#{f['passage_id']}"
        for m in case["mechanism_evidence"]:
            m["url"] = f"{url}#{m['passage_ids'][0]}" if m["passage_ids"] else url
        for d in case["domain_evidence"]:
            d["url"] = f"{url}#{d['passage_id']}" if d["passage_id"] else url
        case["source_url"] = datasette.urls.row(base.database, "sources", case["source_id"])
    for row in data["mechanisms"]:
        row["url"] = mechanism_url(datasette, row["id"])
    data["selection"] = describe_selection(**params)
    data["count"] = count_kinds(c["kind"] for c in data["cases"])
    data["pack_links"] = pack_links(datasette, ids=",".join(c["id"] for c in data["cases"]))
    return data, None, params


@route(READS, json=True)
async def compare_json(datasette, request, base):
    data, error, params = await compared(datasette, request, base)
    if data is None and error is None:
        error = "cases/mechanism: 请用 cases=编号1,编号2 或 mechanism=机制 指定要比较的案例 (nothing to compare)"
    if error:
        body = {"error": error}
    else:
        body = {"selection": data["selection"], "omitted": data["omitted"],
                "cases": [_case_summary(c) for c in data["cases"]],
                "mechanisms": [{"id": r["id"], "cases": [c["id"] for c, cell in zip(data["cases"], r["cells"]) if cell]}
                               for r in data["mechanisms"]]}
    return json_response(body, status=400 if error else 200)


def _case_summary(case: dict) -> dict:
    return {"id": case["id"], "title": case["title"], "region": case["region"], "province": case["province"],
            "status": case["status"], "citation": case["citation"], "domains": case["domain_tags"],
            "mechanisms": [{"id": m["id"], "passage_ids": m["passage_ids"], "terms": m["terms"]}
                           for m in case["mechanism_evidence"]],
            "figures": [{"quote": f["quote"], "change": f["change"], "passage_id": f["passage_id"]}
                        for f in case["figures"]]}


@route(READS)
async def compare_page(datasette, request, base):
    data, error, params = await compared(datasette, request, base)
    options = await datasette.databases[base.database].execute_fn(filter_options)
    return Response.html(await datasette.render_template(
        "casekb_compare.html",
        {"data": data, "error": error, "params": params, "options": options, "database": base.database,
         "max_compared": MAX_COMPARED, "search_url": datasette.urls.path("/-/search"),
         "json_url": json_url(datasette, request, "/-/compare.json")},
        request=request), status=400 if error else 200)
