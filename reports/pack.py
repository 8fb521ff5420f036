"""A course pack as one typed record (CoursePack): cover, cases, comparison table, sources.

The renderers (Markdown, printable HTML, DOCX, the search report) only lay this record out, so every
format carries the same cases, citations and notes about missing text; a new renderer reads the
fields below, not another renderer.
"""
import datetime
import sqlite3
from dataclasses import dataclass, field

from kbcore.schema import CASE_KINDS, OTHER_DOCUMENTS_LABEL, STATUS_LABELS, TITLE_ONLY_NOTE, kind_label

from .cases import mechanism_matrix, read_cases, rows
from .citation import gbt7714, source_reference

DEFAULT_TITLE = "基层治理案例课程包"
MATRIX_NOTE = "列为案例目录中的序号；✓ 表示在案例文本或标题中检测到该机制。未列出的案例未检测到任何机制。"
NO_MECHANISMS = "所选案例中未检测到治理机制。"
TITLE_ONLY_HEADING = "仅有标题的案例（正文缺失）"
TITLE_ONLY_INTRO = "以下案例在源文本中只有标题（及章节、页码），正文缺失，故合并列在这里，不单独成页。"


@dataclass
class SearchRecord:
    """How the cases of a pack were found, for the search report (检索报告): the question, the filters,
    when the search ran and why each case matched."""
    query: str = ""
    filters: dict[str, str] = field(default_factory=dict)   # 领域/机制/地区/类型/正文 label -> value
    run_at: str = ""                                        # when it ran, ISO 8601 with its time zone
    reasons: dict[str, str] = field(default_factory=dict)   # case id -> why it matched, in words


@dataclass
class CoursePack:
    """Everything a pack shows, its sentences included. Each case is a reports.cases.read_case() record
    plus n (its number in the pack), place, body_passages, missing_note, meta ((label, value) lines) and
    list_line."""
    title: str
    date: str                       # YYYY-MM-DD
    selection: str                  # how the cases were chosen, in words ("" when not said)
    dateline: str                   # 生成日期 … · 选取方式 …
    cases: list[dict]               # every case, in pack order
    case_pages: list[dict]          # the cases with a page of their own
    title_only_list: list[dict]     # title-only cases listed together on one page
    title_only_heading: str
    title_only_intro: str
    title_only: int                 # how many cases have only a title
    summary: str                    # the cover's line: 共 N 个案例…
    matrix_cases: list[dict]        # the cases with a column in the mechanism table
    matrix: list[dict]              # reports.cases.mechanism_matrix() rows
    matrix_note: str
    sources: list[dict]             # source rows, each with its GB/T 7714 `reference` and `entry`
    search: SearchRecord = field(default_factory=SearchRecord)


def course_pack(conn: sqlite3.Connection, case_ids: list[str], title: str | None = None,
                selection: str = "", date: datetime.date | None = None, title_only_together: bool = False,
                search: SearchRecord | None = None) -> CoursePack:
    """Everything a pack shows; `selection` says in words how the cases were chosen, `search` how a
    search found them. The renderers add layout only.

    Every case has a page (`case_pages`), unless `title_only_together`: then the cases whose text the
    source lacks are listed on one page (`title_only_list`) instead of an almost empty page each."""
    cases = read_cases(conn, case_ids)
    for n, case in enumerate(cases, 1):
        case["n"] = n
        case["place"] = case["region"] or "全国"
        case["body_passages"] = [p for p in case["passages"] if p["field"] == "body"]
        case["missing_note"] = TITLE_ONLY_NOTE if case["status"] == "title_only" else None
        case["meta"] = case_meta(case)
        case["list_line"] = "；".join(value for label, value in case["meta"] if label in ("类型", "参考文献"))
    source_ids = list(dict.fromkeys(c["source_id"] for c in cases))
    # Only cases with a detected mechanism get a column: title-only cases would be empty ones.
    matrix_cases = [c for c in cases if c["mechanism_evidence"]]
    date = (date or datetime.date.today()).isoformat()
    return CoursePack(
        title=(title or "").strip() or DEFAULT_TITLE,
        date=date,
        selection=selection,
        dateline=f"生成日期：{date}" + (f" · 选取方式：{selection}" if selection else ""),
        cases=cases,
        case_pages=[c for c in cases if not (title_only_together and c["status"] == "title_only")],
        title_only_list=[c for c in cases if title_only_together and c["status"] == "title_only"],
        title_only_heading=TITLE_ONLY_HEADING,
        title_only_intro=TITLE_ONLY_INTRO,
        title_only=sum(c["status"] == "title_only" for c in cases),
        summary=summary(cases),
        matrix_cases=matrix_cases,
        matrix=mechanism_matrix(matrix_cases),
        matrix_note=MATRIX_NOTE if matrix_cases else NO_MECHANISMS,
        sources=list({s["id"]: s for s in (_source(conn, sid) for sid in source_ids)}.values()),
        search=search or SearchRecord(),
    )


