"""Pages that cost little: what is the same for every visit is worked out once per served file.

- Permissions. Datasette 0.65.5 answers "which `allow` blocks guard this table?" by deep-copying
  the whole metadata (titles, descriptions, canned queries of every table) each time it is asked; the
  home page asks for every table and every page asks for each menu link, so that copy was most of
  their cost. The answer depends only on the metadata and the (database, table) pair, so it is kept
  per pair while the metadata object is the same one; not when a plugin supplies metadata of its own
  (the get_metadata hook), which could change at any time. The plugin's own question "may this actor
  read these tables?" (access.can_read, asked for every menu link) is kept per actor the same way.
- Shared pages. A page that is the same for every anonymous visitor of an immutable file (home page,
  overview, list of mechanisms) is rendered once and kept as bytes; every answer of such a page
  carries an ETag (a hash of the body) and Cache-Control, and If-None-Match is answered 304, so a
  reverse proxy or CDN can serve repeats. Pages for signed-in actors, of mutable files or with query
  parameters are rendered each time and marked private.
"""
import hashlib
import json
from collections.abc import Awaitable, Callable
from weakref import WeakKeyDictionary

from datasette.plugins import pm
from datasette.utils.asgi import Response

from .web import NOSNIFF

SHARED_MAX_AGE = 300  # seconds a shared cache may serve a kept page before asking again (ETag: 304)
KEPT_ANSWERS = 4096  # permission answers kept per site (actors × questions); all forgotten when full
_ANSWERS: "WeakKeyDictionary[object, dict]" = WeakKeyDictionary()
_PAGES: "WeakKeyDictionary[object, dict[str, tuple[bytes, str]]]" = WeakKeyDictionary()


def keep_table_permissions(datasette) -> None:
    """Keep Datasette's per-table `allow` lookup (see above); called once, at start-up."""
    original = getattr(datasette, "_table_permission_allows", None)
    if original is None or getattr(original, "kept", False) or not metadata_is_fixed(datasette):
        return
    found: dict = {}

    def allows(database, table):
        key = (id(datasette._metadata_local), database, table)
        if key not in found:
            found[key] = original(database, table)
        return [dict(a) if isinstance(a, dict) else a for a in found[key]]
    allows.kept = True
    datasette._table_permission_allows = allows


def metadata_is_fixed(datasette) -> bool:
    """No plugin supplies metadata (get_metadata), so Datasette's local metadata is all there is."""
    return not pm.hook.get_metadata.get_hookimpls()


async def kept_answer(datasette, key: tuple, ask: Callable[[], Awaitable]):
    """ask()'s answer, kept for `key` (which names the actor) while the metadata object is the same
    one; asked every time when metadata may change (metadata_is_fixed). At most KEPT_ANSWERS kept."""
    if not metadata_is_fixed(datasette):
        return await ask()
    try:
        key = (id(datasette._metadata_local), json.dumps(key, sort_keys=True, default=repr))
    except (TypeError, ValueError):
        return await ask()
    kept = _ANSWERS.setdefault(datasette, {})
    if key not in kept:
        answer = await ask()
        if len(kept) >= KEPT_ANSWERS:
            kept.clear()
        kept[key] = answer
    return kept[key]


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _is_shared(datasette, request, database: str | None) -> bool:
    db = datasette.databases.get(database) if database else None
    return (db is not None and not db.is_mutable and request.actor is None and not request.query_string
            and request.method in ("GET", "HEAD"))


async def shared_page(datasette, request, database: str | None, name: str,
                      render: Callable[[], Awaitable[str]]) -> Response:
    """The HTML page `render()` makes, kept when it is the same for every visitor (see above), with
    ETag and Cache-Control; 304 when the client already holds it."""
    shared = _is_shared(datasette, request, database)
    kept = _PAGES.setdefault(datasette, {})
    if shared and name in kept:
        body, etag = kept[name]
    else:
        body = (await render()).encode("utf-8")
        etag = _etag(body)
        if shared:
            kept[name] = (body, etag)
    headers = {**NOSNIFF, "etag": etag,
               "cache-control": f"public, max-age={SHARED_MAX_AGE}" if shared else "private, no-cache"}
    if etag in [t.strip() for t in (request.headers.get("if-none-match") or "").split(",")]:
        return Response(b"", status=304, headers=headers)
    return Response(body, status=200, headers=headers, content_type="text/html; charset=utf-8")
