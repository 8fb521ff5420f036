"""The source kinds: each segmenter on a small sample written here, and the manifest that
accepts exactly the registered kinds with the fields each one needs."""
import re
from pathlib import Path

import pytest

from ingest import IngestError
from ingest.clean import clean
from ingest.manifest import load_manifest
from ingest.segment import SOURCE_KINDS


def segment(kind: str, text: str, **entry) -> list[dict]:
    """The documents the segmenter registered for `kind` makes of text (cleaned as a build cleans it)."""
    lines, _ = clean(text, "sample.txt")
    return SOURCE_KINDS[kind].segment({"path": Path("sample.txt"), **entry}, lines)


def texts(blocks) -> list[str]:
    return [t for _, t in blocks]


BOOK = """太仓“政社互动”100例

序一

完善和发展中国特色社会主义制度、推进国家治理体系和治理能力现代化，是全面深化改革的总目标。

是为序。

（蒋昆生：民政部基层政权和社区建设司司长）

太仓的“政社互动”创新实践

陆卫其

为创新社会治理，深化基层民主建设，探索建立党领导下的充满活力的基层群众自治机制，太仓市从2008年起开展了“政社互动”的探索。

（陆卫其：中共太仓市委副书记）

目录

一 “政社互动”与政府管理 / 1

- 1动迁安置工作的“放手还权” / 3
- 2民生事务委托村(社区)来办 / 5

二 “政社互动”与公共服务 / 17

- 9 浏河镇 313 路公交线路的开通 / 21
"""


def test_book_prefaces_essay_and_contents():
    preface, overview, *cases = segment("book", BOOK)
    assert (preface["kind"], preface["title"], preface["number"], preface["author"]) == ("preface", "序一", 1, "蒋昆生")
    assert texts(preface["blocks"])[1:] == ["是为序。", "（蒋昆生：民政部基层政权和社区建设司司长）"]
    assert (overview["kind"], overview["title"], overview["author"]) == (
        "overview", "太仓的“政社互动”创新实践", "陆卫其")
    assert texts(overview["blocks"])[0].startswith("为创新社会治理")
    assert [(c["number"], c["title"], c["page"], c["chapter_no"]) for c in cases] == [
        (1, "动迁安置工作的“放手还权”", 3, 1), (2, "民生事务委托村(社区)来办", 5, 1),
        (9, "浏河镇313路公交线路的开通", 21, 2)]
    assert cases[2]["chapter_title"] == "“政社互动”与公共服务"
    assert all(c["kind"] == "book_case" and not c["blocks"] for c in cases)


# Case text in the book's layout. "25 项目意义", "26 年度考核的改变" and "27 个人信用档案" lose their
# layout space in cleaning ("25项目意义"); they are still case titles, while "2013年以来", "3个阶段"
# and "10年来的变化" are prose of case 24.
BOOK_CASES = """四 “政社互动”与基层群众自治

24 一个“明星村”的由来

村里的事情大家商量着办，每月开一次村民议事会。

2013年以来

3个阶段

10年来的变化

点评

村民自治的好例子。

25 项目意义

项目让村民得到实惠，大家都很满意。

点评：项目化运作值得推广。

26 年度考核的改变

考核由村民评议。

27 个人信用档案

每户建立信用档案。
"""


def test_book_cases_titles_starting_with_a_counter_are_cases():
    cases = segment("book_cases", BOOK_CASES)
    assert [(c["number"], c["title"]) for c in cases] == [
        (24, "一个“明星村”的由来"), (25, "项目意义"), (26, "年度考核的改变"), (27, "个人信用档案")]
    assert texts(cases[0]["blocks"]) == ["村里的事情大家商量着办，每月开一次村民议事会。",
                                         "2013年以来", "3个阶段", "10年来的变化"]
    assert texts(cases[0]["comment_blocks"]) == ["村民自治的好例子。"]
    assert texts(cases[1]["blocks"]) == ["项目让村民得到实惠，大家都很满意。"]
    assert texts(cases[1]["comment_blocks"]) == ["项目化运作值得推广。"]
    assert texts(cases[3]["blocks"]) == ["每户建立信用档案。"]
    assert {c["chapter_no"] for c in cases} == {4}


def test_book_cases_merge_into_their_book():
    kind = SOURCE_KINDS["book_cases"]
    assert kind.part_of == "book"
    book = segment("book", BOOK)
    part = segment("book_cases", "一 “政社互动”与政府管理\n\n1 动迁安置工作的“放手还权”\n\n"
                                 "镇政府把方案交给村民代表会议讨论。\n")
    merged = kind.merge(book, part, {"path": Path("part.txt")})
    one = next(d for d in merged if d["kind"] == "book_case" and d["number"] == 1)
    assert (one["page"], texts(one["blocks"])) == (3, ["镇政府把方案交给村民代表会议讨论。"])
    with pytest.raises(IngestError, match=r"part\.txt:3: duplicate case number 1"):
        kind.merge(merged, part, {"path": Path("part.txt")})


JOURNAL = """社区治理的地方创新

2015-01-30 本刊编辑部

“社区治理”——变政府的单向管理为政府行政管理与基层群众民主自治有机结合的双向互动，各地在实践中探索出了不少好做法，本刊选编七例。

案例1：太仓市“政社互动”探索实践

从2008年起，太仓市推进“政社互动”，理顺政府与自治组织的关系。

主要做法

一是制定“两份清单”，实现“政社分开”。

案例2：南京市大力推动社区减负增效

2013年以来，南京市大力推动社区减负，让社区回归自治本位。
"""