def summary(cases: list[dict]) -> str:
    """One line for the cover: how many cases, how many other documents, how many without text."""
    real = [c for c in cases if c["kind"] in CASE_KINDS]
    text = f"共 {len(real)} 个案例"
    if len(real) < len(cases):
        text = f"共 {len(cases)} 篇：{len(real)} 个案例，{len(cases) - len(real)} 篇{OTHER_DOCUMENTS_LABEL}"
    title_only = sum(c["status"] == "title_only" for c in cases)
    return text + (f"；其中 {title_only} 个在源文本中仅有标题、正文缺失。" if title_only else "。")


def case_meta(case: dict) -> list[tuple[str, str]]:
    """(label, value) lines under a case heading; shared by every format."""
    where = case["place"]
    if case["province"] and case["province"] != case["region"]:
        where += f"（{case['province']}）"
    kind = kind_label(case["kind"])
    if case["chapter"]:
        kind += f" · {case['chapter']}"
    if case["page"]:
        kind += f" · 第{case['page']}页"
    return [("地区", where), ("类型", kind), ("出处", case["citation"]), ("参考文献", case["reference"]),
            ("领域", "、".join(case["domain_tags"]) or "—"),
            ("机制", "、".join(m["id"] for m in case["mechanism_evidence"]) or "—"),
            ("关键数字", "；".join(_figure(f) for f in case["figures"]) or "—"),
            ("案例编号", case["id"])]


def _figure(figure: dict) -> str:
    change = f"（{figure['change']}）" if figure["change"] else ""
    return f"“{figure['shown']}”{change}"


def _source(conn, source_id: str) -> dict:
    source = rows(conn, "select * from sources where id = ?", [source_id])[0]
    if source.get("part_of"):  # case texts supplied apart from their book: the book is the source
        source = rows(conn, "select * from sources where id = ?", [source["part_of"]])[0]
    source["reference"] = gbt7714(source_reference(source))  # GB/T 7714-2015
    source["entry"] = source["reference"] + (f" 说明：{source['note']}" if source["note"] else "")
    return source


FILTER_LABELS = {"domain": "领域", "mechanism": "机制", "region": "地区", "kind": "类型", "status": "正文"}


def filters_in_words(**filters) -> dict[str, str]:
    """{label: value} of the filters given, coded values in words: {"领域": "社区治理", "正文": "有正文"}."""
    shown = {"kind": kind_label, "status": lambda s: STATUS_LABELS.get(s, s)}
    return {label: shown.get(key, str)(filters[key]) for key, label in FILTER_LABELS.items() if filters.get(key)}


def describe_selection(ids=None, query=None, domain=None, mechanism=None, region=None, kind=None,
                       status=None) -> str:
    """The selection in words for the cover: 检索“社区减负”，领域：社区治理."""
    parts = []
    if query:
        parts.append(f"检索“{query}”")
    if ids:
        parts.append("指定案例")
    words = filters_in_words(domain=domain, mechanism=mechanism, region=region, kind=kind, status=status)
    parts += [f"{label}：{value}" for label, value in words.items()]
    return "，".join(parts)


def search_record(query=None, reasons: dict | None = None, now: datetime.datetime | None = None,
                  **filters) -> SearchRecord:
    """The search behind a pack, as the search report states it; `now` defaults to this moment (local time)."""
    now = now or datetime.datetime.now(datetime.timezone.utc).astimezone()
    return SearchRecord(query=query or "", filters=filters_in_words(**filters),
                        run_at=now.isoformat(timespec="seconds"), reasons=dict(reasons or {}))
