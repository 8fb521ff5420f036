"""jieba-segmented FTS5 indexes: SQLite's tokenizer cannot split Chinese words, so we store a
space-joined segmented column and index that (queries are segmented the same way)."""
from casekb.words import init, segmented


def add_fts(db) -> None:
    """passages.text_seg and cases.title_seg columns, each with an FTS5 table over it."""
    init()
    passages = db.table("passages")
    passages.add_column("text_seg", str)
    with db.atomic():
        for row in db.query("select p.id, p.section, p.text from passages p"):
            seg = segmented(" ".join(filter(None, [row["section"], row["text"]])))
            db.execute("update passages set text_seg = ? where id = ?", [seg, row["id"]])
    cases = db.table("cases")
    cases.add_column("title_seg", str)
    with db.atomic():
        for row in db.query("select id, title, chapter from cases"):
            seg = segmented(" ".join(filter(None, [row["title"], _chapter_topic(row["chapter"])])))
            db.execute("update cases set title_seg = ? where id = ?", [seg, row["id"]])
    passages.enable_fts(["text_seg"], tokenize="unicode61", replace=True)
    cases.enable_fts(["title_seg"], tokenize="unicode61", replace=True)


def _chapter_topic(chapter: str | None) -> str | None:
    """"一 “政社互动”与生态建设" -> "生态建设": the domain word, not the book's refrain."""
    return chapter.rsplit("与", 1)[-1] if chapter else None
