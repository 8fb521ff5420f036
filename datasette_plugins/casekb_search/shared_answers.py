"""Answers that are the same for every visitor, kept as bytes and served again without reaching Datasette.

An answer is shared when the site cannot tell its visitors apart and its files cannot change:
- the request is a GET or HEAD with no Cookie and no Authorization header, and no plugin other than
  Datasette's own defaults may find an actor in a request (actor_from_request);
- every served database is immutable and the metadata is fixed (page_cache.metadata_is_fixed);
- the path is one that answers the same to everyone: casekb's pages (the plugin's PAGES) or
  Datasette's pages of an immutable database (its page, tables, rows, queries; SQL that calls a
  function whose answer changes from call to call, such as random(), is not kept). Never /-/casekb.json
  (it names the worker and its memory) or Datasette's other /-/ pages;
- Datasette answered 200 without Set-Cookie, in at most SHARED_ANSWER_BYTES (a longer answer, e.g. a
  CSV, streams through whole and is not kept).
Kept answers are keyed by host, path and query string, at most SHARED_ANSWERS_BYTES per worker, the
least recently used forgotten first, and all of them forgotten when a served file's identity (inode,
size, mtime) changes. Each carries an ETag (a hash of the body) and `Cache-Control: public`, so a
reverse proxy or CDN can serve repeats; If-None-Match is answered 304. An answer of one of casekb's own
routes that is not shared (an actor, a mutable file) says `private, no-cache`.
"""
import hashlib
import os
import re
from collections import OrderedDict
from typing import NamedTuple
from urllib.parse import parse_qsl
from weakref import WeakKeyDictionary

from datasette.plugins import DEFAULT_PLUGINS, pm
from datasette.utils import tilde_encode

from kbcore.limits import SHARED_ANSWER_BYTES, SHARED_ANSWERS_BYTES, SHARED_MAX_AGE_SECONDS

from .page_cache import metadata_is_fixed

# SQL calling one of these may answer differently each time it runs.
CHANGING_SQL = re.compile(r"\b(random|randomblob|changes|total_changes|last_insert_rowid)\s*\(|'now'|\"now\"",
                          re.IGNORECASE)
PRIVATE = b"private, no-cache"
_DROPPED = {b"content-length", b"cache-control", b"etag", b"date", b"server"}  # set again when served


class Answer(NamedTuple):
    headers: list[tuple[bytes, bytes]]  # as Datasette sent them, less _DROPPED
    body: bytes
    etag: bytes


class SharedAnswers:
    """One worker's kept answers of one site: least recently used first, bounded in bytes."""

    def __init__(self):
        self.kept: OrderedDict[tuple, Answer] = OrderedDict()
        self.size = 0
        self.identity: tuple | None = None

    def check_files(self, identity: tuple) -> None:
        """Forget everything when the served files are not the ones the kept answers were made from."""
        if identity != self.identity:
            self.kept.clear()
            self.size = 0
            self.identity = identity

    def get(self, key: tuple) -> Answer | None:
        answer = self.kept.get(key)
        if answer is not None:
            self.kept.move_to_end(key)
        return answer

    def put(self, key: tuple, answer: Answer) -> None:
        if len(answer.body) > SHARED_ANSWER_BYTES or len(answer.body) > SHARED_ANSWERS_BYTES:
            return
        old = self.kept.pop(key, None)
        self.size += len(answer.body) - (len(old.body) if old else 0)
        self.kept[key] = answer
        while self.size > SHARED_ANSWERS_BYTES:
            _, evicted = self.kept.popitem(last=False)
            self.size -= len(evicted.body)


_SITES: "WeakKeyDictionary[object, SharedAnswers]" = WeakKeyDictionary()


def answers(datasette) -> SharedAnswers:
    """This site's kept answers, emptied first if a served file was replaced."""
    found = _SITES.get(datasette)
    if found is None:
        found = _SITES[datasette] = SharedAnswers()
    found.check_files(_identity(datasette))
    return found


def _identity(datasette) -> tuple:
    identity = []
    for name, db in datasette.databases.items():
        try:
            st = os.stat(db.path) if db.path else None
        except OSError:
            st = None
        identity.append((name, st and (st.st_ino, st.st_size, st.st_mtime_ns)))
    return tuple(identity)


def shared_databases(datasette) -> list[str] | None:
    """Names (as in URLs) of the served databases when every visitor of this site is seen the same and
    its files cannot change; None otherwise."""
    databases = [(name, db) for name, db in datasette.databases.items() if name != "_internal"]
    if (any(db.is_mutable for _, db in databases) or not metadata_is_fixed(datasette)
            or any(i.plugin_name not in DEFAULT_PLUGINS for i in pm.hook.actor_from_request.get_hookimpls())):
        return None
    return [tilde_encode(name) for name, _ in databases]


