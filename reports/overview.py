"""The overview page's numbers, read from the built database, and the charts drawn from them.

Only real cases count (the real_cases view): prefaces, overviews and editors' notes are documents, not cases.
Bars are split into 有正文 / 仅有标题 everywhere, so the book's 66 title-only cases are never
mistaken for cases one can read. Each bar segment, heat-map cell and table cell links to the cases it counts
(a segment adds its status to the bar's filters), through an `href(filters)` the web layer gives.

A national library has thousands of sources and hundreds of regions: the charts show the first
SHOWN_SOURCES sources (incomplete ones first) and the SHOWN_REGIONS regions with most cases, the rest
summed in one bar, row or column that says how many it holds (the coverage view and the cases table have
them all). The numbers are read by a fixed number of grouped queries, each one pass over the real cases
(an index of `cases` holds the columns they read), whatever the number of sources.
"""
import sqlite3
from collections import defaultdict

from kbcore.schema import STATUS_LABELS

from .cases import rows as _rows
from .svg import bar_chart, heatmap

STATUS_SERIES = tuple(STATUS_LABELS.values())
COVERAGE_SERIES = (*STATUS_SERIES, "缺失")
SHOWN_SOURCES = 30  # sources on the coverage chart and its table; the others are one row
SHOWN_REGIONS = 30  # regions on the region chart, its table and the heat maps' columns; the others are one


def _matrix(pairs: list[dict], row_key: str, rows: list[str], cols: list[str]) -> dict:
    """{rows, cols, counts[i][j]} from (row, region, cases) records, in the given orders."""
    counts = [[0] * len(cols) for _ in rows]
    r_index, c_index = {r: i for i, r in enumerate(rows)}, {c: j for j, c in enumerate(cols)}
    for p in pairs:
        counts[r_index[p[row_key]]][c_index[p["region"]]] = p["cases"]
    return {"rows": rows, "cols": cols, "counts": counts}


def _ranges(numbers) -> str:
    """Case numbers as a reader writes them: {1, 2, 3, 5} -> "1—3、5"; empty -> ""."""
    spans = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return "、".join(str(a) if a == b else f"{a}—{b}" for a, b in spans)


def overview(conn: sqlite3.Connection) -> dict:
    """Everything the overview charts show, as plain records (regions and domains by case count)."""
    # Counted from the real cases outwards (cross join: that order), not by looking each tag's case up.
    by_domain = _rows(conn, """
        select d.id as domain, coalesce(x.cases, 0) as cases,
               coalesce(x.full_text, 0) as full_text, coalesce(x.title_only, 0) as title_only
        from domains d left join (
            select cd.domain, count(*) as cases, sum(c.status = 'full_text') as full_text,
                   sum(c.status = 'title_only') as title_only
            from real_cases c cross join case_domains cd on cd.case_id = c.id
            group by cd.domain) x on x.domain = d.id
        order by cases desc, d.rowid""")  # ties in the book's chapter order
    by_region = _rows(conn, """
        select coalesce(c.region, '未注明') as region, c.province, count(*) as cases,
               sum(c.status = 'full_text') as full_text, sum(c.status = 'title_only') as title_only
        from real_cases c
        group by 1 order by cases desc, region""")
    regions = [r["region"] for r in by_region]
    domain_pairs = _rows(conn, """
        select cd.domain, coalesce(c.region, '未注明') as region, count(*) as cases
        from case_domains cd join real_cases c on c.id = cd.case_id
        group by 1, 2""")
    mechanisms = _rows(conn, """
        select m.id as mechanism, coalesce(x.cases, 0) as cases
        from mechanisms m left join (
            select cm.mechanism, count(*) as cases
            from real_cases c cross join case_mechanisms cm on cm.case_id = c.id
            group by cm.mechanism) x on x.mechanism = m.id
        order by cases desc, m.id""")
    mechanism_pairs = _rows(conn, """
        select cm.mechanism, coalesce(c.region, '未注明') as region, count(*) as cases
        from case_mechanisms cm join real_cases c on c.id = cm.case_id
        group by 1, 2""")
    # A source holding more cases than it should has none missing, not a negative number.
    coverage = _rows(conn, """
        select source_id, title, kind, expected_cases as expected, bodies_present as full_text,
               title_only, max(cases_missing, 0) as missing
        from coverage order by expected_cases desc, source_id""")
    numbers = defaultdict(list)  # which case numbers are title-only or missing, where the source numbers its cases
    for source_id, number, status in conn.execute(
            "select source_id, number, status from real_cases where number is not null"):
        numbers[source_id].append((number, status))
    for c in coverage:
        numbered = numbers.get(c["source_id"], [])
        c["title_only_numbers"] = _ranges(n for n, status in numbered if status == "title_only")
        c["missing_numbers"] = _ranges(set(range(1, (c["expected"] or 0) + 1)) - {n for n, _ in numbered}
                                       ) if c["missing"] and numbered else ""
    return {
        "totals": {"cases": sum(r["cases"] for r in by_region),
                   "full_text": sum(r["full_text"] for r in by_region),
                   "title_only": sum(r["title_only"] for r in by_region),
                   "expected": sum(r["expected"] or 0 for r in coverage),
                   "missing": sum(r["missing"] or 0 for r in coverage)},
        "by_domain": by_domain,
        "by_region": by_region,
        "domain_region": _matrix(domain_pairs, "domain", [d["domain"] for d in by_domain], regions),
        "mechanism_region": _matrix(mechanism_pairs, "mechanism", [m["mechanism"] for m in mechanisms], regions),
        "coverage": coverage,
    }


