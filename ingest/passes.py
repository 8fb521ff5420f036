"""The tags that need the whole corpus, worked out once every group is in the database: domains
(book chapters, then the classifier, whose neighbours are the labelled titles), keywords (their IDF
counts every case), places (a bare 太仓 is read by every case's 太仓市), and the label columns.

They read the stored case_tokens, never jieba, so they cost little and run on every build, on
rows each read or copied from the previous build alike. Rows stream from the database: nothing
holds the corpus.
"""
import json
from collections import Counter

from .classify import case_domain_rows, label_columns, labelled_neighbours
from .keywords import case_keyword_rows, case_place_rows, idf_of, places_by_stem
from .tag import chapter_domain_rows


def corpus_passes(db) -> None:
    """Fill case_domains, case_keywords and case_places, and cases.domains / cases.mechanisms."""
    conn = db.conn
    domain_tags(db)
    with_text = {cid for (cid,) in conn.execute("select distinct case_id from passages")}
    tokens = "select case_id, keyword_counts, keyword_total from case_tokens order by rowid"
    idf = idf_of(json.loads(counts) for cid, counts, _ in conn.execute(tokens) if cid in with_text)
    db.table("case_keywords").insert_all(row for cid, counts, total in conn.execute(tokens)
                                         for row in case_keyword_rows(cid, json.loads(counts), total, idf))
    corpus = Counter()
    for (places,) in conn.execute("select places from case_tokens"):
        corpus.update(json.loads(places))
    by_stem = places_by_stem(corpus)
    db.table("case_places").insert_all(
        row for cid, places, bare in conn.execute("select case_id, places, bare_names from case_tokens order by rowid")
        for row in case_place_rows(cid, Counter(json.loads(places)), Counter(json.loads(bare)), by_stem, corpus))
    set_label_columns(db)


def domain_tags(db) -> None:
    """case_domains: a book case's chapter, else the classifier (rules and labelled neighbours)."""
    cases = [dict(zip(("id", "kind", "title", "chapter"), row))
             for row in db.conn.execute("select id, kind, title, chapter from cases order by rowid")]
    chapters = chapter_domain_rows(cases)
    labelled = {r["case_id"]: r["domain"] for r in chapters}
    neighbours = labelled_neighbours(cases, labelled)
    db.table("case_domains").insert_all(chapters)

    def classified():
        for case in cases:
            if case["id"] in labelled:
                continue
            passages = [{"id": pid, "text": text} for pid, text in db.conn.execute(
                "select id, text from passages where case_id = ? order by seq", [case["id"]])]
            (tokens,) = db.conn.execute("select index_tokens from case_tokens where case_id = ?",
                                        [case["id"]]).fetchone()
            yield from case_domain_rows(case, passages, Counter(json.loads(tokens)), neighbours)
    db.table("case_domains").insert_all(classified())


def set_label_columns(db) -> None:
    """cases.domains and cases.mechanisms from the tag tables (Datasette's array facets)."""
    columns = label_columns(_rows(db, "select case_id, domain, score from case_domains"),
                            _rows(db, "select case_id, mechanism, score from case_mechanisms"))
    with db.conn:
        db.conn.execute("""update cases set domains = '[]', mechanisms = '[]'""")
        db.conn.executemany("update cases set domains = ?, mechanisms = ? where id = ?",
                            ((c["domains"], c["mechanisms"], cid) for cid, c in columns.items()))


def _rows(db, sql: str):
    cursor = db.conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return (dict(zip(names, row)) for row in cursor)
