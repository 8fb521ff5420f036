"""Side-by-side comparison of a few cases: where, which domains, which mechanisms, which figures.

Every cell carries the passage it rests on, so a page can link each claim to its evidence.
"""
import sqlite3

from kbcore.limits import MAX_COMPARED

from .cases import mechanism_matrix, read_cases

FIGURES_PER_CASE = 4


def comparison(conn: sqlite3.Connection, case_ids: list[str]) -> dict:
    """{'cases': [case records], 'mechanisms': [{'id', 'description', 'cells'}], 'omitted': n}."""
    shown = case_ids[:MAX_COMPARED]
    cases = read_cases(conn, shown, figures=FIGURES_PER_CASE)
    descriptions = dict(conn.execute("select id, description from mechanisms"))
    rows = mechanism_matrix(cases)
    for row in rows:
        row["description"] = descriptions.get(row["id"], "")
    return {"cases": cases, "mechanisms": rows, "omitted": len(case_ids) - len(shown)}
