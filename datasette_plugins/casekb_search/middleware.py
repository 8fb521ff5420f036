"""The ASGI wrapper around the whole site (the asgi_wrapper hook).

- Every response carries `X-Content-Type-Options: nosniff`: no body is ever read as another type.
- A request's SQL function refusals (sql_functions.REFUSALS) replace SQLite's "user-defined
  function raised exception" in its error answer, so the page or the JSON says what was wrong,
  e.g. "jieba_cut: 文本过长，最多10000字 (...)". Only error answers of requests that had a
  refusal are read whole to do so; every other response streams through untouched.
- An exception that escapes Datasette before an answer has started (e.g. a template that cannot be
  rendered) is logged and answered with a short HTML 500 page, never a traceback or a bare text body.
"""
import html
import json
import logging

from .sql_functions import REFUSALS
from .web import NOSNIFF

log = logging.getLogger(__name__)
GENERIC = b"user-defined function raised exception"
FAILED_PAGE = ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>服务器出错</title></head>"
               "<body><h1>服务器出错</h1><p>服务器处理这个请求时出错，请稍后再试。(Internal server error.)</p>"
               "</body></html>").encode("utf-8")
_NOSNIFF = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in NOSNIFF.items()]


def wrap(app):
    async def casekb_app(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
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
            log.exception("casekb: unhandled error answering %s", scope.get("path"))
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
