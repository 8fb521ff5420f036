"""jieba-segmented FTS5 indexes: SQLite's tokenizer cannot split Chinese words, so we store a
space-joined segmented column and index that (queries are segmented the same way)."""
from casekb.words import init, segmented

from .units import passage_text, title_text


def add_fts(db) -> None:
    """passages.text_seg and cases.title_seg columns, each with an FTS5 table over it."""
    init()
    passages = db.table("passages")
    passages.add_column("text_seg", str)
    with db.atomic():
        for row in db.query("select p.id, p.section, p.text from passages p"):
            seg = segmented(passage_text(row["section"], row["text"]))
            db.execute("update passages set text_seg = ? where id = ?", [seg, row["id"]])
    cases = db.table("cases")
    cases.add_column("title_seg", str)
    with db.atomic():
        for row in db.query("select id, title, chapter from cases"):
            seg = segmented(title_text(row["title"], row["chapter"]))
            db.execute("update cases set title_seg = ? where id = ?", [seg, row["id"]])
    passages.enable_fts(["text_seg"], tokenize="unicode61", replace=True)
    cases.enable_fts(["title_seg"], tokenize="unicode61", replace=True)
