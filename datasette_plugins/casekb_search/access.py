"""Who may see what: every casekb route and menu link asks Datasette, for each table it reads,
view-table, then view-database, then view-instance (the cascade Datasette's own table and row
pages use), so an `allow` block in metadata closes the plugin's pages as it closes the tables.
Work the pool could not do in time (workers.Unavailable) is answered 503 with Retry-After."""
from datasette import Forbidden
from datasette.utils.asgi import NotFound

from . import workers
from .casebase import CaseBase, current
from .page_cache import kept_answer
from .web import error_response, json_response

FORBIDDEN = "无权查看案例库 (you do not have permission to view the case base)"


async def can_read(datasette, actor, database: str, tables) -> bool:
    """Kept per actor while the metadata stays the same (page_cache.kept_answer): every page asks it
    for each menu link."""
    async def ask() -> bool:
        for table in tables:
            visible, _ = await datasette.check_visibility(actor, permissions=[
                ("view-table", (database, table)), ("view-database", database), "view-instance"])
            if not visible:
                return False
        return True
    return await kept_answer(datasette, ("can_read", actor, database, tuple(tables)), ask)


def route(reads: tuple[str, ...], json: bool = False):
    """A route handler `handler(datasette, request, base)` run only when the case base is served and
    the actor may read `reads`; otherwise 404 or 403 (a JSON body with `error` when json=True),
    and 503 when its work was refused or ran out of time.
    The view keeps `reads`, so a menu link can ask the same question."""
    def wrap(handler):
        async def view(datasette, request):
            base: CaseBase = current(datasette)
            if base.database is None:
                return _refuse(NotFound(base.error), 404, json)
            if not await can_read(datasette, request.actor, base.database, reads):
                return _refuse(Forbidden(FORBIDDEN), 403, json)
            try:
                return await handler(datasette, request, base)
            except workers.Unavailable as e:
                return await error_response(datasette, request, str(e), 503, json=json,
                                            headers={"retry-after": str(e.retry_after)})
        view.reads = reads
        return view
    return wrap


def _refuse(exception: Exception, status: int, json: bool):
    if json:
        return json_response({"error": exception.args[0]}, status=status)
    raise exception  # Datasette renders its own error page
