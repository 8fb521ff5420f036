"""Ingest on the test corpus (tests/fixtures/corpus): cleaning, segmentation, conversion, schema, stable ids."""
import sqlite3

import pytest
import sqlite_utils

from casekb.build import build
from conftest import CORPUS
from ingest.pipeline import ingest_tables
from ingest.records import case_id, case_rows, citation
from ingest.segment.documents import document
from kbcore.schema import DOCUMENT_KINDS

SPAM = ["91香蕉", "人人爽", "猜你喜", "网络配图", "網絡配圖", "高级检索", "当前位置"]


@pytest.fixture(scope="module")
def db(built_db):
    return sqlite_utils.Database(built_db)


def case(db, cid):
    return db.table("cases").get(cid)


def test_book_toc_becomes_66_title_only_cases(db):
    rows = list(db.query("select * from cases where kind = 'book_case' order by number"))
    assert [r["number"] for r in rows] == list(range(1, 67))
    assert all(r["status"] == "title_only" and r["body"] == "" for r in rows)
    c9 = case(db, "taicang100-009")
    assert c9["title"] == "浏河镇313路公交线路的开通"
    assert (c9["chapter_no"], c9["page"]) == (2, 21)
    assert c9["chapter"] == "二 “政社互动”与公共服务"
    assert case(db, "taicang100-025")["title"] == "17亩土地的权属"
    assert case(db, "taicang100-066")["chapter"].startswith("八 ")
    assert case(db, "taicang100-045")["chapter"] == "六 “政社互动”与生态建设"


def test_prefaces_and_overview_are_documents_with_authors(db):
    p1, p2, ov = (case(db, i) for i in ("taicang100-preface1", "taicang100-preface2", "taicang100-overview"))
    assert (p1["author"], p2["author"], ov["author"]) == ("蒋昆生", "史卫民", "陆卫其")
    assert ov["title"] == "太仓的“政社互动”创新实践"
    assert p1["body"].startswith("完善和发展中国特色社会主义制度")
    assert p1["body"].endswith("\n是为序。\n(蒋昆生：民政部基层政权和社区建设司司长)")  # the signature, its own line
    # the page break duplicated "法," : it is gone and the sentence is whole again
    assert "\n法，为各地学习" not in p1["body"] and "操作办法，为各地学习、借鉴" in p1["body"]
    # a paragraph broken by the page is one paragraph again
    assert "促进社区、社会组织、社会工作人才队伍" in p1["body"]
    assert "[TAI CANG" not in ov["body"] and "目录" not in ov["body"]


def test_journal_feature_seven_cases_with_regions_in_simplified(db):
    rows = list(db.query("select * from cases where kind = 'journal_case' order by number"))
    assert [(r["region"], r["province"]) for r in rows] == [
        ("太仓市", "江苏省"), ("南京市", "江苏省"), ("上海市", "上海市"), ("厦门市", "福建省"),
        ("德清县", "浙江省"), ("秭归县", "湖北省"), ("成都市", "四川省")]
    nanjing = rows[1]
    assert nanjing["title"] == "南京市大力推动社区减负增效"
    assert nanjing["title_original"] == "南京市大力推動社區減負增效"
    assert "社区减负" in nanjing["body"] and "社區減負" in nanjing["body_original"]
    assert "黉门街社区" in rows[6]["title"]
    assert len(nanjing["body"]) == len(nanjing["body_original"])


def test_award_page_sections_are_passage_boundaries(db):
    zjg = case(db, "zjg-award")
    assert zjg["region"] == "张家港市" and zjg["title"].startswith("张家港市—社区协商")
    sections = [s for (s,) in db.execute(
        "select distinct section from passages where case_id = 'zjg-award' order by seq")]
    for heading in ("项目主要内容", "项目动因和背景", "项目意义"):
        assert heading in sections
    assert "高级检索" not in zjg["body"] and "首页" not in zjg["body"].split("\n")[0]


def test_articles_are_one_case_each_in_taicang(db):
    rows = list(db.query("select * from cases where kind = 'article' order by id"))
    assert [r["id"] for r in rows] == ["taicang-decade", "taicang-practice"]
    assert all(r["region"] == "太仓市" for r in rows)
    decade = rows[0]["body"]
    # the displaced block follows the sentence it completes
    assert "主观能动性不够等问题" in decade
    assert "制定政社互动第三阶段的发展目标" in decade


def test_no_residue_or_spam_in_any_column(db):
    for table in db.table_names():
        if table.endswith(("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config")):
            continue
        for col in db.table(table).columns:
            if col.type != "TEXT" or col.name.endswith("_original") or col.name == "residue_removed":
                continue
            for bad in SPAM:
                n = db.execute(f'select count(*) from "{table}" where "{col.name}" like ?', [f"%{bad}%"]).fetchone()[0]
                assert n == 0, (table, col.name, bad)
    # not even in the original-script columns
    assert db.execute("select count(*) from cases where body_original like '%香蕉%' "
                      "or body_original like '%猜你喜%'").fetchone()[0] == 0


