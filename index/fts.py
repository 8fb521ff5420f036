"""jieba-segmented FTS5 indexes: SQLite's tokenizer cannot split Chinese words, so we store a
space-joined segmented column and index that (queries are segmented the same way).

Cutting is most of the cost: ingest gives each passage it reads its cut (it cuts the text anyway:
ingest.group.cut_passages), a rebuild copies the previous build's column for every other row whose
text is unchanged (while the segmenter is: kbcore.words.fingerprint), and the rest are cut in
worker processes (kbcore.parallel)."""
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from kbcore.parallel import chunks, ordered_map
from kbcore.units import passage_text, title_text
from kbcore.words import fingerprint, init, segmented_all

CHUNK = 500  # texts per worker call
# (table, column, the columns its text is made of, how)
SEGMENTED = (("passages", "text_seg", ("section", "text"), lambda r: passage_text(r["section"], r["text"])),
             ("cases", "title_seg", ("title", "chapter"), lambda r: title_text(r["title"], r["chapter"])))


def add_fts(db, previous: Path | None = None) -> dict:
    """passages.text_seg and cases.title_seg columns, each with an FTS5 table over it; returns
    how many texts were cut in this build (here, or by ingest for passages) and how many are the
    previous build's. A row ingest gave its cut keeps it; another with the same text as in the
    previous database takes that one; the rest are cut here."""
    init()
    reuse = previous is not None and _same_segmenter(previous)
    counts = {"segmented": 0, "segments_reused": 0}
    for table, column, sources, text_of in SEGMENTED:
        if column not in db.table(table).columns_dict:
            db.table(table).add_column(column, str)
        reused = _copy_previous(db.conn, previous, table, column, sources) if reuse else 0
        rows = list(db.query(f"select id, {', '.join(sources)} from {table} where {column} is null"))
        cut = (seg for part in ordered_map(segmented_all, chunks((text_of(r) for r in rows), CHUNK))
               for seg in part)
        with db.atomic():  # one executemany, not a sqlite-utils call per row
            db.conn.executemany(f"update {table} set {column} = ? where id = ?",
                                ((seg, row["id"]) for seg, row in zip(cut, rows)))
        counts["segments_reused"] += reused
        counts["segmented"] += db.table(table).count - reused
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
    """Give each row still without its cut the previous build's, where that has the same id and text;
    returns how many rows now hold the previous build's cut."""
    same = " and ".join(f"p.[{c}] is {table}.[{c}]" for c in sources)
    conn.execute("attach database ? as prev", [str(previous)])
    try:
        with conn:
            conn.execute(f"update {table} set {column} = (select p.{column} from prev.{table} p "
                         f"where p.id = {table}.id and {same}) where {column} is null")
        return conn.execute(f"select count(*) from {table} where exists (select 1 from prev.{table} p "
                            f"where p.id = {table}.id and {same} and p.{column} = {table}.{column})").fetchone()[0]
    finally:
        conn.execute("detach database prev")
