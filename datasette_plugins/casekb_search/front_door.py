"""The Chinese front door: what the translated templates need from the case base.

`casekb serve` serves Datasette with `--template-dir datasette_plugins/templates_zh` (casekb/serve.py):
those templates replace Datasette's English pages and add a navigation bar to every page. They read
these variables; without the template folder they are simply unused.

Every page gets `zh`: the stylesheet, the 数据表与SQL link (when the actor may see the database),
Chinese names of databases and tables (metadata.yml titles) for breadcrumbs, Chinese names of
Datasette's filter operators, the labels of coded values (kinds and statuses, from kbcore.schema),
and which long text columns a table page cuts. The home page adds `home` (example questions, the
coverage of the data in numbers read from the database, the entries); the search page adds
`search_help` (the examples, the query length limit, a link to browse by filters alone).
"""
import re
from urllib.parse import urlencode

from kbcore.limits import MAX_COMPARED, MAX_QUERY_CHARS
from kbcore.schema import KIND_LABELS, STATUS_LABELS

from . import casebase
from .access import can_read
from .exports import CSV_BOM
from .kept import overview_data
from .overview import READS as OVERVIEW_READS
from .web import ERROR_TITLES, PLUGIN, SCRIPT, cases_url, in_users_words, stylesheet_url

# Questions an official might type, offered as links on the home page and the search page
# (a test checks that each one finds cases).
EXAMPLES = ("小区里到处是垃圾怎么办", "社区工作负担太重，怎么减负", "村里的事怎么让村民自己商量", "两份清单")

# Columns whose full text belongs on the row page: table pages show their first CUT characters.
LONG_COLUMNS = frozenset({"body", "body_original", "comment", "comment_original", "text_original",
                          "text_seg", "title_seg", "evidence", "residue_removed"})
CUT = 30

# A column's Chinese label is its metadata.yml description up to the first bracket, colon or arrow
# ("案例编号（稳定：…）" -> 案例编号); a view whose columns are its table's reads that table's descriptions.
_LABEL_END = re.compile(r"[（(：:→；;]")
SAME_COLUMNS = {"real_cases": "cases"}
# The database page lists what people use first; the rest keep metadata.yml's order.
FIRST_TABLES = ("cases", "passages", "sources")

# Tables whose `kind` and `status` columns hold the codes of kbcore.schema.
CODED_TABLES = frozenset({"cases", "real_cases"})
CODED_COLUMNS = {"kind": KIND_LABELS, "status": STATUS_LABELS}

# Datasette's filter operators (datasette/filters.py keys), as the filter form names them.
LOOKUPS = {
    "exact": "等于", "not": "不等于", "contains": "包含", "endswith": "结尾是", "startswith": "开头是",
    "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "like": "like 匹配", "notlike": "不 like 匹配",
    "glob": "glob 匹配", "in": "属于（逗号分隔）", "notin": "不属于（逗号分隔）", "arraycontains": "数组包含",
    "arraynotcontains": "数组不包含", "date": "日期是", "isnull": "为空值（null）", "notnull": "不为空值",
    "isblank": "为空", "notblank": "不为空",
}
NO_ARGUMENT = frozenset({"isnull", "notnull", "isblank", "notblank"})

# Datasette's error titles and messages (datasette/views, datasette/app.py), as the error page says them.
ERRORS = {
    "404": "找不到这个页面", "Database not found": "找不到这个页面", "Table not found": "找不到这个数据表",
    "Record not found": "找不到这条记录", "No data": "没有数据", "Invalid SQL": "SQL 语句有误",
    "Permission denied": "无权访问", "You do not have permission to view this table": "无权查看这个数据表",
    "You do not have permission to view this database": "无权查看这个数据库",
    "You do not have permission to view this query": "无权查看这个查询",
    "view-instance": "无权访问本站", "Database download is forbidden": "不允许下载数据库",
    "Cannot use _sort and _sort_desc at the same time": "不能同时使用 _sort 和 _sort_desc",
}
# Datasette's messages that end with a value (a column name, a number): their fixed start in Chinese.
ERROR_STARTS = {"Cannot sort table by ": "无法按这一列排序：", "_size must be <= ": "_size 最大为 ",
                "_size must be a positive integer": "_size 必须是正整数",
                "_facet= is not allowed": "不允许使用 _facet=",
                "Table not found: ": "找不到这个数据表：", "Row not found: ": "找不到这条记录："}
