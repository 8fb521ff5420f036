"""jieba-segmented FTS5 indexes: SQLite's tokenizer cannot split Chinese words, so we store a
space-joined segmented column and index that (queries are segmented the same way)."""
from kbcore.words import init, segmented

from .units import passage_text, title_text


def add_fts(db) -> None:
    """passages.text_seg and cases.title_seg columns, each with an FTS5 table over it."""
    init()
    _index_segmented(db, "passages", "text_seg", "select id, section, text from passages",
                     lambda row: passage_text(row["section"], row["text"]))
    _index_segmented(db, "cases", "title_seg", "select id, title, chapter from cases",
                     lambda row: title_text(row["title"], row["chapter"]))


def _index_segmented(db, table: str, column: str, sql: str, text_of) -> None:
    db.table(table).add_column(column, str)
    rows = list(db.query(sql))  # read before writing: the update must not change the scan it reads
    with db.atomic():  # one executemany, not a sqlite-utils call per row
        db.conn.executemany(f"update {table} set {column} = ? where id = ?",
                            ((segmented(text_of(row)), row["id"]) for row in rows))
    db.table(table).enable_fts([column], tokenize="unicode61", replace=True)