def test_journal_feature_introduction_and_numbered_cases_with_regions():
    regions = {1: {"region": "太仓市", "province": "江苏省"}, 2: {"region": "南京市", "province": "江苏省"}}
    intro, one, two = segment("journal_feature", JOURNAL, case_regions=regions)
    assert (intro["kind"], intro["title"], intro["line"]) == ("feature_intro", "编者按", 5)
    assert texts(intro["blocks"])[0].startswith("“社区治理”")
    assert [(c["kind"], c["number"], c["title"], c["region"], c["line"]) for c in (one, two)] == [
        ("journal_case", 1, "太仓市“政社互动”探索实践", "太仓市", 7),
        ("journal_case", 2, "南京市大力推动社区减负增效", "南京市", 15)]
    assert one["blocks"] == [(None, "从2008年起，太仓市推进“政社互动”，理顺政府与自治组织的关系。"),
                             ("主要做法", "一是制定“两份清单”，实现“政社分开”。")]
    assert texts(two["blocks"]) == ["2013年以来，南京市大力推动社区减负，让社区回归自治本位。"]


AWARD = """【一】张家港市—社区协商：基层法治化的新探索

信息来源：法治政府网 发布日期：2016-12-14

申报单位：张家港市人民政府

颁奖词：张家港市政府以“社区协商”为突破口，加强社区协商制度建设。

项目介绍：张家港市设立村(居)民议事会，推进基层治理法治化。

项目主要内容

张家港市政府通过社区协商促进基层治理法治化，完善社区协商制度。

项目意义

该项目激活了村/社区自治功能，推动法治政府与法治社会一体建设。
"""


def test_award_page_sections_and_labelled_paragraphs():
    (project,) = segment("award_page", AWARD, title="张家港市—社区协商")
    assert (project["kind"], project["title"], project["line"]) == (
        "award_project", "张家港市—社区协商：基层法治化的新探索", 1)
    assert [section for section, _ in project["blocks"]] == ["颁奖词", "项目介绍", "项目主要内容", "项目意义"]
    assert project["blocks"][0][1] == "张家港市政府以“社区协商”为突破口，加强社区协商制度建设。"
    (untitled,) = segment("award_page", "项目意义\n\n该项目推动了基层治理法治化。\n", title="清单上的标题")
    assert untitled["title"] == "清单上的标题"


def test_article_is_one_case_titled_by_its_first_line():
    (article,) = segment("article", "政社互动：太仓的探索与实践\n\n"
                                    "太仓市自2008年起探索“政社互动”，理顺基层政府与自治组织的关系。\n\n"
                                    "一份意见\n\n市政府出台了一份关于政社互动的意见。\n")
    assert (article["kind"], article["title"], article["line"]) == ("article", "政社互动：太仓的探索与实践", 1)
    assert article["blocks"] == [(None, "太仓市自2008年起探索“政社互动”，理顺基层政府与自治组织的关系。"),
                                 ("一份意见", "市政府出台了一份关于政社互动的意见。")]


# --- the manifest accepts exactly the registered kinds ------------------------------------------

def write_corpus(tmp_path: Path, sources: str) -> Path:
    """A corpus folder with a sources.yml and the (empty) files it names."""
    for name in re.findall(r"file: (\S+)", sources):
        (tmp_path / name).write_text("正文。", encoding="utf-8")
    (tmp_path / "sources.yml").write_text("sources:\n" + sources, encoding="utf-8")
    return tmp_path


def source(sid: str, kind: str, extra: str = "") -> str:
    return (f"  - id: {sid}\n    file: {sid}.txt\n    title: 标题\n    kind: {kind}\n    script: Simplified\n"
            + extra)


NEEDS = {"journal_feature": "    case_regions: {1: {region: 太仓市}}\n", "book_cases": "    part_of: a-book\n"}


def test_every_registered_kind_is_accepted(tmp_path):
    sources = source("a-book", "book") + "".join(source(f"s-{k}", k, NEEDS.get(k, "")) for k in SOURCE_KINDS)
    entries = load_manifest(write_corpus(tmp_path, sources))
    assert [e["kind"] for e in entries[1:]] == list(SOURCE_KINDS)
    assert entries[1 + list(SOURCE_KINDS).index("journal_feature")]["case_regions"] == {1: {"region": "太仓市"}}


def test_unknown_kind_names_the_line_and_lists_the_registered_kinds(tmp_path):
    corpus = write_corpus(tmp_path, source("one", "article") + source("two", "podcast"))
    expected = f"{corpus / 'sources.yml'}:7: unknown kind 'podcast' (expected one of {', '.join(sorted(SOURCE_KINDS))})"
    with pytest.raises(IngestError, match=re.escape(expected) + "$"):
        load_manifest(corpus)


@pytest.mark.parametrize("sources, message", [
    (source("j", "journal_feature"), ":2: kind journal_feature needs case_regions"),
    (source("b", "book") + source("c", "book_cases"), ":7: kind book_cases needs part_of"),
    (source("a", "article") + source("c", "book_cases", "    part_of: a\n"), ":7: part_of 'a' is not a book"),
    (source("j", "journal_feature", "    case_regions: [太仓市]\n"), ":7: case_regions must map each case number"),
    (source("a", "article") + source("a", "award_page"), ":7: source id 'a' is repeated (first at line 2)"),
])
def test_what_a_kind_needs_is_checked_with_the_line(tmp_path, sources, message):
    corpus = write_corpus(tmp_path, sources)
    with pytest.raises(IngestError, match=re.escape(f"{corpus / 'sources.yml'}{message}")):
        load_manifest(corpus)
