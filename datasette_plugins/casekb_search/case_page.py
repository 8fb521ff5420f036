"""The case page: Datasette's row page of `cases` in the case base, whatever the database is
called, read as a case (reports.cases) with its 相似案例 and links to compare and pack it.

templates/row.html picks casekb_case_row.html when `case` is set, Datasette's own row.html
otherwise; Datasette has already checked the actor may view this row. The case is read with the
row page, on Datasette's connection; the nearest cases are a search, on the plugin's work pool,
and when that is full or too slow the page says so instead of waiting.
"""
from urllib.parse import unquote

from reports.cases import read_case

from . import workers
from .casebase import current
from .web import compare_url, pack_links

SIMILAR = 6  # cases in the 相似案例 panel; the first three are offered for comparison


def is_case_page(datasette, view_name, database, table) -> bool:
    return view_name == "row" and table == "cases" and database == current(datasette).database


async def case_page_vars(datasette, request, database) -> dict:
    base = current(datasette)
    case_id = unquote((request.url_vars or {}).get("pks", "")) if request else ""
    db = datasette.databases[database]
    case = await db.execute_fn(lambda conn: read_case(conn, case_id))
    similar, similar_error = [], None if base.searcher else base.error
    if base.searcher is not None and case:
        try:
            similar = await workers.run(datasette, lambda conn: base.searcher.similar(conn, case_id, k=SIMILAR))
        except workers.Unavailable as e:
            similar_error = str(e)
    for s in similar:
        s["url"] = datasette.urls.row(database, "cases", s["case_id"])
    return {"case": case, "similar_cases": similar,
            "similar_error": similar_error,
            "search_url": datasette.urls.path("/-/search"),
            "json_url": datasette.urls.row(database, "cases", case_id, format="json"),
            "compare_url": compare_url(datasette, cases=",".join([case_id] + [s["case_id"] for s in similar[:3]])),
            "pack_links": pack_links(datasette, ids=case_id)}
