"""What the plugin's routes share: which database, the links between its pages, the `limit`
parameter and escaped JSON answers, so every page builds them the same way."""
import json
from urllib.parse import quote, urlencode

from datasette.utils.asgi import Response

from kbcore.limits import DEFAULT_RESULTS, MAX_RESULTS
from reports.export import FORMATS
from reports.selection import SelectionError


def config(datasette) -> dict:
    return datasette.plugin_config("casekb") or {}


def db_name(datasette) -> str:
    return config(datasette).get("database", "casekb")


def mechanism_url(datasette, mechanism: str) -> str:
    return datasette.urls.path("/-/mechanisms/" + quote(mechanism))


def compare_url(datasette, **params) -> str:
    """/-/compare for a selection, e.g. compare_url(ds, mechanism='社区减负') or (cases='a,b')."""
    return datasette.urls.path("/-/compare") + "?" + urlencode(params)


def pack_links(datasette, **params) -> list[dict]:
    """The course-pack downloads of a selection, one per format: (ids='a,b') or (q=..., domain=...)."""
    query = {k: v for k, v in params.items() if v}
    return [{"format": f.id, "label": f.label,
             "url": datasette.urls.path("/-/pack") + "?" + urlencode({**query, "format": f.id})} for f in FORMATS.values()]


def json_url(datasette, request, path: str) -> str:
    """The JSON twin of the current page, with the same parameters."""
    return datasette.urls.path(path) + ("?" + request.query_string if request.query_string else "")


def parse_limit(request, default: int = DEFAULT_RESULTS) -> int:
    try:
        limit = int(request.args.get("limit") or default)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_RESULTS:
        raise SelectionError(f"limit: 必须是1到{MAX_RESULTS}之间的整数 (limit must be an integer 1-{MAX_RESULTS})")
    return limit


def json_response(body: dict, status: int = 200) -> Response:
    """JSON with <, > and & escaped, so no markup from a query is ever served raw,
    even if the answer is sniffed as HTML."""
    text = json.dumps(body, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Response(text, status=status, content_type="application/json; charset=utf-8")
