"""Read-only connections to the database, and rows read by column name."""
import sqlite3
from pathlib import Path


def connect_readonly(db_path: Path) -> sqlite3.Connection:
    """A read-only connection usable from Datasette's threads."""
    return sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True, check_same_thread=False)


def named_rows(conn, sql: str, params=()) -> list[sqlite3.Row]:
    """Rows addressable by column name, without changing the row factory of a connection
    that is not ours (Datasette's)."""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, list(params)).fetchall()


def marks(values) -> str:
    """The `?, ?, ?` of an `in (...)` over these values."""
    return ",".join("?" * len(values))
