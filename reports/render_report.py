"""The search report (检索报告): the record a precedent search leaves, as one printable HTML file.

It states the question and the filters, when the search ran, how many cases it found and why each
matched, with each case's GB/T 7714 reference and the sources: what a similar-case search has to be
able to show afterwards. It lays out the same CoursePack record as the other formats.
"""
from .pack import CoursePack
from .render_html import _ENV

NO_QUERY = "（未输入检索词，仅按筛选条件或指定案例选取）"
NO_REASON = {True: "指定案例", False: "符合筛选条件"}


def render_report(pack: CoursePack) -> str:
    search = pack.search
    rows = [{"n": c["n"], "title": c["title"], "place": c["place"], "status": c["status"],
             "reason": search.reasons.get(c["id"]) or NO_REASON[not (search.query or search.filters)],
             "reference": c["reference"], "id": c["id"]} for c in pack.cases]
    return _ENV.get_template("report.html").render(pack=pack, search=search, rows=rows, no_query=NO_QUERY)
