"""What the case base adds to, and takes from, the SQL that anyone may run in Datasette.

Added: jieba_cut(text), fts_query(text), semantic_search(text[, k]). A Python function is not
stopped by Datasette's SQL time limit (that is checked between SQLite instructions), so each one
refuses input above its bound before doing any work: a 4 MB semantic_search() argument had grown
the server to 23 GB. Bounds live in kbcore.limits.

Taken away: fts3_tokenizer(), which returns and accepts native pointers, is replaced by a function
that refuses; the `file` column of pragma_database_list (the server's absolute path of the database)
is denied by an authorizer (Datasette's own `PRAGMA database_list` statement, which visitors cannot
run, is untouched); no single value may exceed MAX_SQL_VALUE_BYTES (printf('%.*c', 1e9, 'x'),
zeroblob(1e9)).

A refusal raises an exception, which SQLite reports only as "user-defined function raised
exception"; the message is kept for the request in REFUSALS and middleware.py puts it in the answer.
"""
import contextvars
import json
import sqlite3

from kbcore.limits import MAX_CUT_CHARS, MAX_QUERY_CHARS, MAX_RESULTS, MAX_SQL_VALUE_BYTES
from kbcore.words import cut, fts_match

from . import casebase
from .web import whole_number

DEFAULT_K = 10
# The refusals of SQL functions during the current request (set by middleware.py; Datasette's SQL
# threads see it through ContextExecutor).
REFUSALS: contextvars.ContextVar[list | None] = contextvars.ContextVar("casekb_sql_refusals", default=None)


class Refused(ValueError):
    """A SQL function's argument the user must change; the message names the function."""


def refuse(message: str):
    refusals = REFUSALS.get()
    if refusals is not None:
        refusals.append(message)
    raise Refused(message)


def text_argument(function: str, value, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        refuse(f"{function}: 参数须为文本 (the argument must be text, not a blob)")
    value = str(value)
    if len(value) > limit:
        refuse(f"{function}: 文本过长，最多{limit}字 (the text is {len(value)} characters; the limit is {limit})")
    return value


def k_argument(value) -> int:
    if value is None:
        return DEFAULT_K
    if isinstance(value, str):
        value = whole_number(value.strip())
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= MAX_RESULTS:
        refuse(f"semantic_search: k must be a number from 1 to {MAX_RESULTS} (k 须为1到{MAX_RESULTS}之间的整数)")
    return value


def jieba_cut(text) -> str:
    return json.dumps(cut(text_argument("jieba_cut", text, MAX_CUT_CHARS)), ensure_ascii=False)


def fts_query(text) -> str | None:
    return fts_match(text_argument("fts_query", text, MAX_QUERY_CHARS))


def refuse_fts3_tokenizer(*args):
    refuse("fts3_tokenizer: 本站已停用此函数 (fts3_tokenizer() is disabled here: it reads and sets native pointers)")


def authorize(action, arg1, arg2, database, source) -> int:
    """SQLite's authorizer: deny reading the file column of pragma_database_list."""
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() == "pragma_database_list" \
            and (arg2 or "").lower() == "file":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def register(conn: sqlite3.Connection, database: str, datasette) -> None:
    """Everything above on one of Datasette's connections (the prepare_connection hook)."""
    def semantic_search(text, k=None):
        text, k = text_argument("semantic_search", text, MAX_QUERY_CHARS), k_argument(k)
        base = casebase.current(datasette)
        if base.database != database:
            refuse("semantic_search: 这个数据库没有语义索引 (no semantic index for this database)")
        if base.searcher is None:
            refuse(f"semantic_search: 搜索索引不可用：{base.error}")
        hits = base.searcher.semantic(text, k)
        return json.dumps([{"case_id": c, "passage_id": p, "score": round(s, 4)} for c, p, s in hits],
                          ensure_ascii=False)

    conn.create_function("jieba_cut", 1, jieba_cut, deterministic=True)
    conn.create_function("fts_query", 1, fts_query, deterministic=True)
    # deterministic: called with the same arguments on every row, it is encoded once per statement
    conn.create_function("semantic_search", 2, semantic_search, deterministic=True)
    conn.create_function("semantic_search", 1, semantic_search, deterministic=True)
    # Application-defined functions take precedence over SQLite's built-in ones of the same name and
    # number of arguments (tests/test_hardening_web.py checks both forms).
    conn.create_function("fts3_tokenizer", 1, refuse_fts3_tokenizer)
    conn.create_function("fts3_tokenizer", 2, refuse_fts3_tokenizer)
    conn.set_authorizer(authorize)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_SQL_VALUE_BYTES)


class ContextExecutor:
    """Datasette's executor, running each job in a copy of the submitting request's context, so a
    SQL function on one of Datasette's threads can leave its refusal for that request (REFUSALS)."""

    def __init__(self, executor):
        self._executor = executor

    def submit(self, fn, /, *args, **kwargs):
        return self._executor.submit(contextvars.copy_context().run, fn, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._executor, name)


def relay_refusals(datasette) -> None:
    """Wrap Datasette's SQL executor in ContextExecutor (once; in the startup hook)."""
    if datasette.executor is not None and not isinstance(datasette.executor, ContextExecutor):
        datasette.executor = ContextExecutor(datasette.executor)
