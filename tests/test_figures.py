"""Key figures: quantity clauses quoted from the case texts, with changes read off them."""
import json
import sqlite3

import pytest

from ingest.figures import passage_figures


def figures(text):
    return passage_figures({"id": "p", "text": text})


def test_change_within_one_clause():
    [f] = figures("经过部门清理和社会公示，事项由30项减少到12项。")
    assert f["change"] == "30项 → 12项" and f["quote"] == "事项由30项减少到12项"


def test_change_against_comparison_after_bi():
    text = "协助事务涵盖28项基本公共服务，比部门清理前的78项减少了64.1%。"
    [f] = figures(text)
    assert f["change"] == "78项 → 28项"
    assert f["quote"] == text[:-1]
    assert json.loads(f["quantities"]) == ["28项", "78项", "64.1%"]


def test_change_with_old_value_earlier_in_sentence_only():
    [f] = figures("过去下达的78项任务进行清理，最终减至27项。")
    assert f["change"] == "78项 → 27项"
    # a different sentence is not the old value
    assert figures("去年有78项任务。今年最终减至27项")[-1]["change"] is None


def test_years_dates_and_ordinals_are_not_figures():
    assert figures("2013年7月以来，第3期刊登，案例1介绍了做法。") == []


def test_short_clause_is_quoted_with_its_subject():
    [f] = figures("全市共清理16790块牌子，清理率为60.3%。")
    assert f["quote"] == "全市共清理16790块牌子，清理率为60.3%"
    assert json.loads(f["quantities"]) == ["16790块", "60.3%"]


def test_ranges_magnitudes_and_approximations():
    quantities = [q for g in figures("协管经费15~20万元；意见38000余条；共有1.4万人参与")
                  for q in json.loads(g["quantities"])]
    assert quantities == ["15~20万元", "38000余条", "1.4万人"]


@pytest.fixture(scope="module")
def conn(built_db):
    c = sqlite3.connect(built_db)
    c.row_factory = sqlite3.Row
    yield c
    c.close()


def test_every_quote_is_verbatim_at_its_offsets(conn):
    rows = conn.execute("select f.*, p.text, p.case_id as pcase from case_figures f "
                        "join passages p on p.id = f.passage_id").fetchall()
    assert len(rows) >= 40
    for r in rows:
        assert r["text"][r["start"]:r["end"]] == r["quote"], r["id"]
        assert r["pcase"] == r["case_id"]


def test_real_cases_key_figures(conn):
    def top(case_id, n=3):
        return [dict(r) for r in conn.execute(
            "select * from case_figures where case_id = ? and rank <= ? order by rank", [case_id, n])]
    taicang = top("mca2015-03-1", 1)[0]
    assert taicang["change"] == "78项 → 28项" and "比部门清理前的78项减少了64.1%" in taicang["quote"]
    nanjing = [f["quote"] for f in top("mca2015-03-2")]
    assert "取消25项工作任务、48类评比、42个机构、72项台账" in nanjing
    xiamen = [f["quote"] for f in top("mca2015-03-4")]
    assert "思明区还减除社区12项、合并30项事务性工作" in xiamen
    overview = [f for f in top("taicang100-overview", 10) if f["change"]]
    assert [f["change"] for f in overview] == ["72项 → 28项"]  # 由原先的72项最终确定为28项
    assert conn.execute("select count(*) from case_figures f join cases c on c.id = f.case_id "
                        "where c.status = 'title_only'").fetchone()[0] == 0