# Output formats as the export links name them (renderers: Datasette's json, the plugin's csv_bom).
FORMAT_LABELS = {"json": "JSON", CSV_BOM: "Excel 用 CSV（UTF-8 带 BOM）"}


class Chinese:
    """The `zh` template variable."""

    def __init__(self, datasette, database: str | None, view_name: str | None, data_url: str | None):
        self._datasette = datasette
        self._database = database
        self.stylesheet = stylesheet_url(datasette)
        self.script = datasette.urls.static_plugins(PLUGIN, SCRIPT)  # the basket and the filters (casekb.js)
        base = casebase.current(datasette).database
        self.case_url = datasette.urls.table(base, "cases") + "/" if base else ""
        self.max_compared = MAX_COMPARED
        self.data_url = data_url
        self.lookups = LOOKUPS
        self.cut = CUT if view_name == "table" else 0  # row pages show everything
        self.long_columns = LONG_COLUMNS
        self.csv_bom = CSV_BOM

    def label(self, database: str, table: str | None = None) -> str:
        """The Chinese title metadata.yml gives a database or table, else its name."""
        title = self._datasette.metadata("title", database=database, table=table, fallback=False)
        return title or table or database

    def description(self, database: str, table: str) -> str:
        return self._datasette.metadata("description", database=database, table=table, fallback=False) or ""

    def column_label(self, database: str | None, table: str | None, column: str) -> str:
        """A column in the users' words: the start of its metadata description, else its name."""
        if not (database and table):
            return column
        columns = self._datasette.metadata("columns", database=database, table=SAME_COLUMNS.get(table, table),
                                           fallback=False) or {}
        label = _LABEL_END.split(columns.get(column) or "", 1)[0].strip()
        return label if label and " / " not in label else column

    def ordered_tables(self, database: str, tables: list) -> list:
        """The database page's tables: cases, passages and sources first, then metadata.yml's order."""
        listed = list(self._datasette.metadata("tables", database=database, fallback=False) or {})
        rank = {name: i for i, name in enumerate(dict.fromkeys([*FIRST_TABLES, *listed]))}
        return sorted(tables, key=lambda t: (rank.get(t["name"], len(rank)), t["name"]))

    def describe(self, table: str | None, filters, search: str | None, sort: str | None, sort_desc: str | None,
                 extra_wheres: int = 0) -> str:
        """What a table page shows, in words: Datasette's human_description_en in Chinese."""
        bits = [f"全文搜索“{search}”"] if search else []
        for column, lookup, value in filters.selections():
            op = {"in": "属于", "notin": "不属于"}.get(lookup) or LOOKUPS.get(lookup, lookup)  # in a sentence
            name = self.column_label(self._database, table, column)
            codes = self.coded(table, column)
            if codes and lookup in ("in", "notin"):  # kind 属于 book_case,journal_case -> 文献类型 属于 书中案例、…
                shown = "、".join(codes.get(v.strip(), v.strip()) for v in str(value).split(","))
            else:
                label = codes.get(value)
                shown = f"“{value}”" + (f"（{label}）" if label else "")
            bits.append(f"{name} {op}" if lookup in NO_ARGUMENT else f"{name} {op} {shown}")
        if extra_wheres:
            bits.append(f"另有 {extra_wheres} 个自定义 SQL 条件")
        text = "筛选条件：" + "，".join(bits) if bits else ""
        if sort or sort_desc:
            shown = self.column_label(self._database, table, sort or sort_desc)
            text += ("；" if text else "") + f"按{shown}{'降序' if sort_desc else '升序'}排列"
        return text

    def coded(self, table: str | None, column: str) -> dict:
        """{code: label} for a column holding kbcore.schema codes, else {}."""
        return CODED_COLUMNS.get(column, {}) if table in CODED_TABLES else {}

    def error(self, text) -> str:
        """A Datasette error title or message in Chinese (others, such as SQLite's, as they are)."""
        text = "" if text is None else text
        if str(text) in ERRORS:
            return ERRORS[str(text)]
        for start, chinese in ERROR_STARTS.items():
            if str(text).startswith(start):
                return chinese + str(text)[len(start):]
        for end in (" - invalid columns",):  # _col=a, b - invalid columns
            if str(text).endswith(end):
                return "这些列不存在：" + str(text)[:-len(end)]
        return in_users_words(text)

    def status_title(self, status) -> str:
        return f"{ERROR_TITLES.get(status, '出错了')}（{status}）"

    def format_label(self, name: str) -> str:
        return FORMAT_LABELS.get(name, name)

    def lookup(self, key: str) -> str:
        return LOOKUPS.get(key, key)


