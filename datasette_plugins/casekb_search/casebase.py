"""Which served database is the case base, and its search index, found once per Datasette
instance at start-up: the site works whatever the database file is called, and stays up with
search off (and a reason a reader may see) when the index cannot be loaded.

Start-up also opens the work pool's connections (workers.py), has Datasette's SQL threads open
theirs, and reads the build_info row: from then on the site serves the file it opened, whatever
a rebuild puts under its name, and knows which build that is."""
import logging
import re
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from index.search import Searcher, SearchError, open_searcher

from . import workers
from .web import config

log = logging.getLogger(__name__)

# What makes a served database the case base: tables of the contract in kbcore.schema that
# every build writes, whatever indexes it has.
CONTRACT = ("cases", "passages", "document_kinds")

# A reader may learn which file is wrong, never where the server keeps it.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])(?:[A-Za-z]:)?[\\/](?:[^\s\\/'\"]+[\\/])*([^\s\\/'\"]+)")


@dataclass
class CaseBase:
    database: str | None = None        # name of the served case base, None if there is none
    searcher: Searcher | None = None   # None: search is off, `error` says why
    error: str | None = None
    build: dict | None = None          # the build_info row, read at start-up; None if there is none


_BASES: "WeakKeyDictionary[object, CaseBase]" = WeakKeyDictionary()


def current(datasette) -> CaseBase:
    """The case base of this Datasette instance (set by load() in the startup hook)."""
    return _BASES.get(datasette) or CaseBase(error="casekb 插件尚未启动 (the plugin has not started)")


async def load(datasette) -> CaseBase:
    """Find the case base and open its index; any failure to open it leaves search off, not the site."""
    name = await find_database(datasette)
    base = CaseBase(database=name)
    if name is None:
        base.error = "没有找到案例库数据库 (no served database has the casekb tables)"
    elif not datasette.databases[name].path:
        base.error = f"数据库 {name} 不是文件，没有搜索索引 (an in-memory database has no search index)"
    else:
        try:
            base.searcher = open_searcher(datasette.databases[name].path, config(datasette).get("model"))
        except Exception as e:  # a truncated or foreign index file may raise anything
            log.warning("casekb: search is off: %s", e, exc_info=not isinstance(e, SearchError))
            base.error = unavailable(e)
    if name is not None:
        workers.open_pool(datasette, name)
        await workers.hold_datasette_connections(datasette, name)
        base.build = await workers.run(datasette, read_build_info)
    _BASES[datasette] = base
    return base


def read_build_info(conn) -> dict | None:
    """The one build_info row, or None when the database has none (built before the table existed)."""
    if conn.execute("select 1 from sqlite_master where type = 'table' and name = 'build_info'").fetchone() is None:
        return None
    cursor = conn.execute("select * from build_info limit 1")
    row = cursor.fetchone()
    if row is None:
        return None
    return {d[0]: (v.hex() if isinstance(v, bytes) else v) for d, v in zip(cursor.description, row)}


async def find_database(datasette) -> str | None:
    """The database the `database` setting names, if it is served and holds the CONTRACT tables;
    otherwise the first served database that does."""
    wanted = config(datasette).get("database")
    for name in sorted(datasette.databases, key=lambda n: n != wanted):
        if set(CONTRACT) <= set(await datasette.databases[name].table_names()):
            return name
    return None


def unavailable(error: Exception) -> str:
    """Why the index could not be opened, in one line without filesystem paths."""
    if isinstance(error, SearchError):
        return without_paths(str(error))
    first_line = (str(error).strip().splitlines() or [""])[0]
    return (f"索引已损坏或无法读取，请运行 casekb build 重建 "
            f"(the search index could not be read: {type(error).__name__}: {without_paths(first_line)})")


def without_paths(text: str) -> str:
    """Every absolute path in the text cut to its last part: /srv/data/x.faiss -> x.faiss."""
    return _ABSOLUTE_PATH.sub(r"\1", text)
