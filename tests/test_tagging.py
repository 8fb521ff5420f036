"""Automatic domain tags, mechanisms, keywords and places (ingest/classify.py, mechanisms.py,
keywords.py) on hand-written texts and on the session's build of the test corpus."""
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import case_id
from ingest.classify import case_domain_rows, index_tokens, labelled_neighbours
from ingest.mechanisms import mechanism_rows
from kbcore.words import stopwords

ROOT = Path(__file__).resolve().parents[1]

ECOLOGY = ("村里成立了河道整治小组，组织村民清理河浜里的垃圾，落实垃圾清运和保洁制度，"
           "关停了直排污水的养殖场，污水接入管网后水质明显好转，村容村貌焕然一新。")
RULE_OF_LAW = ("社区请来律师为困难居民提供法律援助，就违章搭建引发的纠纷召开听证会，"
               "由人民调解员依法调解，双方当场签订调解协议，矛盾没有再上交到法院。")


def tags(text: str) -> list[dict]:
    """The case_domains rows the build gives a one-passage case with this text (no labelled titles)."""
    case, passages = {"id": "t", "title": ""}, [{"id": "t-001", "text": text}]
    return case_domain_rows(case, passages, index_tokens([text]), labelled_neighbours([], {}))


def test_ecology_text_scores_ecology_first():
    rows = tags(ECOLOGY)
    assert rows[0]["domain"] == "生态建设" and rows[0]["score"] > 0.5
    assert all(0 <= r["score"] <= 1 for r in rows)
    assert "垃圾" in json.loads(rows[0]["evidence"])["terms"]


def test_rule_of_law_text_scores_rule_of_law_first():
    rows = tags(RULE_OF_LAW)
    assert rows[0]["domain"] == "法治建设" and rows[0]["score"] > 0.5


def test_text_without_any_term_scores_nothing():
    (row,) = tags("今天天气很好。")
    assert row["score"] == 0 and "fallback" in json.loads(row["evidence"])


