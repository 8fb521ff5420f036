"""Course packs and selections: each format reopened and read back, on the real build and on a
book chapter the test writes (a case with text and 点评 beside title-only ones)."""
import datetime
import io
import shutil
import sqlite3
from html.parser import HTMLParser

import docx
import pytest
from click.testing import CliRunner

from casekb.build import build
from casekb.cli import main
from conftest import CORPUS
from index.search import open_searcher
from reports.export import download_name, render
from reports.pack import course_pack
from reports.render_md import escape
from reports.selection import SelectionError, select_cases
from tests.samples import add_book_text

TRIO = ["mca2015-03-2", "mca2015-03-1", "mca2015-03-4"]  # 南京, 太仓, 厦门 on 社区减负
DAY = datetime.date(2026, 11, 24)


@pytest.fixture(scope="module")
def conn(built_db):
    c = sqlite3.connect(built_db)
    yield c
    c.close()


@pytest.fixture(scope="module")
def trio_pack(conn):
    return course_pack(conn, TRIO, title="社区减负：三地比较", selection="指定案例", date=DAY)


@pytest.fixture(scope="module")
def book_db(tmp_path_factory):
    """The corpus plus a written chapter of the book: case 1 gets text and a comment."""
    corpus = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, corpus)
    path = corpus.parent / "casekb.db"
    build(add_book_text(corpus), path, progress=False)
    return path


def docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    document = docx.Document(io.BytesIO(data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    tables = [[[cell.text for cell in row.cells] for row in t.rows] for t in document.tables]
    return paragraphs, tables


class _Collect(HTMLParser):
    """Visible text and every tag with a src/href/link that would fetch something."""
    def __init__(self):
        super().__init__()
        self.text, self.fetches, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag in ("script", "link", "img", "iframe") or attrs.get("src") or (
                attrs.get("href") and not attrs["href"].startswith("#")):
            self.fetches.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(data: bytes) -> _Collect:
    parser = _Collect()
    parser.feed(data.decode("utf-8"))
    return parser


# --- selection ---------------------------------------------------------------------------

def test_ids_keep_their_order_and_unknown_ids_are_named(conn):
    assert select_cases(conn, ids="mca2015-03-4, mca2015-03-2，mca2015-03-4") == ["mca2015-03-4", "mca2015-03-2"]
    with pytest.raises(SelectionError, match=r"^ids: .*no-such-case"):
        select_cases(conn, ids=["mca2015-03-1", "no-such-case"])


def test_a_selection_is_required_and_ids_do_not_mix_with_a_query(conn):
    with pytest.raises(SelectionError, match="ids/query/domain/mechanism"):
        select_cases(conn)
    with pytest.raises(SelectionError, match="^ids: "):
        select_cases(conn, ids="mca2015-03-1", domain="社区治理")


def test_mechanism_selection_puts_full_texts_and_cases_first(conn):
    ids = select_cases(conn, mechanism="社区减负")
    assert set(TRIO) <= set(ids)
    statuses = [conn.execute("select status from cases where id = ?", [i]).fetchone()[0] for i in ids]
    assert statuses == sorted(statuses)  # full_text before title_only
    with pytest.raises(SelectionError, match="^mechanism: "):
        select_cases(conn, mechanism="不存在的机制")


def test_query_selection_uses_the_search_with_its_filters(conn, built_db):
    searcher = open_searcher(built_db)
    ids = select_cases(conn, query="社区减负", mechanism="社区减负", searcher=searcher, limit=5)
    assert ids[0] == "mca2015-03-2" and set(ids) <= set(select_cases(conn, mechanism="社区减负"))
    with pytest.raises(SelectionError, match="^q: "):
        select_cases(conn, query="x" * 501, searcher=searcher)


# --- the pack record and its three formats -----------------------------------------------

def test_pack_record_cites_every_case_and_source(trio_pack):
    assert [c["id"] for c in trio_pack.cases] == TRIO
    assert [s["id"] for s in trio_pack.sources] == ["mca2015-03"]
    assert trio_pack.matrix[0]["id"] == "社区减负" and all(trio_pack.matrix[0]["cells"])
    taicang = trio_pack.cases[1]
    assert dict(taicang["meta"])["地区"] == "太仓市（江苏省）"
    assert "78项 → 28项" in dict(taicang["meta"])["关键数字"]


def test_markdown_pack(trio_pack):
    text = render(trio_pack, "md").decode("utf-8")
    assert text.startswith("# 社区减负：三地比较\n") and "生成日期：2026-11-24" in text
    assert "\n共 3 个案例。\n" in text
    for case in trio_pack.cases:
        assert f"## {case['n']}. {escape(case['title'])}" in text
        assert escape(case["citation"]) in text
    assert "取消25项工作任务、48类评比、42个机构、72项台账" in text
    assert "| 社区减负 | ✓ | ✓ | ✓ |" in text
    assert "## 来源文献\n\n1. 本刊编辑部. 社区治理的地方创新\\[J\\]. 中国民政, 2015(3)." in text  # GB/T 7714
    assert "\\1. 制定“两份清单”" in text  # a passage starting "1." does not become a list


def test_html_pack_is_self_contained_and_printable(trio_pack):
    page = parse_html(render(trio_pack, "html"))
    text = "".join(page.text)
    assert page.fetches == []  # no script, stylesheet, image or link leaving the file
    assert "@media print" in text and "page-break-before" in text
    for case in trio_pack.cases:
        assert case["title"] in text and case["citation"] in text
    assert "机制对照表" in text and "来源文献" in text


def test_docx_pack_opens_and_cites_every_case(trio_pack):
    paragraphs, tables = docx_text(render(trio_pack, "docx"))
    assert paragraphs.startswith("社区减负：三地比较\n生成日期：2026-11-24")
    for case in trio_pack.cases:
        assert f"{case['n']}. {case['title']}" in paragraphs
        assert f"出处：{case['citation']}" in paragraphs
    assert "属于自治组织依法协助事务涵盖19个政府部门28项基本公共服务" in paragraphs
    [matrix] = tables
    assert matrix[0] == ["机制", "1. 南京市", "2. 太仓市", "3. 厦门市"]
    assert ["社区减负", "✓", "✓", "✓"] in matrix
    assert ["全科社工", "✓", "", ""] in matrix
    assert "1. 本刊编辑部. 社区治理的地方创新[J]. 中国民政, 2015(3)." in paragraphs  # GB/T 7714


def test_docx_asks_for_chinese_fonts_and_language(trio_pack):
    from docx.oxml.ns import qn
    styles = docx.Document(io.BytesIO(render(trio_pack, "docx"))).styles
    for name, font in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"), ("Heading 2", "黑体")):
        fonts = styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == font and fonts.get(qn("w:eastAsiaTheme")) is None, name
    defaults = styles.element.find(qn("w:docDefaults"))
    assert [lang.get(qn("w:eastAsia")) for lang in defaults.iter(qn("w:lang"))] == ["zh-CN"]
    assert all(f.get(qn("w:eastAsiaTheme")) is None for f in defaults.iter(qn("w:rFonts")))


@pytest.mark.slow
def test_title_only_cases_say_so_and_comments_are_printed(book_db):
    with sqlite3.connect(book_db) as c:
        pack = course_pack(c, ["taicang100-001", "taicang100-002"], date=DAY)
    for fmt in ("md", "html", "docx"):
        data = render(pack, fmt)
        text = docx_text(data)[0] if fmt == "docx" else data.decode("utf-8")
        assert "专家点评" in text and "这是一个“放手还权”的例子。" in text, fmt
        assert "镇政府把方案交给村民代表会议讨论" in text, fmt
        assert "源文本中本案例仅有标题" in text, fmt  # case 2 has no text in the sources
        assert text.count("源文本中本案例仅有标题") == 1, fmt
        assert "第3页" in text and "第5页" in text, fmt
    assert pack.title_only == 1 and pack.title == "基层治理案例课程包"
    assert pack.summary == "共 2 个案例；其中 1 个在源文本中仅有标题、正文缺失。"


def test_hostile_title_is_text_in_every_format(conn):
    hostile = '<script>alert("x")</script> *强调* | 表'
    pack = course_pack(conn, ["mca2015-03-3"], title=hostile, date=DAY)
    page = parse_html(render(pack, "html"))
    assert "script" not in page.tags and hostile in "".join(page.text)
    assert "\\<script\\>" in render(pack, "md").decode("utf-8")
    assert docx_text(render(pack, "docx"))[0].startswith(hostile)
    assert "/" not in download_name(pack, "docx") and download_name(pack, "docx").endswith("-2026-11-24.docx")


# --- the command line --------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_cli_export_writes_each_format(built_db, tmp_path, fmt):
    out = tmp_path / f"pack.{fmt}"
    result = CliRunner().invoke(main, ["export", "--mechanism", "社区减负", "--format", fmt, "--out", str(out),
                                       "--title", "社区减负", "--db", str(built_db)])
    assert result.exit_code == 0, result.output
    assert "共 6 篇：4 个案例，2 篇序言、综述等文献。来源 3 种" in result.output
    data = out.read_bytes()
    text = docx_text(data)[0] if fmt == "docx" else data.decode("utf-8")
    assert "南京市大力推动社区减负增效" in text and "太仓市“政社互动”探索实践" in text


def test_cli_export_by_query_and_by_domain(built_db, tmp_path):
    out = tmp_path / "q.md"
    result = CliRunner().invoke(main, ["export", "--query", "小区里到处是垃圾怎么办", "--limit", "5", "--format", "md",
                                       "--out", str(out), "--db", str(built_db)])
    assert result.exit_code == 0, result.output
    assert "检索“小区里到处是垃圾怎么办”" in out.read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8").count("\n## ") == 1 + 5 + 2  # contents, five cases, comparison, sources
    result = CliRunner().invoke(main, ["export", "--domain", "生态建设", "--format", "md", "--out", str(out),
                                       "--db", str(built_db)])
    assert result.exit_code == 0 and "领域：生态建设" in out.read_text(encoding="utf-8")


def test_cli_export_errors_name_the_parameter_and_write_nothing(built_db, tmp_path):
    out = tmp_path / "pack.docx"
    for args, needle in ((["--domain", "火星"], "domain: "), (["--ids", "mca2015-03-1,nope"], "ids: "),
                         ([], "ids/query/domain/mechanism")):
        result = CliRunner().invoke(main, ["export", *args, "--out", str(out), "--db", str(built_db)])
        assert result.exit_code != 0 and needle in result.output, result.output
        assert not out.exists()


def test_a_pack_too_large_is_refused_from_the_cli_as_from_the_web(built_db, tmp_path, monkeypatch):
    """The pack cap lives with the selection, so `casekb export --domain` is bounded as /-/pack is."""
    import reports.selection
    monkeypatch.setattr(reports.selection, "MAX_PACK_CASES", 5)
    out = tmp_path / "pack.md"
    result = CliRunner().invoke(main, ["export", "--domain", "社区治理", "--format", "md", "--out", str(out),
                                       "--db", str(built_db)])
    assert result.exit_code != 0 and "最多5个案例" in result.output and "region" in result.output
    assert not out.exists()
    result = CliRunner().invoke(main, ["export", "--domain", "社区治理", "--region", "南京市", "--format", "md",
                                       "--out", str(out), "--db", str(built_db)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("figure, kept", [
    ({"quote": "“我们这个队50多人", "quantities": '["50多人"]', "change": None}, False),  # cut out of speech
    ({"quote": "江苏省太仓市不断改革创新，经历了3个阶段", "quantities": '["3个"]', "change": None}, False),
    ({"quote": "共有49.35%的居民群众参与了本村(社区)的“双向评估”", "quantities": '["49.35%"]', "change": None}, True),
    ({"quote": "秭归县合理划分组建2065个村落", "quantities": '["2065个"]', "change": None}, True),
    ({"quote": "由原先的7项最终确定为2项", "quantities": '["7项", "2项"]', "change": "7项 → 2项"}, True),
])
def test_key_figures_are_figures(figure, kept):
    from reports.cases import is_key_figure
    assert is_key_figure(figure) is kept


def test_a_figure_quoting_a_name_reads_with_single_inner_quotes():
    from reports.cases import nested_quotes
    assert f"“{nested_quotes('参与了本村的“双向评估”')}”" == "“参与了本村的‘双向评估’”"
