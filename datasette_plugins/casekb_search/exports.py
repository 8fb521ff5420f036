"""Downloads for researchers and trainers that the rest of the site links to:

/-/cite?ids=a,b&format=bibtex|ris|gbt — the GB/T 7714-2015 references of cases (reports.citation) as
BibTeX, RIS (reference managers: Zotero, EndNote, NoteExpress) or plain lines, read like any casekb
route only when the actor may read the cases and their sources.

The `csv_bom` output renderer — /casekb/cases.csv_bom?… — the rows of a table or query page as CSV in
UTF-8 with a byte-order mark, which Excel needs to open Chinese text without garbling it
(Datasette 0.65's own CSV has no such option); no cell starts a spreadsheet formula (formulas.py).
It runs inside Datasette's table and query views, so their permission checks, filters and page size
apply (add _size=max for up to max_returned_rows rows).
"""
import csv
import io
from urllib.parse import quote

from datasette.utils.asgi import Response

from kbcore.limits import MAX_PACK_CASES
from reports.cases import rows as named_rows
from reports.citation import bibtex, case_reference, gbt7714, ris
from reports.selection import parse_ids

from . import workers
from .access import route
from .formulas import neutralise
from .web import error_response

READS = ("cases", "sources")
CITE_FORMATS = {  # format: (content type, file extension, renderer of one reference)
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib", bibtex),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris", ris),
    "gbt": ("text/plain; charset=utf-8", "txt", lambda ref: gbt7714(ref) + "\n"),
}
CSV_BOM = "csv_bom"  # the renderer's extension: /db/table.csv_bom


@route(READS)
async def cite(datasette, request, base):
    fmt = (request.args.get("format") or "bibtex").strip()
    if fmt not in CITE_FORMATS:
        return await error_response(datasette, request, f"format: 可选 {', '.join(CITE_FORMATS)} (unknown citation format)", 400)
    ids = parse_ids(request.args.get("ids") or "")
    if not ids:
        return await error_response(datasette, request, "ids: 请给出案例编号，如 ids=mca2015-03-2,taicang100-001 (no case ids)", 400)
    if len(ids) > MAX_PACK_CASES:
        return await error_response(datasette, request, f"ids: 最多{MAX_PACK_CASES}个案例 (at most {MAX_PACK_CASES} cases)", 400)

    def references(conn):
        found = {c["id"]: c for c in named_rows(
            conn, f"select * from cases where id in ({','.join('?' * len(ids))})", ids)}
        return [case_reference(conn, found[i]) for i in ids if i in found], [i for i in ids if i not in found]

    refs, unknown = await workers.run(datasette, references)  # the plugin's pool (workers.py)
    if unknown:
        return await error_response(datasette, request, f"ids: 没有这些案例编号 {'、'.join(unknown)} (unknown case ids)", 404)
    content_type, extension, render = CITE_FORMATS[fmt]
    body = ("\n" if fmt == "bibtex" else "").join(render(r) for r in refs)
    name = f"{ids[0] if len(ids) == 1 else 'casekb-references'}.{extension}"
    return Response(body, content_type=content_type,
                    headers={"content-disposition": f"attachment; filename=\"{name}\""})


def csv_bom(columns, rows, table, query_name, database):
    """The page's rows as CSV for Excel: UTF-8 with BOM, CRLF line ends, the file named after the table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        writer.writerow(["" if v is None else f"<{len(v)} 字节二进制数据>" if isinstance(v, bytes)
                         else neutralise(v) for v in row])
    stem = table or query_name or database or "casekb"
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in stem)
    return Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8", headers={
        "content-disposition": f"attachment; filename=\"{ascii_name}.csv\"; filename*=UTF-8''{quote(stem)}.csv"})
