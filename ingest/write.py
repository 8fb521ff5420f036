"""Write the records to SQLite with sqlite-utils: typed tables, foreign keys, indexes, views.

The schema is the researchers' public API; column meanings are documented in metadata.yml.
"""
import sqlite_utils

SCHEMA = {
    "sources": ({"id": str, "file": str, "title": str, "kind": str, "part_of": str, "editor": str,
                 "publisher": str, "date": str, "isbn": str, "url": str, "script": str, "region": str,
                 "province": str, "expected_cases": int, "note": str, "chars": int, "sha256": str,
                 "residue_removed": str}, "id", []),
    "domains": ({"id": str, "name_zh": str, "name_en": str, "chapter": str, "description": str}, "id", []),
    "cases": ({"id": str, "source_id": str, "kind": str, "number": int, "title": str,
               "title_original": str, "region": str, "province": str, "chapter_no": int, "chapter": str,
               "page": int, "author": str, "body": str, "body_original": str, "comment": str,
               "comment_original": str, "status": str, "chars": int, "source_line": int,
               "citation": str, "domains": str, "mechanisms": str}, "id", [("source_id", "sources", "id")]),
    "passages": ({"id": str, "case_id": str, "seq": int, "field": str, "section": str, "text": str,
                  "text_original": str, "start": int, "end": int, "chars": int}, "id",
                 [("case_id", "cases", "id")]),
    "case_domains": ({"case_id": str, "domain": str, "source": str, "score": float, "evidence": str},
                     ("case_id", "domain"), [("case_id", "cases", "id"), ("domain", "domains", "id")]),
    "mechanisms": ({"id": str, "name_zh": str, "description": str, "terms": str}, "id", []),
    "case_mechanisms": ({"case_id": str, "mechanism": str, "score": float, "evidence_passage_ids": str,
                         "evidence_terms": str}, ("case_id", "mechanism"),
                        [("case_id", "cases", "id"), ("mechanism", "mechanisms", "id")]),
    "case_keywords": ({"case_id": str, "keyword": str, "weight": float, "rank": int}, ("case_id", "keyword"),
                      [("case_id", "cases", "id")]),
    "case_places": ({"case_id": str, "place": str, "count": int}, ("case_id", "place"),
                    [("case_id", "cases", "id")]),
    "case_figures": ({"id": str, "case_id": str, "passage_id": str, "start": int, "end": int, "quote": str,
                      "quantities": str, "change": str, "weight": float, "rank": int}, "id",
                     [("case_id", "cases", "id"), ("passage_id", "passages", "id")]),
}
INDEXES = {
    "cases": [["source_id"], ["kind"], ["region"], ["chapter_no"], ["status"]],
    "passages": [["case_id", "seq"]],
    "case_domains": [["domain"]],
    "case_mechanisms": [["mechanism"]],
    "case_keywords": [["keyword"], ["case_id", "rank"]],
    "case_places": [["place"]],
    "case_figures": [["case_id", "rank"], ["passage_id"]],
}
COVERAGE_VIEW = """
select s.id as source_id, s.title, s.kind, s.expected_cases,
       count(c.id) as cases_present,
       coalesce(sum(c.status = 'full_text'), 0) as bodies_present,
       coalesce(sum(c.status = 'title_only'), 0) as title_only,
       s.expected_cases - count(c.id) as cases_missing
from sources s
left join cases c on c.source_id = s.id
     and c.kind in ('book_case', 'journal_case', 'award_project', 'article')
where s.kind != 'book_cases'
group by s.id
order by s.id
"""


def write_database(path, tables: dict[str, list[dict]]) -> sqlite_utils.Database:
    """Create every table in SCHEMA order and insert its rows; returns the open database."""
    db = sqlite_utils.Database(path)
    for name, (columns, pk, fks) in SCHEMA.items():
        table = db.table(name)
        table.create(columns, pk=pk, foreign_keys=fks, not_null=_not_null(name))
        table.insert_all(tables.get(name, []))
        for cols in INDEXES.get(name, []):
            table.create_index(cols)
    db.create_view("coverage", COVERAGE_VIEW)
    return db


def _not_null(table: str) -> set[str]:
    return {"id", "title"} if table in ("sources", "cases") else set()
