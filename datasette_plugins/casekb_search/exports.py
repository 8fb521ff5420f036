"""Downloads for researchers and trainers that the rest of the site links to:

/-/cite?ids=a,b&format=bibtex|ris|gbt — the GB/T 7714-2015 references of cases (reports.citation) as
BibTeX, RIS (reference managers: Zotero, EndNote, NoteExpress) or plain lines, one per case (a repeated
reference once), read like any casekb route only when the actor may read the cases and their sources.
The plain lines open in the browser to be read or copied; `download=1` saves them as a file.

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
from reports.citation import bibtex, case_reference, gbt7714, ris, unique_references
from reports.selection import parse_ids

from . import workers
from .access import route
from .formulas import neutralise
from .web import error_response

READS = ("cases", "sources")
CITE_FORMATS = {  # format: (content type, file extension, renderer of one reference, opens in the browser)
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib", bibtex, False),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris", ris, False),
    "gbt": ("text/plain; charset=utf-8", "txt", lambda ref: gbt7714(ref) + "\n", True),
}
CSV_BOM = "csv_bom"  # the renderer's extension: /db/table.csv_bom


@route(READS)
async def cite(datasette, request, base):
    fmt = (request.args.get("format") or "bibtex").strip()
    if fmt not in CITE_FORMATS:
        return await error_response(datasette, request, f"format: 可选 {', '.join(CITE_FORMATS)}", 400)
    ids = parse_ids(request.args.get("ids") or "")
    if not ids:
        return await error_response(datasette, request, "ids: 请给出案例编号，如 ids=mca2015-03-2,taicang100-001", 400)
    if len(ids) > MAX_PACK_CASES:
        return await error_response(datasette, request, f"ids: 最多{MAX_PACK_CASES}个案例", 400)

    def references(conn):
        found = {c["id"]: c for c in named_rows(
            conn, f"select * from cases where id in ({','.join('?' * len(ids))})", ids)}
        return [case_reference(conn, found[i]) for i in ids if i in found], [i for i in ids if i not in found]

    refs, unknown = await workers.run(datasette, references)  # the plugin's pool (workers.py)
    if unknown:
        return await error_response(datasette, request, f"ids: 没有这些案例编号 {'、'.join(unknown)}", 404)
    content_type, extension, render, readable = CITE_FORMATS[fmt]
    body = ("\n" if fmt == "bibtex" else "").join(unique_references(refs, render))
    name = f"{ids[0] if len(ids) == 1 else 'casekb-references'}.{extension}"
    disposition = "inline" if readable and request.args.get("download") != "1" else "attachment"
    return Response(body, content_type=content_type,
                    headers={"content-disposition": f"{disposition}; filename=\"{name}\""})


def labelled(columns, rows, expanded) -> tuple[list, list]:
    """With _labels=on a foreign key's cell is {"value": …, "label": …}: as Datasette's own CSV does, the
    value stays in its column and the label goes in a `<column>_label` column beside it."""
    expanded = set(expanded or ())
    if not expanded:
        return list(columns), [list(row) for row in rows]
    header = [name for column in columns for name in ((column, f"{column}_label") if column in expanded else (column,))]
    out = []
    for row in rows:
        cells = []
        for column, cell in zip(columns, row):
            if column not in expanded:
                cells.append(cell)
            elif isinstance(cell, dict):
                cells += [cell.get("value"), cell.get("label")]
            else:
                cells += [cell, None]
        out.append(cells)
    return header, out


def csv_bom(columns, rows, table, query_name, database, data):
    """The page's rows as CSV for Excel: UTF-8 with BOM, CRLF line ends, the file named after the table."""
    columns, rows = labelled(columns, rows, (data or {}).get("expanded_columns"))
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
