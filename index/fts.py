"""jieba-segmented FTS5 indexes: SQLite's tokenizer cannot split Chinese words, so we store a
space-joined segmented column and index that (queries are segmented the same way).

Cutting is most of the cost: a rebuild copies the previous build's column for every row whose
text is unchanged (while the segmenter is: kbcore.words.fingerprint), and cuts the rest in
worker processes (kbcore.parallel)."""
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from kbcore.parallel import chunks, ordered_map
from kbcore.words import fingerprint, init, segmented_all

from .units import passage_text, title_text

CHUNK = 500  # texts per worker call
# (table, column, the columns its text is made of, how)
SEGMENTED = (("passages", "text_seg", ("section", "text"), lambda r: passage_text(r["section"], r["text"])),
             ("cases", "title_seg", ("title", "chapter"), lambda r: title_text(r["title"], r["chapter"])))


def add_fts(db, previous: Path | None = None) -> dict:
    """passages.text_seg and cases.title_seg columns, each with an FTS5 table over it; returns
    how many texts were cut and how many copied from the previous database."""
    init()
    reuse = previous is not None and _same_segmenter(previous)
    counts = {"segmented": 0, "segments_reused": 0}
    for table, column, sources, text_of in SEGMENTED:
        db.table(table).add_column(column, str)
        if reuse:
            counts["segments_reused"] += _copy_previous(db.conn, previous, table, column, sources)
        rows = list(db.query(f"select id, {', '.join(sources)} from {table} where {column} is null"))
        counts["segmented"] += len(rows)
        cut = (seg for part in ordered_map(segmented_all, chunks((text_of(r) for r in rows), CHUNK))
               for seg in part)
        with db.atomic():  # one executemany, not a sqlite-utils call per row
            db.conn.executemany(f"update {table} set {column} = ? where id = ?",
                                ((seg, row["id"]) for seg, row in zip(cut, rows)))
        db.table(table).enable_fts([column], tokenize="unicode61", replace=True)
    return counts


def _same_segmenter(previous: Path) -> bool:
    try:
        with closing(sqlite3.connect(f"{Path(previous).resolve().as_uri()}?mode=ro", uri=True)) as prev:
            row = prev.execute("select fingerprints from build_info where id = 1").fetchone()
    except sqlite3.Error:
        return False
    return bool(row and row[0]) and json.loads(row[0]).get("segmenter") == fingerprint()


def _copy_previous(conn: sqlite3.Connection, previous: Path, table: str, column: str,
                   sources: tuple[str, ...]) -> int:
    """Copy the previous build's segmented column into rows with the same id and the same text."""
    same = " and ".join(f"p.[{c}] is {table}.[{c}]" for c in sources)
    conn.execute("attach database ? as prev", [str(previous)])
    try:
        with conn:
            conn.execute(f"update {table} set {column} = (select p.{column} from prev.{table} p "
                         f"where p.id = {table}.id and {same})")
    finally:
        conn.execute("detach database prev")
    return conn.execute(f"select count(*) from {table} where {column} is not null").fetchone()[0]
