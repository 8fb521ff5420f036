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
    regions and region_list (of the real cases), most used first. The real cases' regions are read
    once (materialized), not looked up case by case for every tag."""
    return rows(conn, """
        with c as materialized (select id, region from real_cases)
        select m.id, m.description, count(c.id) as cases, count(cm.case_id) - count(c.id) as documents,
               count(distinct c.region) as regions, group_concat(distinct c.region) as region_list
        from mechanisms m
        left join case_mechanisms cm on cm.mechanism = m.id
        left join c on c.id = cm.case_id
        group by m.id order by cases desc, documents desc, m.id""")


def mechanism_detail(conn: sqlite3.Connection, mechanism: str, page: int = 1,
                     per_page: int = MECHANISM_PAGE_CASES) -> dict | None:
    """{'mechanism': row with its terms, 'cases': [...], 'documents': [...], 'total_cases',
    'total_documents', 'page', 'pages'}, or None if unknown.

    Real cases come first, then other documents, `per_page` entries a page (a national library
    gives one mechanism thousands of cases: their order is read from the tags and the columns of
    `cases` before the case texts, and the rest is read for the page shown only). Each entry has the
    document's row, its kind label, the matched terms and the evidence passages (id, text) in
    reading order. A page past the last has no entries.
    """
    found = rows(conn, "select * from mechanisms where id = ?", [mechanism])
    if not found:
        return None
    order = rows(conn, """
            select c.id, c.kind in (select id from document_kinds where is_case) as is_case
            from case_mechanisms cm join cases c on c.id = cm.case_id
            where cm.mechanism = ? order by not is_case, cm.score desc, c.region, c.id""", [mechanism])
    total_cases = sum(bool(row["is_case"]) for row in order)
    detail = {"mechanism": {**found[0], "terms": json.loads(found[0]["terms"])}, "cases": [], "documents": [],
              "total_cases": total_cases, "total_documents": len(order) - total_cases,
              "page": page, "pages": max(1, math.ceil(len(order) / per_page))}
    shown = [row["id"] for row in order[(page - 1) * per_page: page * per_page]]
    if not shown:
        return detail
    marks = ",".join("?" * len(shown))
    listed = {row["id"]: row for row in rows(conn, f"""
            select c.id, c.title, c.region, c.kind, c.status, cm.score, cm.evidence_passage_ids, cm.evidence_terms
            from case_mechanisms cm join cases c on c.id = cm.case_id
            where cm.mechanism = ? and cm.case_id in ({marks})""", [mechanism, *shown])}
    evidence = {row["id"]: row for row in rows(conn, """
            select p.id, p.text, p.seq from json_each(?) e join passages p on p.id = e.value""",
            [json.dumps([pid for row in listed.values() for pid in json.loads(row["evidence_passage_ids"])])])}
    for cid, real in ((row["id"], row["is_case"]) for row in order[(page - 1) * per_page: page * per_page]):
        row = dict(listed[cid])
        ids, terms = json.loads(row.pop("evidence_passage_ids")), json.loads(row.pop("evidence_terms"))
        passages = sorted((evidence[pid] for pid in dict.fromkeys(ids) if pid in evidence), key=lambda p: p["seq"])
        entry = {**row, "is_case": real, "kind_label": kind_label(row["kind"]), "terms": terms,
                 "evidence": [{"id": p["id"], "text": p["text"]} for p in passages]}
        detail["cases" if real else "documents"].append(entry)
    return detail