def _matrix_links(matrix: dict, row_key: str, href) -> list[list]:
    """What each cell of a heat map opens: the cases of that row (domain or mechanism) in that region
    (nothing for the column of the regions not shown one by one)."""
    regions = matrix["cols"][:len(matrix["cols"]) - matrix.get("rest", 0)]
    return [[href({row_key: label, "region": col}) for col in regions] + [None] * matrix.get("rest", 0)
            for label in matrix["rows"]]


def _shown_regions(matrix: dict) -> dict:
    """The matrix with its first SHOWN_REGIONS columns, the others summed in one column (`rest`: 1)."""
    cols = matrix["cols"]
    if len(cols) <= SHOWN_REGIONS:
        return matrix
    return {"rows": matrix["rows"], "cols": [*cols[:SHOWN_REGIONS], _others(len(cols) - SHOWN_REGIONS, "个地区")],
            "counts": [[*row[:SHOWN_REGIONS], sum(row[SHOWN_REGIONS:])] for row in matrix["counts"]], "rest": 1}


def _others(n: int, unit: str) -> str:
    return f"其余{n}{unit}"


def _shown_sources(coverage: list[dict]) -> tuple[list[dict], list[dict]]:
    """(sources shown one by one: the incomplete first, at most SHOWN_SOURCES; the others), each in
    the overview's order."""
    ordered = sorted(coverage, key=lambda c: not (c["title_only"] or c["missing"]))  # stable: order kept
    return ordered[:SHOWN_SOURCES], ordered[SHOWN_SOURCES:]


def _segment_links(href, filters: dict) -> list:
    """What each segment of a bar opens: the cases with text, then the title-only ones, of that bar."""
    return [href({**filters, "status": status}) for status in STATUS_LABELS]


def _matrix_table(matrix: dict, row_key: str, row_title: str, href) -> dict:
    """The heat map as a table: one link per non-zero cell, and each row's total."""
    rows = []
    for label, counts, links in zip(matrix["rows"], matrix["counts"], _matrix_links(matrix, row_key, href)):
        cells = [{"text": n, "href": link} if n else 0 for n, link in zip(counts, links)]
        rows.append([{"text": label, "href": href({row_key: label})}, *cells, sum(counts)])
    return {"columns": [row_title, *matrix["cols"], "合计"], "rows": rows}


def _gap(c: dict) -> str:
    """The honesty note for one incomplete source, naming the case numbers when they are known."""
    title_only = f"案例{c['title_only_numbers']}" if c["title_only_numbers"] else f"{c['title_only']}例"
    missing = f"案例{c['missing_numbers']}" if c["missing_numbers"] else f"{c['missing']}例"
    parts = [f"{c['full_text']}例有正文"] if c["full_text"] else []
    if c["title_only"]:
        parts.append(f"{title_only}仅有标题" + ("、没有正文" if not c["full_text"] else ""))
    if c["missing"]:
        parts.append(f"{missing}缺失")
    return f"《{c['title']}》应有{c['expected']}例：" + "，".join(parts)


