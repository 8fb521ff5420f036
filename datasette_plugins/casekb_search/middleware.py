"""The ASGI wrapper around the whole site (the asgi_wrapper hook).

- Every response carries `X-Content-Type-Options: nosniff`: no body is ever read as another type.
- A request's SQL function refusals (sql_functions.REFUSALS) replace SQLite's "user-defined
  function raised exception" in its error answer, so the page or the JSON says what was wrong,
  e.g. "jieba_cut: 文本过长，最多10000字 (...)". Only error answers of requests that had a
  refusal are read whole to do so; every other response streams through untouched.
- An exception that escapes Datasette before an answer has started (e.g. a template that cannot be
  rendered) is logged (errors.log_once) and answered with a short HTML 500 page, never a traceback or
  a bare text body.
- A request the guard refuses (guard.py: its method, the length of its query string, its number of
  parameters or facets) is answered here with a short page, before Datasette reads anything of it.
- Datasette's own CSV (.csv) is rewritten as it streams so that no cell starts a
  spreadsheet formula (formulas.py); the csv_bom renderer writes its cells safe itself.
- Outside all of this, answers that are the same for every visitor are kept and served again
  (shared_answers.py), as the bytes the rest of this wrapper made.
"""
import html
import json
import re
import sys

from . import errors, formulas, guard, shared_answers
from .sql_functions import REFUSALS
from .web import NOSNIFF

GENERIC = b"user-defined function raised exception"
FAILED_PAGE = ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>服务器出错</title></head>"
               "<body><h1>服务器出错</h1><p>服务器处理这个请求时出错，请稍后再试。(Internal server error.)</p>"
               "</body></html>").encode("utf-8")
_NOSNIFF = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in NOSNIFF.items()]


def wrapper(datasette, plugin_routes: list[str], pages: list[str]):
    """The asgi_wrapper: `plugin_routes` are the patterns of casekb's own routes (register_routes), `pages`
    those of them that answer the same to every visitor (shared_answers.py)."""
    patterns = [re.compile(p) for p in plugin_routes]
    base_url = datasette.setting("base_url").rstrip("/")

    def route_path(path: str) -> str:
        return path[len(base_url):] if base_url and path.startswith(base_url) else path
    return lambda app: shared_answers.wrap(
        wrap(app, lambda path: any(p.match(route_path(path)) for p in patterns)), datasette, route_path, pages)


def wrap(app, is_plugin_route):
    async def casekb_app(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        path = scope.get("path", "")
        refused = guard.refusal(scope.get("method", "GET"), path, scope.get("query_string", b""),
                                is_plugin_route(path))
        if refused:
            return await _send_refusal(send, path, refused)
        csv_out = path.endswith(".csv")  # Datasette's CSV of a table, row or query
        refusals: list[str] = []
        token = REFUSALS.set(refusals)
        held: dict = {}  # the start message and body chunks of an answer being rewritten
        started = []

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                started.append(True)
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _NOSNIFF if k not in names]
                message = {**message, "headers": headers}
                if refusals and message["status"] >= 400:
                    held["start"], held["body"] = message, []
                    return
                if csv_out and message["status"] == 200:
                    held["csv"] = formulas.CsvNeutraliser()
                    message["headers"] = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            elif message["type"] == "http.response.body" and "csv" in held:
                body = held["csv"].feed(message.get("body", b""))
                if not message.get("more_body"):
                    body += held["csv"].close()
                message = {**message, "body": body}
            elif message["type"] == "http.response.body" and "start" in held:
                held["body"].append(message.get("body", b""))
                if message.get("more_body"):
                    return
                await _send_rewritten(send, held["start"], b"".join(held["body"]), refusals[-1])
                return
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        except Exception:
            if started:
                raise
            errors.log_once(sys.exc_info()[1], path)
            await send({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"text/html; charset=utf-8"), *_NOSNIFF]})
            await send({"type": "http.response.body", "body": FAILED_PAGE})
        finally:
            REFUSALS.reset(token)
    return casekb_app


async def _send_rewritten(send, start: dict, body: bytes, refusal: str) -> None:
    content_type = next((v for k, v in start["headers"] if k.lower() == b"content-type"), b"").decode("latin-1")
    if "json" in content_type:
        replacement = json.dumps(refusal)[1:-1]  # inside a JSON string, \u-escaped
    else:
        replacement = html.escape(refusal)
    body = body.replace(GENERIC, replacement.encode("utf-8"))
    headers = [(k, str(len(body)).encode("latin-1") if k.lower() == b"content-length" else v)
               for k, v in start["headers"]]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_refusal(send, path: str, refused: guard.Refusal) -> None:
    """A short answer that costs nothing to make: JSON for a .json path, else a small HTML page."""
    if path.endswith(".json"):
        content_type = b"application/json; charset=utf-8"
        body = json.dumps({"ok": False, "error": refused.message, "status": refused.status},
                          ensure_ascii=False).encode()
    else:
        content_type = b"text/html; charset=utf-8"
        body = ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>请求有误</title></head>"
                f"<body><h1>请求有误</h1><p>{html.escape(refused.message)}</p></body></html>").encode()
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode("latin-1")), *_NOSNIFF,
               *((k.encode("latin-1"), v.encode("latin-1")) for k, v in refused.headers.items())]
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
