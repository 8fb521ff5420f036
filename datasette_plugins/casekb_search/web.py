"""What the plugin's routes share: its settings, the links between its pages (all built with
datasette.urls, so they hold under base_url), how many cases a list holds, the `limit`
parameter and escaped JSON answers, so every page builds them the same way."""
import json
import re
from urllib.parse import quote, urlencode

from datasette.utils.asgi import Response

from kbcore.limits import DEFAULT_RESULTS, MAX_RESULTS
from kbcore.schema import CASE_KINDS, OTHER_DOCUMENTS_LABEL, is_case
from reports.export import FORMATS
from reports.selection import SelectionError

PLUGIN = "casekb"  # the distribution's name: its metadata key and its /-/static-plugins/ folder
STYLESHEET = "casekb.css"
SCRIPT = "casekb.js"  # the basket of cases and the search filters, on every page


def config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


def stylesheet_url(datasette) -> str:
    return datasette.urls.static_plugins(PLUGIN, STYLESHEET)


def case_count(cases: int, documents: int = 0) -> str:
    """'4 个案例', or '4 个案例，另有 2 篇序言、综述等文献': other documents are never counted as cases."""
    return f"{cases} 个案例" + (f"，另有 {documents} 篇{OTHER_DOCUMENTS_LABEL}" if documents else "")


def count_kinds(kinds) -> str:
    """case_count() of a list of documents, by their kinds."""
    kinds = list(kinds)
    cases = sum(map(is_case, kinds))
    return case_count(cases, len(kinds) - cases)


# filter -> cases-table query argument (domains and mechanisms are JSON arrays in `cases`)
CASE_FILTER_ARGS = {"domain": "domains__arraycontains", "mechanism": "mechanisms__arraycontains"}


def cases_url(datasette, database: str, filters: dict) -> str:
    """The cases table filtered as given (domain, mechanism, region, source_id, kind, status), real
    cases only unless a kind is chosen: the list holds exactly the cases a count or a filter means."""
    args = {CASE_FILTER_ARGS.get(key, key): value for key, value in filters.items()}
    if "kind" not in filters:
        args["kind__in"] = ",".join(CASE_KINDS)
    return datasette.urls.table(database, "cases") + "?" + urlencode(args, quote_via=quote)


def mechanism_url(datasette, mechanism: str) -> str:
    return datasette.urls.path("/-/mechanisms/" + quote(mechanism))


def compare_url(datasette, **params) -> str:
    """/-/compare for a selection, e.g. compare_url(ds, mechanism='社区减负') or (cases='a,b')."""
    return datasette.urls.path("/-/compare") + "?" + urlencode(params)


def pack_links(datasette, **params) -> list[dict]:
    """The course-pack downloads of a selection, one per format: (ids='a,b') or (q=..., domain=...)."""
    query = {k: v for k, v in params.items() if v}
    # params: the selection, for a form with a title; readable: a page that opens in the browser
    return [{"format": f.id, "label": f.label, "params": query, "readable": f.readable,
             "url": datasette.urls.path("/-/pack") + "?" + urlencode({**query, "format": f.id})}
            for f in FORMATS.values()]


def json_url(datasette, request, path: str) -> str:
    """The JSON twin of the current page, with the same parameters."""
    return datasette.urls.path(path) + ("?" + request.query_string if request.query_string else "")


def whole_number(text: str) -> int | None:
    """A whole number of at most 9 ASCII digits, else None: str.isdigit() passes "²", which int()
    refuses, and int() refuses a string of over 4,300 digits."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def parse_limit(request, default: int = DEFAULT_RESULTS) -> int:
    limit = whole_number(request.args.get("limit") or str(default))
    if limit is None or not 1 <= limit <= MAX_RESULTS:
        raise SelectionError(f"limit: 必须是1到{MAX_RESULTS}之间的整数 (limit must be an integer 1-{MAX_RESULTS})")
    return limit


def json_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """JSON with <, > and & escaped, so no markup from a query is ever served raw,
    even if the answer is sniffed as HTML (and it is not sniffed: see NOSNIFF)."""
    text = json.dumps(body, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Response(text, status=status, content_type="application/json; charset=utf-8",
                    headers={**NOSNIFF, **(headers or {})})


NOSNIFF = {"x-content-type-options": "nosniff"}  # every response carries it (middleware.py)
# The one table of error titles: the plugin's error answers and Datasette's own error pages (front_door).
ERROR_TITLES = {400: "请求有误", 403: "无权访问", 404: "找不到这个页面", 405: "不支持这种请求方式",
                500: "服务器出错", 503: "暂时无法处理"}
# A message's closing English gloss, "… (unknown case ids)": kept in JSON for programs, not shown on a page.
_ENGLISH_GLOSS = re.compile(r"\s*\((?=[^()]*[A-Za-z]{2})[^()\u3400-\u9fff]*\)\s*$")


def in_users_words(message) -> str:
    """An error message as a page shows it: without the English gloss a message may end with."""
    text = "" if message is None else str(message)
    shown = _ENGLISH_GLOSS.sub("", text)
    return shown or text


async def error_response(datasette, request, message: str, status: int, json: bool = False,
                         headers: dict | None = None) -> Response:
    """An error as the route's kind of answer: JSON `{"error": ...}` for a .json route, Datasette's
    error page (HTML) for a page; never a bare text body."""
    headers = {**NOSNIFF, **(headers or {})}
    if json:
        return json_response({"error": message}, status=status, headers=headers)
    html = await datasette.render_template(
        [f"{status}.html", "error.html"],
        {"ok": False, "error": in_users_words(message), "status": status, "title": ERROR_TITLES.get(status)},
        request=request)
    return Response.html(html, status=status, headers=headers)