def overview_charts(data: dict, href=lambda filters: None) -> list[dict]:
    """[{id, title, caption, svg, table}] for the page; captions are one sentence, numbers from data.

    `href(filters)` is the address of the cases a bar, a heat-map cell or a table cell counts
    (filters: domain / region / mechanism / source_id); the web layer knows its URLs, this module does not.
    """
    by_domain, totals = data["by_domain"], data["totals"]
    coverage, other_sources = _shown_sources(data["coverage"])
    by_region, other_regions = data["by_region"][:SHOWN_REGIONS], data["by_region"][SHOWN_REGIONS:]
    incomplete = sum(bool(c["title_only"] or c["missing"]) for c in other_sources)
    gaps = "；".join([_gap(c) for c in coverage if c["title_only"] or c["missing"]]
                    + ([f"另有{incomplete}份来源不完整，见 coverage 视图"] if incomplete else []))
    title_only_regions = "、".join(f"{r['region']}{r['cases']}例中有{r['title_only']}例"
                                   for r in by_region if r["title_only"]) + (
        "等" if any(r["title_only"] for r in other_regions) else "")
    coverage_rows = [(c["title"], (c["full_text"], c["title_only"], c["missing"])) for c in coverage]
    coverage_links = [_segment_links(href, {"source_id": c["source_id"]}) + [None] for c in coverage]
    coverage_label_links = [href({"source_id": c["source_id"]}) for c in coverage]
    coverage_table = [[{"text": c["title"], "href": href({"source_id": c["source_id"]})}, c["expected"],
                       c["full_text"], c["title_only"], c["missing"]] for c in coverage]
    if other_sources:
        summed = [sum(c[key] or 0 for c in other_sources) for key in ("expected", "full_text", "title_only", "missing")]
        label = _others(len(other_sources), "份来源")
        coverage_rows.append((label, tuple(summed[1:])))
        coverage_links.append(None)
        coverage_label_links.append(None)
        coverage_table.append([label, *summed])
    region_rows = [(r["region"], (r["full_text"], r["title_only"])) for r in by_region]
    region_links = [_segment_links(href, {"region": r["region"]}) for r in by_region]
    region_label_links = [href({"region": r["region"]}) for r in by_region]
    region_table = [[{"text": r["region"], "href": href({"region": r["region"]})}, r["province"] or "",
                     r["full_text"], r["title_only"], r["cases"]] for r in by_region]
    if other_regions:
        summed = [sum(r[key] for r in other_regions) for key in ("full_text", "title_only", "cases")]
        label = _others(len(other_regions), "个地区")
        region_rows.append((label, tuple(summed[:2])))
        region_links.append(None)
        region_label_links.append(None)
        region_table.append([label, "", *summed])
    domain_region, mechanism_region = _shown_regions(data["domain_region"]), _shown_regions(data["mechanism_region"])
    return [{
        "id": "coverage", "title": "收录情况：应有、有正文、仅有标题、缺失",
        "caption": f"每份来源应有的案例中，多少有正文、多少只有标题、多少缺失（共应有{totals['expected']}例）"
                   + (f"：{gaps}。" if gaps else "。"),
        "svg": bar_chart(coverage_rows, "各来源的收录情况", series=COVERAGE_SERIES, total_format="应有 {} 例",
                         links=coverage_links, label_links=coverage_label_links),
        "table": {"columns": ["来源", "应有", "有正文", "仅有标题", "缺失"],
                  "rows": coverage_table
                  + [["合计", totals["expected"], totals["full_text"], totals["title_only"], totals["missing"]]]},
    }, {
        "id": "domains", "title": "各领域的案例数",
        "caption": "每个领域有多少案例（一个案例可属多个领域，故各领域相加多于案例总数）；"
                   "只有标题的书中案例，其领域取自书中章节。",
        "svg": bar_chart([(d["domain"], (d["full_text"], d["title_only"])) for d in by_domain],
                         "各领域的案例数", series=STATUS_SERIES,
                         links=[_segment_links(href, {"domain": d["domain"]}) for d in by_domain],
                         label_links=[href({"domain": d["domain"]}) for d in by_domain]),
        "table": {"columns": ["领域", "有正文", "仅有标题", "合计"],
                  "rows": [[{"text": d["domain"], "href": href({"domain": d["domain"]})},
                            d["full_text"], d["title_only"], d["cases"]]
                           for d in by_domain]},
    }, {
        "id": "regions", "title": "各地区的案例数",
        "caption": f"各市县的案例数，共{totals['cases']}例"
                   + (f"；{title_only_regions}只有标题、没有正文。" if title_only_regions else "。"),
        "svg": bar_chart(region_rows, "各地区的案例数", series=STATUS_SERIES, links=region_links,
                         label_links=region_label_links),
        "table": {"columns": ["地区", "省份", "有正文", "仅有标题", "合计"],
                  "rows": region_table + [["合计", "", totals["full_text"], totals["title_only"], totals["cases"]]]},
    }, {
        "id": "domain-region", "title": "领域 × 地区",
        "caption": "每格是某地区在某领域的案例数，颜色越深案例越多，灰色空格表示没有案例。",
        "svg": heatmap(domain_region["rows"], domain_region["cols"], domain_region["counts"], "各领域、各地区的案例数",
                       links=_matrix_links(domain_region, "domain", href)),
        "table": _matrix_table(domain_region, "domain", "领域", href),
    }, {
        "id": "mechanism-region", "title": "各地用到的治理机制",
        "caption": "每格是某城市用到该治理机制的案例数"
                   + (f"；{title_only_regions}只有标题，机制只能从标题识别，这里的数字因此偏低。"
                      if title_only_regions else "。"),
        "svg": heatmap(mechanism_region["rows"], mechanism_region["cols"], mechanism_region["counts"],
                       "各城市用到的治理机制", links=_matrix_links(mechanism_region, "mechanism", href)),
        "table": _matrix_table(mechanism_region, "mechanism", "机制", href),
    }]
