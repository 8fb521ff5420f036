"""What a page shows the same on every visit while a file is served: the overview's numbers, the
list of mechanisms with their counts and the values the search and comparison forms offer. Each is
read once per Datasette instance, on the work pool, when first asked for, and kept: the site
serves the file it opened at start-up (casebase.py), so they cannot change, and at the size of a
national library each is a pass over every case.
Callers get the kept records themselves: they copy what they change."""
from weakref import WeakKeyDictionary

from reports.mechanisms import mechanism_list
from reports.options import filter_options
from reports.overview import overview

from . import workers

_KEPT: "WeakKeyDictionary[object, dict]" = WeakKeyDictionary()


async def kept(datasette, name: str, work):
    """work(conn) run once per Datasette instance (two first visits at once may both run it)."""
    found = _KEPT.setdefault(datasette, {})
    if name not in found:
        found[name] = await workers.run(datasette, work)
    return found[name]


async def overview_data(datasette) -> dict:
    return await kept(datasette, "overview", overview)


async def mechanisms(datasette) -> list[dict]:
    return await kept(datasette, "mechanisms", mechanism_list)


async def options(datasette) -> dict:
    return await kept(datasette, "options", filter_options)
