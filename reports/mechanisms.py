"""Governance mechanisms as the site shows them: the list with how many cases use each, and one
mechanism with the documents that use it and the passages that prove it.

Counts of 案例 come from the real_cases view, so a preface or an essay that mentions a mechanism
is listed as a document (文献) but never counted as a case, here as on the overview.
"""
import json
import math
import sqlite3

from kbcore.limits import MECHANISM_PAGE_CASES
from kbcore.schema import kind_label

from .cases import rows


def mechanism_list(conn: sqlite3.Connection) -> list[dict]:
    """Every mechanism: id, description, cases (real cases), documents (other documents using it),
    regions and region_list (of the real cases), most used first."""
    return rows(conn, """
        select m.id, m.description, count(c.id) as cases, count(cm.case_id) - count(c.id) as documents,
               count(distinct c.region) as regions, group_concat(distinct c.region) as region_list
        from mechanisms m
        left join case_mechanisms cm on cm.mechanism = m.id
        left join real_cases c on c.id = cm.case_id
        group by m.id order by cases desc, documents desc, m.id""")


def mechanism_detail(conn: sqlite3.Connection, mechanism: str, page: int = 1,
                     per_page: int = MECHANISM_PAGE_CASES) -> dict | None:
    """{'mechanism': row with its terms, 'cases': [...], 'documents': [...], 'total_cases',
    'total_documents', 'page', 'pages'}, or None if unknown.

    Real cases come first, then other documents, `per_page` entries a page (a national library
    gives one mechanism thousands of cases: their evidence is read for the page shown only).
    Each entry has the document's row, its kind label, the matched terms and the evidence
    passages (id, text) in reading order. A page past the last has no entries.
    """
    found = rows(conn, "select * from mechanisms where id = ?", [mechanism])
    if not found:
        return None
    listed = rows(conn, """
            select c.id, c.title, c.region, c.kind, c.status, cm.score, cm.evidence_passage_ids,
                   cm.evidence_terms, r.id is not null as is_case
            from case_mechanisms cm join cases c on c.id = cm.case_id
            left join real_cases r on r.id = c.id
            where cm.mechanism = ? order by r.id is null, cm.score desc, c.region, c.id""", [mechanism])
    total_cases = sum(bool(row["is_case"]) for row in listed)
    detail = {"mechanism": {**found[0], "terms": json.loads(found[0]["terms"])}, "cases": [], "documents": [],
              "total_cases": total_cases, "total_documents": len(listed) - total_cases,
              "page": page, "pages": max(1, math.ceil(len(listed) / per_page))}
    for row in listed[(page - 1) * per_page: page * per_page]:
        ids, terms = json.loads(row.pop("evidence_passage_ids")), json.loads(row.pop("evidence_terms"))
        entry = {**row, "kind_label": kind_label(row["kind"]), "terms": terms,
                 "evidence": rows(conn, f"select id, text from passages where id in ({','.join('?' * len(ids))}) "
                                        "order by seq", ids) if ids else []}
        detail["cases" if row["is_case"] else "documents"].append(entry)
    return detail