def is_page(path: str, pages) -> bool:
    return any(p.match(path) for p in pages)


def path_is_shared(databases: list[str], pages, path: str, query_string: bytes) -> bool:
    """`path` (without the base_url) answers the same to everyone on a shared site serving `databases`:
    one of casekb's `pages`, or a page of a database that runs no SQL whose answer changes."""
    if is_page(path, pages):
        return True
    first = path.split("/")[1] if path.startswith("/") and path != "/" else ""
    if first.startswith("-") or not any(first == n or first.startswith(n + ".") for n in databases):
        return False
    if "/-/" in path or path.endswith(".db"):
        return False
    sql = " ".join(v for k, v in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True) if k == "sql")
    return not CHANGING_SQL.search(sql)


def request_is_anonymous(scope) -> bool:
    return (scope.get("method") in ("GET", "HEAD")
            and not any(k.lower() in (b"cookie", b"authorization") for k, _ in scope.get("headers", [])))


def etag_of(body: bytes) -> bytes:
    return b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'


def wrap(app, datasette, route_path, pages: list[str]):
    """ASGI: answer shared requests from what is kept, keep what Datasette answers them; `route_path`
    takes the base_url off a path; `pages` are the patterns of casekb's pages."""
    pages = [re.compile(p) for p in pages]

    async def shared_app(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        path = route_path(scope.get("path", ""))
        query_string = scope.get("query_string", b"")
        databases = shared_databases(datasette) if request_is_anonymous(scope) else None
        if databases is None or not path_is_shared(databases, pages, path, query_string):
            if is_page(path, pages):
                return await app(scope, receive, _marked_private(send))
            return await app(scope, receive, send)
        kept = answers(datasette)
        key = (_header(scope, b"host"), scope.get("scheme", "http"), path, query_string)
        answer = kept.get(key)
        if answer is not None:
            return await _send_answer(send, scope, answer)
        recorder = _Recorder(send, scope)
        await app({**scope, "method": "GET"}, receive, recorder.send)  # a HEAD is answered from the GET
        if recorder.answer is not None:
            kept.put(key, recorder.answer)
            await _send_answer(send, scope, recorder.answer)
    return shared_app


def _header(scope, name: bytes) -> bytes:
    return next((v for k, v in scope.get("headers", []) if k.lower() == name), b"")


def _marked_private(send):
    async def marking(message):
        if message["type"] == "http.response.start" and message["status"] == 200:
            headers = list(message.get("headers", []))
            if not any(k.lower() == b"cache-control" for k, _ in headers):
                message = {**message, "headers": headers + [(b"cache-control", PRIVATE)]}
        await send(message)
    return marking


class _Recorder:
    """Holds Datasette's answer while it may still be kept; streams it on (and keeps nothing) as soon as
    it is not 200, sets a cookie or grows beyond SHARED_ANSWER_BYTES. `answer` is set when it was kept."""

    def __init__(self, send, scope):
        self.downstream, self.head = send, scope.get("method") == "HEAD"
        self.start: dict | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passing = False
        self.answer: Answer | None = None

    async def send(self, message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if message["status"] != 200 or any(k.lower() == b"set-cookie" for k, _ in headers):
                self.passing = True
                return await self.downstream(message)
            self.start = message
            return
        if message["type"] != "http.response.body":
            return await self.downstream(message)
        if self.passing:
            return await self.downstream({**message, "body": b""} if self.head else message)
        body = message.get("body", b"")
        self.chunks.append(body)
        self.size += len(body)
        more = message.get("more_body", False)
        if self.size > SHARED_ANSWER_BYTES:
            self.passing = True
            await self.downstream(self.start)
            await self.downstream({"type": "http.response.body", "body": b"" if self.head else b"".join(self.chunks),
                                   "more_body": more})
            self.chunks = []
        elif not more:
            body = b"".join(self.chunks)
            headers = [(k, v) for k, v in self.start.get("headers", []) if k.lower() not in _DROPPED]
            self.answer = Answer(headers, body, etag_of(body))


async def _send_answer(send, scope, answer: Answer) -> None:
    headers = [*answer.headers, (b"etag", answer.etag),
               (b"cache-control", f"public, max-age={SHARED_MAX_AGE_SECONDS}".encode())]
    matches = [t.strip() for t in _header(scope, b"if-none-match").split(b",")]
    if answer.etag in matches or b"*" in matches:
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else answer.body})
