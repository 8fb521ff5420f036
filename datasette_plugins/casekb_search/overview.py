"""/-/overview: the charts page. Numbers and SVG come from reports.overview; this module only
turns the filters of a bar segment, a cell or a table row into links and renders the template."""
from urllib.parse import urlencode

from datasette.utils.asgi import Response

from kbcore.limits import MAX_RESULTS
from reports.overview import overview_charts
from reports.selection import FILTERS

from .access import route
from .kept import overview_data
from .web import cases_url, mechanism_url

# The real_cases and coverage views count; the tables behind them are read too.
READS = ("cases", "real_cases", "coverage", "sources", "domains", "case_domains", "mechanisms", "case_mechanisms")


# A source's cases are listed by the cases table with these columns (the search page has no source filter).
LIST_COLUMNS = ("title", "region", "status", "chapter", "page")


def _href(datasette, database: str, filters: dict) -> str:
    """A mechanism alone opens its own page (cases with evidence); anything else opens the search page's
    listing of the real cases with those filters (all of them, up to MAX_RESULTS), so the list holds
    exactly the cases the bar segment or cell counts."""
    if set(filters) == {"mechanism"}:
        return mechanism_url(datasette, filters["mechanism"])
    if set(filters) <= set(FILTERS):
        return datasette.urls.path("/-/search") + "?" + urlencode({**filters, "limit": MAX_RESULTS})
    return cases_url(datasette, database, filters) + "&" + urlencode([("_col", c) for c in LIST_COLUMNS])


@route(READS)
async def overview_page(datasette, request, base):
    """Coverage, domains, regions and mechanisms of the case base, as charts with their data tables."""
    name = base.database
    data = await overview_data(datasette)  # read once per served file
    charts = overview_charts(data, href=lambda filters: _href(datasette, name, filters))
    return Response.html(await datasette.render_template(
        "casekb_overview.html", {"charts": charts, "totals": data["totals"], "database": name}, request=request))
