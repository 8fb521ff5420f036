"""What a request may ask before Datasette reads it (the middleware asks `refusal`).

- The query string: at most MAX_QUERY_STRING_BYTES (414), MAX_QUERY_PARAMETERS parameters and
  MAX_FACETS facet parameters (400). Datasette's table view parses the whole query string again for
  each parameter, so 4,000 empty parameters held the event loop for seconds, and each `_facet` is one
  more grouped query over the table. Counting needs only a split on `&`.
- Methods: GET, HEAD and OPTIONS everywhere; POST only on Datasette's own routes, whose forms use it
  (canned queries, /-/messages, /-/permissions, /-/logout); anything else is 405 with `Allow`.
"""
from typing import NamedTuple
from urllib.parse import unquote_plus

from kbcore.limits import MAX_FACETS, MAX_QUERY_PARAMETERS, MAX_QUERY_STRING_BYTES

READ_METHODS = ("GET", "HEAD", "OPTIONS")
FORM_METHODS = READ_METHODS + ("POST",)
FACET_PREFIX = "_facet"  # _facet, _facet_array, _facet_date


class Refusal(NamedTuple):
    status: int
    message: str
    headers: dict


def refusal(method: str, path: str, query_string: bytes, plugin_route: bool) -> Refusal | None:
    """Why this request is not served, or None."""
    allowed = READ_METHODS if plugin_route else FORM_METHODS
    if method.upper() not in allowed:
        return Refusal(405, f"不支持 {method[:20]} 请求 (method not allowed; use {', '.join(allowed)})",
                       {"allow": ", ".join(allowed)})
    if len(query_string) > MAX_QUERY_STRING_BYTES:
        return Refusal(414, f"网址的查询参数过长，最多{MAX_QUERY_STRING_BYTES}字节 "
                            f"(query string over {MAX_QUERY_STRING_BYTES} bytes)", {})
    pieces = [p for p in query_string.split(b"&") if p]
    if len(pieces) > MAX_QUERY_PARAMETERS:
        return Refusal(400, f"网址的查询参数过多，最多{MAX_QUERY_PARAMETERS}个 "
                            f"(more than {MAX_QUERY_PARAMETERS} query parameters)", {})
    facets = sum(unquote_plus(p.split(b"=", 1)[0].decode("latin-1")).startswith(FACET_PREFIX) for p in pieces)
    if facets > MAX_FACETS:
        return Refusal(400, f"_facet: 最多{MAX_FACETS}个分面 (at most {MAX_FACETS} facet parameters)", {})
    return None
