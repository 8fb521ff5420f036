"""Write the records to SQLite with sqlite-utils, as the database contract (kbcore.schema) lays it out."""
import sqlite_utils

from kbcore.schema import INDEXES, NOT_NULL, TABLES, VIEWS, document_kind_rows


def write_database(path, tables: dict[str, list[dict]]) -> sqlite_utils.Database:
    """Create every table in schema order and insert its rows, then the views; returns the open database."""
    db = sqlite_utils.Database(path)
    tables = {"document_kinds": document_kind_rows(), **tables}
    for name, (columns, pk, fks) in TABLES.items():
        table = db.table(name)
        table.create(columns, pk=pk, foreign_keys=fks, not_null=NOT_NULL.get(name, set()))
        table.insert_all(tables.get(name, []))
        for cols in INDEXES.get(name, []):
            table.create_index(cols)
    for name, sql in VIEWS.items():
        db.create_view(name, sql)
    return db
