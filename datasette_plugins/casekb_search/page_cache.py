"""Pages that cost little: what is the same for every visit is worked out once per served file.

- Permissions. Datasette 0.65.5 answers "which `allow` blocks guard this table?" by deep-copying
  the whole metadata (titles, descriptions, canned queries of every table) each time it is asked; the
  home page asks for every table and every page asks for each menu link, so that copy was most of
  their cost. The answer depends only on the metadata and the (database, table) pair, so it is kept
  per pair while the metadata object is the same one; not when a plugin supplies metadata of its own
  (the get_metadata hook), which could change at any time. The plugin's own question "may this actor
  read these tables?" (access.can_read, asked for every menu link) is kept per actor the same way.
- Shared answers. What is the same for every anonymous visitor of immutable files (home page, overview,
  searches, table pages, …) is kept as bytes by the ASGI layer (shared_answers.py), with ETag and
  Cache-Control.
"""
import json
from collections.abc import Awaitable, Callable
from weakref import WeakKeyDictionary

from datasette.plugins import pm

KEPT_ANSWERS = 4096  # permission answers kept per site (actors × questions); all forgotten when full
_ANSWERS: "WeakKeyDictionary[object, dict]" = WeakKeyDictionary()


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
