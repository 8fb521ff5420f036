"""Trainers' routes: /-/compare (side by side), /-/compare.json, /-/pack (course pack download).

The work is in reports/; these handlers only read parameters, run it as one job on the plugin's
work pool (workers.py: its own connections, bounded in time and number) and lay out the answer.
A selection by `q` while the index is off is the site's failure (503), like the search itself.
"""
from urllib.parse import quote

from datasette.utils.asgi import Response

from kbcore.limits import MAX_COMPARED, MAX_TITLE_CHARS
from reports.compare import comparison
from reports.export import DEFAULT_FORMAT, check_format, download_name
from reports.pack import course_pack, describe_selection, search_record
from reports.selection import FILTERS, SelectionError, parse_ids, select_cases, select_pack_cases

from . import workers
from .access import route
from .kept import options as filter_options
from .search_pages import SEARCH_OFF
from .web import count_kinds, error_response, json_response, json_url, mechanism_url, pack_links, parse_limit

# What a comparison or a pack reads: the cases with their tags, evidence, figures and sources
# (and the domains the comparison form offers).
READS = ("cases", "passages", "case_domains", "case_mechanisms", "mechanisms", "case_figures", "sources", "domains")


def selection_params(request, ids_param: str) -> dict:
    """The selection as select_cases() takes it; ids may repeat (?cases=a&cases=b) or be comma-joined."""
    params = {k: (request.args.get(k) or "").strip() or None for k in FILTERS}
    params["ids"] = parse_ids(",".join(request.args.getlist(ids_param)))
    params["query"] = (request.args.get("q") or "").strip() or None
    return params


def pack_title(request) -> str | None:
    title = request.args.get("title")
    if title and len(title) > MAX_TITLE_CHARS:
        raise SelectionError(f"title: 标题最多{MAX_TITLE_CHARS}字 "
                             f"(the title is {len(title)} characters; the limit is {MAX_TITLE_CHARS})")
    return title


@route(READS)
async def pack_download(datasette, request, base):
    params = selection_params(request, "ids")
    try:
        pack_format = check_format((request.args.get("format") or DEFAULT_FORMAT).strip())
        limit, title = parse_limit(request), pack_title(request)
    except ValueError as e:  # SelectionError is one
        return await _error(datasette, request, str(e))
    if params["query"] and base.searcher is None:
        return await _error(datasette, request, SEARCH_OFF + base.error, status=503)
    fmt = pack_format.id
    selection = describe_selection(**params)
    # title_only=list: cases the source holds only the title of share one page (the default for a search's pack)
    together = (request.args.get("title_only") or ("list" if params["query"] else "pages")) == "list"

    def work(conn):  # selection, pack and rendering: one job, off the event loop
        reasons = {}
        case_ids = select_pack_cases(conn, searcher=base.searcher, limit=limit, reasons=reasons, **params)
        if not case_ids:
            return None
        search = search_record(params["query"], reasons, **{k: params[k] for k in FILTERS})
        pack = course_pack(conn, case_ids, title=title, selection=selection, title_only_together=together,
                           search=search)
        return pack, pack_format.render(pack)
    try:
        made = await workers.run(datasette, work)
    except SelectionError as e:
        return await _error(datasette, request, str(e))
    if made is None:
        return await _error(datasette, request, "没有符合条件的案例，未生成课程包 (no cases match)", status=404)
    pack, body = made
    name = download_name(pack, fmt)
    ascii_name = f"casekb-pack-{pack.date}.{pack_format.suffix}"
    # a printable page opens in the browser; download=1 (the link beside it) saves it
    disposition = "inline" if pack_format.readable and request.args.get("download") != "1" else "attachment"
    return Response(body, content_type=pack_format.content_type, headers={
        "content-disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"})


async def _error(datasette, request, message: str, status: int = 400) -> Response:
    return await error_response(datasette, request, message, status)


async def compared(datasette, request, base, with_options: bool = False):
    """(comparison with links, error, HTTP status, params, filter options when asked) for
    /-/compare and /-/compare.json."""
    params = selection_params(request, "cases")
    chosen = any(params.values())
    error, status = None, 200
    if chosen and params["query"] and base.searcher is None:
        error, status, chosen = SEARCH_OFF + base.error, 503, False

    def work(conn):
        try:
            if len(params["ids"]) > MAX_COMPARED:
                raise SelectionError(f"cases: 最多并排比较{MAX_COMPARED}个案例 "
                                     f"(at most {MAX_COMPARED} cases side by side, got {len(params['ids'])})")
            return comparison(conn, select_cases(conn, searcher=base.searcher, limit=MAX_COMPARED,
                                                 ids_param="cases", **params)), None
        except SelectionError as e:
            return None, str(e)

    data = None
    options = await filter_options(datasette) if with_options else None  # read once per served file
    if chosen:
        data, failed = await workers.run(datasette, work)
        if failed:
            error, status = failed, 400
    if data is None:
        return None, error, status, params, options
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
    return data, None, 200, params, options


@route(READS, json=True)
async def compare_json(datasette, request, base):
    data, error, status, params, _ = await compared(datasette, request, base)
    if data is None and error is None:
        error, status = ("cases/mechanism: 请用 cases=编号1,编号2 或 mechanism=机制 指定要比较的案例 "
                         "(nothing to compare)"), 400
    if error:
        body = {"error": error}
    else:
        body = {"selection": data["selection"], "omitted": data["omitted"],
                "cases": [_case_summary(c) for c in data["cases"]],
                "mechanisms": [{"id": r["id"], "cases": [c["id"] for c, cell in zip(data["cases"], r["cells"]) if cell]}
                               for r in data["mechanisms"]]}
    return json_response(body, status=status)


def _case_summary(case: dict) -> dict:
    return {"id": case["id"], "title": case["title"], "region": case["region"], "province": case["province"],
            "status": case["status"], "citation": case["citation"], "domains": case["domain_tags"],
            "mechanisms": [{"id": m["id"], "passage_ids": m["passage_ids"], "terms": m["terms"]}
                           for m in case["mechanism_evidence"]],
            "figures": [{"quote": f["quote"], "change": f["change"], "passage_id": f["passage_id"]}
                        for f in case["figures"]]}


@route(READS)
async def compare_page(datasette, request, base):
    data, error, status, params, options = await compared(datasette, request, base, with_options=True)
    mechanism = params.get("mechanism")
    if mechanism and options and mechanism not in options["mechanism"]:  # a mistyped or stale link
        return await error_response(datasette, request, f"没有名为“{mechanism}”的治理机制。"
                                    "可在“治理机制”页查看全部机制。", 404)
    return Response.html(await datasette.render_template(
        "casekb_compare.html",
        {"data": data, "error": error, "params": params, "options": options, "database": base.database,
         "max_compared": MAX_COMPARED, "search_url": datasette.urls.path("/-/search"),
         "json_url": json_url(datasette, request, "/-/compare.json")},
        request=request), status=status)
