"""The filters a search can be narrowed by (domain, region, kind, status, mechanism)."""
from .query import SearchError


def allowed_cases(conn, domain=None, region=None, kind=None, status=None, mechanism=None) -> set[str] | None:
    """Case ids passing the filters (None: no filter). Unknown filter values are errors."""
    clauses, params = [], []
    for name, value, sql, valid in (
            ("domain", domain, "id in (select case_id from case_domains where domain = ?)",
             "select id from domains"),
            ("kind", kind, "kind = ?", "select distinct kind from cases"),
            ("status", status, "status = ?", "select distinct status from cases"),
            ("mechanism", mechanism, "id in (select case_id from case_mechanisms where mechanism = ?)",
             "select id from mechanisms"),
            ("region", region, "(region = ? or province = ?)", None)):
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
