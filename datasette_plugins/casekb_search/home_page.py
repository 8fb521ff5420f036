"""/ : the home page (front_door.home gives its variables), rendered without Datasette's list of
databases, which asks for the size, columns and permissions of every table on each visit. Kept
once per served file for anonymous visitors (shared_answers.py). Without the case base, or
for an actor who may not read it, Datasette's own index page answers, as before."""
from datasette import __version__
from datasette.utils.asgi import Response
from datasette.views.index import IndexView

from .access import can_read
from .casebase import current
from .overview import READS as OVERVIEW_READS


async def home_page(datasette, request, send):
    base = current(datasette)
    if base.database is None or not await can_read(datasette, request.actor, base.database, OVERVIEW_READS):
        return await IndexView.as_view(datasette)(request, send)
    private = not await datasette.permission_allowed(None, "view-instance", default=True)
    return Response.html(await datasette.render_template(
        ["index.html"], {"databases": [], "metadata": datasette.metadata(), "datasette_version": __version__,
                         "private": private}, request=request, view_name="index"))