def test_ingest_does_not_import_the_index_package():
    code = ("import sys, ingest.pipeline, ingest.classify, ingest.keywords, ingest.mechanisms; "
            "bad = [m for m in sys.modules if m == 'index' or m.startswith('index.')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.fixture(scope="module")
def db(built_db):
    conn = sqlite3.connect(built_db)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def test_every_case_has_a_domain(db):
    untagged = db.execute("select id from cases where id not in (select case_id from case_domains)").fetchall()
    assert [r["id"] for r in untagged] == []
    for row in db.execute("select id, domains from cases"):
        domains = json.loads(row["domains"])
        assert domains, row["id"]
        stored = {r[0] for r in db.execute("select domain from case_domains where case_id = ?", [row["id"]])}
        assert set(domains) == stored, row["id"]


def test_book_cases_keep_their_chapter_and_get_no_classifier_tags(db):
    assert db.execute("select count(*) from case_domains d join cases c on c.id = d.case_id "
                      "where c.kind = 'book_case' and d.source != 'book_chapter'").fetchone()[0] == 0
    ids = lambda sql: [r[0] for r in db.execute(sql)]  # noqa: E731
    assert ids("select case_id from case_domains where source = 'book_chapter' order by 1") == ids(
        "select id from cases where kind = 'book_case' order by 1")


def test_non_book_cases_have_scored_classifier_tags_with_evidence(db):
    cases = db.execute("select id from cases where kind != 'book_case'").fetchall()
    assert len(cases) >= 10
    for case in cases:
        tags = db.execute("select * from case_domains where case_id = ?", [case["id"]]).fetchall()
        assert tags, case["id"]
        for tag in tags:
            assert tag["source"] == "classifier"
            assert 0 < tag["score"] <= 1
            evidence = json.loads(tag["evidence"])
            assert evidence["terms"] or evidence["neighbours"], (case["id"], tag["domain"])
            assert_evidence(db, case["id"], evidence["passages"], evidence["terms"])


def assert_evidence(db, case_id, passage_ids, terms):
    """Every evidence passage exists, belongs to the case and contains one of the terms."""
    for pid in passage_ids:
        passage = db.execute("select case_id, text from passages where id = ?", [pid]).fetchone()
        assert passage is not None, pid
        assert passage["case_id"] == case_id, pid
        assert any(t in passage["text"] for t in terms), (pid, terms)


def test_some_expected_domains(db):
    def domains(title):
        cid = case_id(db, title)
        return {r[0] for r in db.execute("select domain from case_domains where case_id = ?", [cid])}

    assert "法治建设" in domains("张家港市—社区协商：基层法治化的新探索")
    assert "公共服务" in domains("上海市“社区公共服务综合信息平台建设”实践")
    assert "社区治理" in domains("南京市大力推动社区减负增效")
    assert "文化建设" in domains("浙江省德清县打造特色农村社区")


def test_mechanisms_table_has_the_taxonomy(db):
    ids = {r["id"] for r in db.execute("select id from mechanisms")}
    assert {"权责清单", "委托协议", "双向评估", "三社联动", "政府购买服务", "协商议事", "网格化", "社区减负",
            "一站式服务", "志愿服务", "乡贤参事", "村规民约", "全科社工", "以奖代补"} <= ids
    for row in db.execute("select * from mechanisms"):
        assert row["name_zh"] and row["description"] and json.loads(row["terms"])
    assert len(mechanism_rows()) == len(ids)


def test_mechanism_evidence_is_real(db):
    rows = db.execute("select * from case_mechanisms").fetchall()
    assert rows
    for row in rows:
        assert 0 < row["score"] <= 1
        terms = json.loads(row["evidence_terms"])
        assert terms
        assert_evidence(db, row["case_id"], json.loads(row["evidence_passage_ids"]), terms)


def test_expected_mechanisms(db):
    def mechanisms(title):
        cid = case_id(db, title)
        return {r[0] for r in db.execute("select mechanism from case_mechanisms where case_id = ?", [cid])}

    assert "社区减负" in mechanisms("南京市大力推动社区减负增效")
    assert "协商议事" in mechanisms("张家港市—社区协商：基层法治化的新探索")
    assert "乡贤参事" in mechanisms("浙江省德清县打造特色农村社区")
    assert "网格化" in mechanisms("成都市武侯区玉林街道黉门街社区：“三化”治理模式")
    assert {"权责清单", "委托协议", "双向评估"} <= mechanisms("太仓市“政社互动”探索实践")
    # a title-only book case: detected from its title, with no passage evidence
    row = db.execute("select * from case_mechanisms where case_id = ? and mechanism = '网格化'",
                     [case_id(db, "网格员张培养的特殊服务")]).fetchone()
    assert row is not None and json.loads(row["evidence_passage_ids"]) == []


def test_cases_mechanisms_column_matches_the_table(db):
    for row in db.execute("select id, mechanisms from cases"):
        stored = {r[0] for r in db.execute("select mechanism from case_mechanisms where case_id = ?", [row["id"]])}
        assert set(json.loads(row["mechanisms"])) == stored


def test_keywords(db):
    stop = stopwords()
    per_case = {}
    for row in db.execute("select * from case_keywords order by case_id, rank"):
        per_case.setdefault(row["case_id"], []).append(row)
        assert len(row["keyword"]) > 1 and row["keyword"] not in stop
        assert row["weight"] > 0
    assert len(per_case) >= 70
    for cid, rows in per_case.items():
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1)) and len(rows) <= 10
        weights = [r["weight"] for r in rows]
        assert weights == sorted(weights, reverse=True), cid
    nanjing = [r["keyword"] for r in per_case[case_id(db, "南京市大力推动社区减负增效")]]
    assert "社区减负" in nanjing or "减负增效" in nanjing


def test_places(db):
    def places(title):
        cid = case_id(db, title)
        return {r["place"]: r["count"] for r in db.execute("select * from case_places where case_id = ?", [cid])}

    assert "浏河镇" in places("浏河镇313路公交线路的开通")
    assert {"城厢镇", "双凤镇", "太仓市"} <= set(places("太仓的“政社互动”创新实践"))
    assert {"成都市", "武侯区", "玉林街道", "黉门街社区"} <= set(
        places("成都市武侯区玉林街道黉门街社区：“三化”治理模式"))
    assert "杨舍镇" in places("张家港市—社区协商：基层法治化的新探索")
    junk = {r[0] for r in db.execute("select place from case_places")} & {"城市", "社区", "农村社区", "全市", "山区"}
    assert not junk
