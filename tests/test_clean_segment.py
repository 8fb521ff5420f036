"""Cleaning rules and the book segmenter on small inputs the tests write."""
from pathlib import Path

import pytest

from conftest import CORPUS
from ingest import IngestError
from ingest.clean import RESIDUE_FILE, clean, load_residue
from ingest.pipeline import ingest_tables
from ingest.segment.book import merge_book_part, segment_book
from kbcore.text import normalise_width
from tests.samples import SAMPLE_CASES, add_book_text

CORPUS_RESIDUE = CORPUS / RESIDUE_FILE


def lines_of(text):
    return clean(text, "sample.txt")[0]


def test_width_and_spacing_normalised_without_changing_words():
    assert normalise_width("浏河镇 313 路公交线路") == "浏河镇313路公交线路"
    assert normalise_width("17 亩土地，１２项") == "17亩土地，12项"
    assert normalise_width("目 录") == "目录"
    assert normalise_width("太仓政社互动十年 迎来") == "太仓政社互动十年 迎来"  # a word space stays
    assert normalise_width("政社互动,太仓") == "政社互动，太仓"


def test_web_residue_is_removed_and_counted():
    text = ("高级检索\n首页\n当前位置: 首页 -> 正文\n?\n正文第一段，内容完整。\n图片说明(网络配图)\n"
            "正文第二段。\n猜你喜歡\n链接一\n91香蕉高清-人人爽")
    lines, removed = clean(text, "page.txt", load_residue(CORPUS_RESIDUE))
    assert [t for _, t in lines] == ["正文第一段，内容完整。", "正文第二段。"]
    assert removed["site_navigation"] == 3 and removed["image_caption"] == 1
    assert removed["stray_question_mark"] == 1 and removed["related_links"] == 3


def test_line_numbers_survive_cleaning():
    lines, _ = clean("首页\n\n第一段。\n\n第二段。", "x.txt", load_residue(CORPUS_RESIDUE))
    assert lines == [(3, "第一段。"), (5, "第二段。")]


def test_page_break_duplicate_and_broken_paragraph():
    text = ("全书辅之以专家点评，便于人们把握“政社互动”个案中蕴含的推广价值和操作办法。\n\n"
            "法,为各地学习、借鉴提供了有益向导。\n\n"
            "在进一步扩大社会参与方面，主要是积极推进“三社联动”，促进社区、\n\n社会组织之间的资源共享。")
    out = [t for _, t in lines_of(text)]
    assert out == ["全书辅之以专家点评，便于人们把握“政社互动”个案中蕴含的推广价值和操作办法，"
                   "为各地学习、借鉴提供了有益向导。",
                   "在进一步扩大社会参与方面，主要是积极推进“三社联动”，促进社区、社会组织之间的资源共享。"]


def test_garbled_gbk_run_is_repaired_and_losses_marked():
    lines, removed = clean("可以“一人多職”?!耙婚L八員”的設置，一方面", "j.txt")
    assert lines[0][1] == "可以“一人多職”□一長八員”的設置，一方面"
    assert removed["garbled_text_repaired"] == 1


def test_book_segmenter_reads_case_text_in_the_book_layout(tmp_path):
    docs = segment_book({"path": tmp_path / "cases.txt"}, lines_of(SAMPLE_CASES))
    one, new = docs
    assert (one["number"], one["title"], one["chapter_no"]) == (1, "动迁安置工作的“放手还权”", 1)
    assert [t for _, t in one["blocks"]] == ["2010年，某镇启动动迁安置工作，村民对补偿方案有意见。",
                                             "镇政府把方案交给村民代表会议讨论，由村委会组织协商。"]
    assert [t for _, t in one["comment_blocks"]] == ["这是一个“放手还权”的例子。"]
    assert (new["number"], new["title"]) == (67, "一个新的案例")
    assert [t for _, t in new["comment_blocks"]] == ["议事会让居民自己定规矩。"]


def test_duplicate_case_text_is_an_error_with_line(tmp_path):
    text = SAMPLE_CASES + "\n1 动迁安置工作的“放手还权”\n\n又一段正文，重复了编号。\n"
    with pytest.raises(IngestError, match=r"cases\.txt:19: duplicate case number 1 as case text \(first at line 3\)"):
        segment_book({"path": Path("cases.txt")}, lines_of(text))


def test_dropping_a_case_file_in_corpus_adds_bodies_and_new_cases(corpus_copy):
    add_book_text(corpus_copy)
    tables, summary = ingest_tables(corpus_copy)
    cases = {c["id"]: c for c in tables["cases"]}
    one = cases["taicang100-001"]
    assert one["status"] == "full_text" and one["page"] == 3 and "补偿方案" in one["body"]
    assert one["comment"] == "这是一个“放手还权”的例子。"
    assert cases["taicang100-067"]["title"] == "一个新的案例"
    assert summary.title_only_cases == 65
    comment_passages = [p for p in tables["passages"] if p["case_id"] == "taicang100-001" and p["field"] == "comment"]
    assert comment_passages
    assert one["comment"][comment_passages[0]["start"]:comment_passages[0]["end"]] == comment_passages[0]["text"]


def test_merge_refuses_a_second_text_for_the_same_case(tmp_path):
    docs = segment_book({"path": tmp_path / "a.txt"}, lines_of(SAMPLE_CASES))
    again = segment_book({"path": tmp_path / "b.txt"}, lines_of(SAMPLE_CASES))
    with pytest.raises(IngestError, match=r"b\.txt:3: duplicate case number 1"):
        merge_book_part(docs, again, {"path": tmp_path / "b.txt"})


def test_a_case_heading_with_a_comma_is_not_run_into_its_first_paragraph():
    """A long or comma'd heading is not prose broken by the layout: its case keeps its title."""
    lines, _ = clean("案例1：以党建引领，推动社区治理\n社区党委牵头成立议事会，居民每月议事一次。\n", "x.txt")
    assert [text for _, text in lines] == ["案例1：以党建引领，推动社区治理",
                                           "社区党委牵头成立议事会，居民每月议事一次。"]
