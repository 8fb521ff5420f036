"""/-/mechanisms (every mechanism, how many cases use it) and /-/mechanisms/<id> (its cases,
each with the passages that prove it, terms marked). The records come from reports.mechanisms;
this module adds links and lays them out."""
from urllib.parse import quote, unquote

from datasette.utils.asgi import Response

from index.snippets import highlight
from kbcore.limits import MECHANISM_PAGE_CASES
from reports.mechanisms import mechanism_detail
from reports.selection import pack_too_large

from . import workers
from .access import route
from .kept import mechanisms as mechanism_list
from .web import case_count, compare_url, error_response, mechanism_url, pack_links, whole_number

READS = ("mechanisms", "case_mechanisms", "cases", "passages")


@route(READS)
async def mechanisms_page(datasette, request, base):
    mechanisms = [{**m, "url": mechanism_url(datasette, m["id"])}
                  for m in await mechanism_list(datasette)]  # read once per served file
    return Response.html(await datasette.render_template(
        "casekb_mechanisms.html", {"mechanisms": mechanisms, "database": base.database}, request=request))


@route(READS)
async def mechanism_page(datasette, request, base):
    mechanism = unquote(request.url_vars["mechanism"])
    page = whole_number(request.args.get("page") or "1")
    if not page:
        return await error_response(datasette, request, "page: 页码须为正整数 (page must be 1, 2, ...)", 400)
    detail = await workers.run(datasette, lambda conn: mechanism_detail(conn, mechanism, page,
                                                                        MECHANISM_PAGE_CASES))
    if detail is None:
        return Response.html(await datasette.render_template(
            "casekb_mechanisms.html", {"mechanisms": [], "database": base.database,
                                        "error": f"没有名为“{mechanism}”的治理机制"}, request=request), status=404)
    if detail["page"] > detail["pages"]:
        return await error_response(datasette, request,
                                    f"page: 共{detail['pages']}页 (there are {detail['pages']} pages)", 404)
    for entry in detail["cases"] + detail["documents"]:
        url = datasette.urls.row(base.database, "cases", entry["id"])
        entry["url"] = url
        entry["evidence"] = [{"id": p["id"], "html": highlight(p["text"], entry["terms"]), "url": f"{url}#{p['id']}"}
                             for p in entry["evidence"]]
    here = datasette.urls.path(f"/-/mechanisms/{quote(mechanism)}")
    return Response.html(await datasette.render_template(
        "casekb_mechanism.html",
        {**detail, "database": base.database, "count": case_count(detail["total_cases"], detail["total_documents"]),
         "previous_url": f"{here}?page={detail['page'] - 1}" if detail["page"] > 1 else None,
         "next_url": f"{here}?page={detail['page'] + 1}" if detail["page"] < detail["pages"] else None,
         "search_url": datasette.urls.path("/-/search"), "compare_url": compare_url(datasette, mechanism=mechanism),
         "pack_links": pack_links(datasette, mechanism=mechanism), "all_url": datasette.urls.path("/-/mechanisms"),
         "pack_note": pack_too_large(detail["total_cases"] + detail["total_documents"])},
        request=request))
