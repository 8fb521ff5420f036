"""The filters a search can be narrowed by (domain, region, kind, status, mechanism), as one record."""
from typing import NamedTuple

from .query import SearchError


class Filters(NamedTuple):
    """What a search is narrowed to; None (or empty) is no filter on that field."""
    domain: str | None = None
    region: str | None = None
    kind: str | None = None
    status: str | None = None
    mechanism: str | None = None

    def any(self) -> bool:
        return any(self)

    def named(self) -> dict:
        """The filters set, by name (the note and suggestions of an empty answer read them)."""
        return {k: v for k, v in self._asdict().items() if v}


def allowed_cases(conn, filters: Filters | None = None, **values) -> set[str] | None:
    """Case ids passing the filters (None: no filter), given as a Filters record or by name.
    Unknown filter values are errors."""
    filters = filters or Filters(**values)
    clauses, params = [], []
    for name, value, sql, valid in (
            ("domain", filters.domain, "id in (select case_id from case_domains where domain = ?)",
             "select id from domains"),
            ("kind", filters.kind, "kind = ?", "select distinct kind from cases"),
            ("status", filters.status, "status = ?", "select distinct status from cases"),
            ("mechanism", filters.mechanism, "id in (select case_id from case_mechanisms where mechanism = ?)",
             "select id from mechanisms"),
            ("region", filters.region, "(region = ? or province = ?)", None)):
        if not value:
            continue
        if valid and value not in {v for (v,) in conn.execute(valid)}:
            options = "、".join(sorted(v for (v,) in conn.execute(valid)))
            raise SearchError(f"{name}: 未知的取值 {value!r} (unknown {name}; one of: {options})")
        clauses.append(sql)
        params += [value] * sql.count("?")
    if not clauses:
        return None
    return {cid for (cid,) in conn.execute(f"select id from cases where {' and '.join(clauses)}", params)}