def test_passages_cite_back_to_the_body(db):
    rows = list(db.query("select p.*, c.body, c.body_original, c.comment from passages p "
                         "join cases c on c.id = p.case_id"))
    assert len(rows) > 100
    for p in rows:
        field = p["body"] if p["field"] == "body" else p["comment"]
        assert field[p["start"]:p["end"]] == p["text"]
        if p["field"] == "body":
            assert p["body_original"][p["start"]:p["end"]] == p["text_original"]
        assert 0 < len(p["text"]) <= 600


def test_traditional_is_converted_everywhere_indexed(db):
    traditional = "區減負務廈門會據"
    for col in ("title", "body"):
        for ch in traditional:
            assert db.execute(f"select count(*) from cases where {col} like ?", [f"%{ch}%"]).fetchone()[0] == 0
    for ch in traditional:
        assert db.execute("select count(*) from passages where text like ?", [f"%{ch}%"]).fetchone()[0] == 0


def test_domains_and_book_chapter_tags(db):
    assert {d["id"] for d in db.query("select id from domains")} == {
        "政府管理", "公共服务", "基层党建", "基层群众自治", "社区治理", "生态建设", "文化建设", "法治建设"}
    tags = {r["case_id"]: r for r in db.query("select * from case_domains where source = 'book_chapter'")}
    assert set(tags) == {r["id"] for r in db.query("select id from cases where kind = 'book_case'")}
    assert tags["taicang100-050"]["domain"] == "生态建设"
    assert tags["taicang100-063"]["domain"] == "法治建设"


def test_coverage_view_shows_what_is_missing(db):
    book = next(db.query("select * from coverage where source_id = 'taicang100'"))
    assert (book["expected_cases"], book["cases_present"], book["bodies_present"], book["cases_missing"]) == (
        100, 66, 0, 34)
    journal = next(db.query("select * from coverage where source_id = 'mca2015-03'"))
    assert (journal["cases_present"], journal["bodies_present"]) == (7, 7)


def test_schema_has_foreign_keys_and_indexes(db):
    assert {fk.other_table for fk in db.table("passages").foreign_keys} == {"cases"}
    assert {fk.other_table for fk in db.table("cases").foreign_keys} == {"sources"}
    assert {fk.other_table for fk in db.table("case_domains").foreign_keys} >= {"cases", "domains"}
    assert ["source_id"] in [i.columns for i in db.table("cases").indexes]


@pytest.mark.slow
def test_rebuild_gives_same_ids_and_rows(tmp_path):
    corpus = CORPUS
    a, _ = ingest_tables(corpus)
    b, _ = ingest_tables(corpus)
    assert a == b
    build(corpus, tmp_path / "one.db", progress=False)
    build(corpus, tmp_path / "two.db", progress=False)
    dump = lambda p: [tuple(r) for t in ("cases", "passages", "case_domains")
                      for r in sqlite3.connect(p).execute(f"select * from {t} order by 1, 2")]
    assert dump(tmp_path / "one.db") == dump(tmp_path / "two.db")


def test_case_ids_follow_the_pattern_of_their_document_kind():
    docs = [document("book_case", "", 1, number=7), document("journal_case", "", 1, number=3),
            document("preface", "", 1, number=2), document("overview", "", 1), document("overview", "", 1),
            document("feature_intro", "", 1), document("award_project", "", 1), document("article", "", 1),
            document("collection_case", "", 1, number=4), document("document", "", 1)]
    seen = set()
    assert [case_id("src", d, seen) for d in docs] == [
        "src-007", "src-3", "src-preface2", "src-overview", "src-overview-2", "src-feature-intro", "src", "src-2",
        "src-4", "src-5"]
    assert {d["kind"] for d in docs} == set(DOCUMENT_KINDS)


def test_a_source_without_region_or_province_gives_cases_without_them():
    doc = document("article", "标题", 1, blocks=[(None, "正文。")])
    (case,), (passage,) = case_rows({"id": "s", "kind": "article", "title": "标题", "file": "s.txt"}, [doc])
    assert (case["id"], case["region"], case["province"], case["citation"]) == ("s", None, None, "《标题》")
    assert passage["text"] == "正文。"


@pytest.mark.parametrize("editor, cited", [
    ("编委会", "编委会主编《书名》"),  # .lstrip("主编") took characters, not the prefix: 委会主编《书名》
    ("主持人", "主持人主编《书名》"),
    (None, "《书名》"),
    ("", "《书名》"),
])
def test_a_book_is_cited_with_its_editor_as_written(editor, cited):
    doc = document("overview", "总论", 1)
    source = {"id": "b", "kind": "book", "title": "书名", "editor": editor}
    assert citation(source, doc).split("，")[0] == cited
