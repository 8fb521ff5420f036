"""Which cases a pack or a comparison is about: explicit ids, a search, a domain or a mechanism.

The CLI (`casekb export`) and the web routes (/-/pack, /-/compare) resolve their
parameters here, so both accept the same selections and give the same errors, each
naming the parameter to change.
"""
import re
import sqlite3

from index.filters import allowed_cases
from index.search import SearchError
from kbcore.limits import MAX_PACK_CASES
from kbcore.schema import CASE_KINDS

FILTERS = ("domain", "mechanism", "region", "kind", "status")  # what a search can be narrowed by


class SelectionError(ValueError):
    """A selection the user must change; the message names the parameter."""


def parse_ids(value) -> list[str]:
    """'a, b，c' or ['a', 'b'] -> ['a', 'b', 'c'], order kept, repeats dropped."""
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,，\s]+", value or "")
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))


def select_cases(conn: sqlite3.Connection, ids=None, query: str | None = None, domain: str | None = None,
                 mechanism: str | None = None, region: str | None = None, kind: str | None = None,
                 status: str | None = None, searcher=None, limit: int = 20, ids_param: str = "ids",
                 reasons: dict | None = None) -> list[str]:
    """Case ids in reading order.

    ids: exactly these, in this order. query: the best `limit` search results, the other
    arguments filtering them. domain/mechanism alone: every case with that tag, full
    texts first, cases before prefaces and essays. Errors about ids name `ids_param`
    (the web comparison calls it `cases`). A `reasons` dict is filled with why each case was
    chosen (the search's words for a query), for the search report.
    """
    ids = parse_ids(ids)
    if ids:
        if query or domain or mechanism:
            raise SelectionError(f"{ids_param}: 指定案例编号时不能同时使用 query、domain 或 mechanism "
                                 "(give ids alone, or a query/domain/mechanism)")
        return _existing(conn, ids, ids_param)
    if query:
        if searcher is None:
            raise SelectionError("query: 搜索索引不可用 (the search index is not loaded)")
        try:
            results = searcher.search(query, limit=limit, domain=domain, mechanism=mechanism, region=region,
                                      kind=kind, status=status, conn=conn)
        except SearchError as e:
            raise SelectionError(str(e)) from e
        if reasons is not None:
            reasons.update({r["case_id"]: r.get("why") or "" for r in results})
        return [r["case_id"] for r in results]
    if not (domain or mechanism):
        raise SelectionError("ids/query/domain/mechanism: 请指定案例编号、搜索词、领域或机制之一 "
                             "(choose cases by ids, query, domain or mechanism)")
    try:
        allowed = allowed_cases(conn, domain=domain, mechanism=mechanism, region=region, kind=kind, status=status)
    except SearchError as e:
        raise SelectionError(str(e)) from e
    return _reading_order(conn, allowed)


def pack_too_large(count: int) -> str | None:
    """What a page offering the pack of `count` cases says instead, when that is more than a pack holds."""
    if count <= MAX_PACK_CASES:
        return None
    return (f"这里共{count}个案例与文献，一个课程包最多{MAX_PACK_CASES}个，不能整体下载：请在搜索中加上地区、"
            "类型等筛选条件，或用搜索词只取最相关的案例，再生成课程包。")


def select_pack_cases(conn: sqlite3.Connection, searcher=None, limit: int = 20, **selection) -> list[str]:
    """select_cases() for a course pack, from the web or the CLI alike: at most MAX_PACK_CASES, since a
    domain or a mechanism of a large library may hold more; the error says how to narrow it."""
    case_ids = select_cases(conn, searcher=searcher, limit=limit, **selection)
    if len(case_ids) > MAX_PACK_CASES:
        raise SelectionError(f"domain/mechanism: 一个课程包最多{MAX_PACK_CASES}个案例，所选共{len(case_ids)}个，"
                             "请加上 region、kind 或 status 缩小范围，或用 q 只取最相关的案例 "
                             f"(at most {MAX_PACK_CASES} cases in a pack; the selection has {len(case_ids)}: "
                             "narrow it with region, kind or status, or add q for the best matches)")
    return case_ids


def _existing(conn, ids: list[str], param: str) -> list[str]:
    if len(ids) > MAX_PACK_CASES:
        raise SelectionError(f"{param}: 最多{MAX_PACK_CASES}个案例 (at most {MAX_PACK_CASES} cases, got {len(ids)})")
    known = {cid for (cid,) in conn.execute(
        f"select id from cases where id in ({','.join('?' * len(ids))})", ids)}
    unknown = [cid for cid in ids if cid not in known]
    if unknown:
        raise SelectionError(f"{param}: 没有这些案例编号 {'、'.join(unknown)} (unknown case ids)")
    return ids


def _reading_order(conn, case_ids) -> list[str]:
    rows = conn.execute("select id, status, kind, source_id, number from cases").fetchall()
    chosen = [r for r in rows if r[0] in case_ids]
    chosen.sort(key=lambda r: (r[1] != "full_text", r[2] not in CASE_KINDS, r[3], r[4] or 0, r[0]))
    return [r[0] for r in chosen]

