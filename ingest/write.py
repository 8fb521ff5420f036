"""The database as the contract (kbcore.schema) lays it out, written with sqlite-utils."""
import sqlite_utils

from kbcore.schema import INDEXES, NOT_NULL, TABLES, VIEWS, document_kind_rows


def create_database(path) -> sqlite_utils.Database:
    """A new database at path with every table, in schema order, and the views; rows come later.

    It is a build's temporary file, renamed into place only when whole (casekb.build), so it
    needs no journal or sync of its own while it is written."""
    db = sqlite_utils.Database(path)
    db.conn.execute("pragma journal_mode = off")
    db.conn.execute("pragma synchronous = off")
    for name, (columns, pk, fks) in TABLES.items():
        db.table(name).create(columns, pk=pk, foreign_keys=fks, not_null=NOT_NULL.get(name, set()))
    db.table("document_kinds").insert_all(document_kind_rows())
    for name, sql in VIEWS.items():
        db.create_view(name, sql)
    return db


def insert_rows(db: sqlite_utils.Database, tables: dict[str, list[dict]]) -> None:
    """Append rows, by table."""
    for name, rows in tables.items():
        if rows:
            db.table(name).insert_all(rows)


def create_indexes(db: sqlite_utils.Database) -> None:
    """The schema's indexes, once the rows are in (faster than keeping them up to date row by row)."""
    for name, columns in INDEXES.items():
        for cols in columns:
            db.table(name).create_index(cols)
