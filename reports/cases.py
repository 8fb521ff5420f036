"""Cases as a reader needs them, read from the built database as plain records.

One reading shared by the case page, the comparison and the course packs, so a case
shows the same tags, evidence and figures wherever it appears.
"""
import json
import re
import sqlite3

from kbcore.schema import LOST_CHARACTER, kind_label

from .citation import case_reference, gbt7714


def rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    """The result rows as dicts keyed by column name."""
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def read_case(conn: sqlite3.Connection, case_id: str, figures: int = 3) -> dict | None:
    """The case row plus domain tags, mechanisms with evidence, passages and its top figures."""
    found = rows(conn, "select * from cases where id = ?", [case_id])
    if not found:
        return None
    case = found[0]
    case["kind_label"] = kind_label(case["kind"])
    case["reference"] = gbt7714(case_reference(conn, case))  # GB/T 7714-2015, cited today
    case["domain_evidence"] = [domain_evidence(*r) for r in conn.execute(
        "select domain, source, evidence from case_domains where case_id = ? order by score desc, domain", [case_id])]
    case["domain_tags"] = [d["id"] for d in case["domain_evidence"]]
    case["mechanism_evidence"] = [
        {"id": m, "passage_ids": json.loads(ids), "terms": json.loads(terms)}
        for m, ids, terms in conn.execute(
            "select mechanism, evidence_passage_ids, evidence_terms from case_mechanisms "
            "where case_id = ? order by score desc, mechanism", [case_id])]
    case["passages"] = [dict(zip(("id", "field", "section", "text"), r)) for r in conn.execute(
        "select id, field, section, text from passages where case_id = ? order by seq", [case_id])]
    # The best `figures` quotes that read as figures, in reading order; a quote with a lost character (□)
    # is never promoted.
    found = [dict(zip(("id", "passage_id", "quote", "change", "quantities", "start"), r)) for r in conn.execute(
        "select id, passage_id, quote, change, quantities, start from case_figures "
        "where case_id = ? and instr(quote, ?) = 0 order by rank", [case_id, LOST_CHARACTER])]
    best = [f for f in found if is_key_figure(f)][:figures]
    case["figures"] = [{**f, "shown": nested_quotes(f["quote"])}  # quote stays verbatim: text[start:end]
                       for f in sorted(best, key=lambda f: (f["passage_id"], f["start"]))]
    return case


# Counts this small of these units name a structure (经历了3个阶段, 两份清单), not a result.
_SMALL_COUNT = re.compile(r"^[1-9](?:个|种|类|位|名|条|次)$")


def is_key_figure(figure: dict) -> bool:
    """A clause that stands as a figure: its quotation marks pair up (a clause cut out of someone's words,
    “我们这个队50多人, is not), and it states a change or a quantity beyond a small count."""
    quote = figure["quote"]
    if quote.count("“") != quote.count("”") or quote.count("‘") != quote.count("’"):
        return False
    amounts = json.loads(figure.get("quantities") or "[]")
    return bool(figure.get("change")) or any(not _SMALL_COUNT.match(a) for a in amounts)


def nested_quotes(quote: str) -> str:
    """The quote as it reads inside “…”: its own double quotation marks become single ones (‘双向评估’),
    so a page never shows ““双向评估””."""
    return quote.translate(str.maketrans({"“": "‘", "”": "’"}))


def domain_evidence(domain: str, source: str, evidence: str) -> dict:
    """Why a case carries a domain: the book's chapter, or the terms and passage the classifier found."""
    if source == "book_chapter":
        return {"id": domain, "passage_id": None, "note": f"书中章节：{evidence}"}
    found = json.loads(evidence or "{}")
    terms = sorted(found.get("terms", {}).items(), key=lambda kv: -kv[1])[:5]
    return {"id": domain, "passage_id": (found.get("passages") or [None])[0],
            "note": "依据词：" + "、".join(t for t, _ in terms) if terms else "依据：相近案例的标题"}


def read_cases(conn: sqlite3.Connection, case_ids: list[str], figures: int = 3) -> list[dict]:
    """Cases in the order given; ids must exist (the selection has checked them)."""
    return [read_case(conn, cid, figures) for cid in case_ids]


def mechanism_matrix(cases: list[dict]) -> list[dict]:
    """Case x mechanism: one row per mechanism any of the cases uses, most widely used first;
    each cell is the case's evidence (passage ids, terms) or None."""
    used: dict[str, list] = {}
    for i, case in enumerate(cases):
        for m in case["mechanism_evidence"]:
            used.setdefault(m["id"], [None] * len(cases))[i] = m
    return [{"id": mid, "cells": cells}
            for mid, cells in sorted(used.items(), key=lambda kv: (-sum(c is not None for c in kv[1]), kv[0]))]