def install_globals(datasette) -> None:
    """`zh` for the pages Datasette renders without the plugin hooks' variables (its 404 and 500 pages);
    every other page gets its own `zh` from template_vars()."""
    datasette.jinja_env.globals["zh"] = Chinese(datasette, None, None, None)


async def template_vars(datasette, request, template: str, database: str | None, view_name: str | None) -> dict:
    base = casebase.current(datasette)
    actor = request.actor if request else None
    data_url = None
    if base.database:
        visible, _ = await datasette.check_visibility(actor, permissions=[
            ("view-database", base.database), "view-instance"])
        data_url = datasette.urls.database(base.database) if visible else None
    found = {"zh": Chinese(datasette, database, view_name, data_url)}
    if template == "index.html":
        found["home"] = await home(datasette, actor, base, data_url)
    elif template == "casekb_search.html" and request is not None:
        found["search_help"] = search_help(datasette, request, base)
    return found


def _examples(datasette) -> list[dict]:
    return [{"q": q, "url": datasette.urls.path("/-/search") + "?" + urlencode({"q": q})} for q in EXAMPLES]


async def home(datasette, actor, base, data_url) -> dict:
    """The home page: examples, the coverage of the data in one sentence, the entries."""
    totals = None
    if base.database and await can_read(datasette, actor, base.database, OVERVIEW_READS):
        totals = (await overview_data(datasette))["totals"]  # the served file is fixed: counted once
    entries = [("治理机制", "/-/mechanisms", "各地用到的治理机制，每个机制的案例与证据段落"),
               ("并排比较", "/-/compare", "几个案例的地区、领域、关键数字与机制并排对照，可生成课程包"),
               ("概览", "/-/overview", "各领域、各地区的案例数和收录情况图表")]
    return {
        "search_url": datasette.urls.path("/-/search"),
        "examples": _examples(datasette),
        "totals": totals,
        "entries": [{"label": label, "url": datasette.urls.path(path), "note": note} for label, path, note in entries]
        + ([{"label": "数据表与SQL", "url": data_url, "note": "全部数据表、预设查询，可写 SQL，可下载 CSV、JSON"}]
           if data_url else []),
        "max_query_chars": MAX_QUERY_CHARS,
    }


def search_help(datasette, request, base) -> dict:
    """What the search page says around the results: examples, the length limit, and for a
    search by filters alone a link to those cases in the cases table."""
    filters = {key: (request.args.get(key) or "").strip()
               for key in ("domain", "mechanism", "region", "kind", "status")}
    chosen = {key: value for key, value in filters.items() if value}
    browse_url = cases_url(datasette, base.database, chosen) if chosen and base.database else None
    return {"examples": _examples(datasette),
            "max_query_chars": MAX_QUERY_CHARS, "filters": chosen, "browse_url": browse_url}
