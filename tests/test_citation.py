"""GB/T 7714-2015 references: the standard's own examples, then the bundled sources as the site cites them,
and the same references as BibTeX and RIS."""
import re
import sqlite3

import pytest

from reports.citation import Reference, bibtex, case_reference, gbt7714, ris, source_reference

# (reference, as GB/T 7714-2015 prints it): examples given in the standard (sections 8.1-8.3 and 8.8).
STANDARD_EXAMPLES = [
    (Reference("M", "国史旧闻: 第1卷", ["陈登原"], place="北京", publisher="中华书局", year="2000", pages="29"),
     "陈登原. 国史旧闻: 第1卷[M]. 北京: 中华书局, 2000: 29."),
    (Reference("M", "物质结构", ["徐光宪", "王祥云"], place="北京", publisher="科学出版社", year="1987"),
     "徐光宪, 王祥云. 物质结构[M]. 北京: 科学出版社, 1987."),
    (Reference("M", "周易外传: 卷5", container_authors=["王夫之"], container_title="船山全书: 第6册",
               place="长沙", publisher="岳麓书社", year="2011", pages="1109"),
     "周易外传: 卷5[M]//王夫之. 船山全书: 第6册. 长沙: 岳麓书社, 2011: 1109."),
    (Reference("M", "1998年长江洪水的成因与减灾对策", ["程根伟"], container_authors=["许厚泽", "赵其国"],
               container_title="长江流域洪涝灾害与科技对策", place="北京", publisher="科学出版社", year="1999",
               pages="32-36"),
     "程根伟. 1998年长江洪水的成因与减灾对策[M]//许厚泽, 赵其国. 长江流域洪涝灾害与科技对策. "
     "北京: 科学出版社, 1999: 32-36."),
    (Reference("M", "蓟县震旦亚界研究", ["陈晋镳", "张惠民", "朱士兴", "蒋忠惕"],
               container_authors=["中国地质科学院天津地质矿产研究所"], container_title="中国震旦亚界",
               place="天津", publisher="天津科学技术出版社", year="1980", pages="56-114"),
     "陈晋镳, 张惠民, 朱士兴, 等. 蓟县震旦亚界研究[M]//中国地质科学院天津地质矿产研究所. 中国震旦亚界. "
     "天津: 天津科学技术出版社, 1980: 56-114."),
    (Reference("J", "蓝田生物群: 一个认识多细胞生物起源和早期演化的新窗口", ["袁训来", "陈哲", "肖书海", "张昀"],
               serial="科学通报", year="2012", volume="55", issue="34", pages="3219"),
     "袁训来, 陈哲, 肖书海, 等. 蓝田生物群: 一个认识多细胞生物起源和早期演化的新窗口[J]. "
     "科学通报, 2012, 55(34): 3219."),
    (Reference("J", "循证医学研究方法: 附视频", ["李幼平", "王莉"], online=True, serial="中华移植杂志(电子版)",
               year="2010", volume="4", issue="3", pages="225-228", accessed="2014-06-09",
               url="http://www.cqvip.com/Read/Read.aspx?id=36658332"),
     "李幼平, 王莉. 循证医学研究方法: 附视频[J/OL]. 中华移植杂志(电子版), 2010, 4(3): 225-228[2014-06-09]. "
     "http://www.cqvip.com/Read/Read.aspx?id=36658332."),
    (Reference("N", "数字革命与竞争国际化", ["丁文祥"], serial="中国青年报", date="2000-11-20", pages="15"),
     "丁文祥. 数字革命与竞争国际化[N]. 中国青年报, 2000-11-20(15)."),
    (Reference("N", "我们的科技一直在追赶: 访中国工程院院长周济", ["余建斌"], online=True, serial="人民日报",
               date="2013-01-12", pages="2", accessed="2013-03-20",
               url="http://paper.people.com.cn/rmrb/html/2013-01/12/nw.D110000renmrb_20130112_5-02.htm"),
     "余建斌. 我们的科技一直在追赶: 访中国工程院院长周济[N/OL]. 人民日报, 2013-01-12(2)[2013-03-20]. "
     "http://paper.people.com.cn/rmrb/html/2013-01/12/nw.D110000renmrb_20130112_5-02.htm."),
    (Reference("EB", "出版业信息化迈入快车道", ["萧钰"], date="2001-12-19", accessed="2002-04-15",
               url="http://www.creader.com/news/20011219/200112190019.html"),
     "萧钰. 出版业信息化迈入快车道[EB/OL]. (2001-12-19)[2002-04-15]. http://www.creader.com/news/20011219/200112190019.html."),
    (Reference("R", "第29次中国互联网络发展现状统计报告", ["中国互联网络信息中心"], online=True, date="2012-01-16",
               accessed="2013-03-26", url="http://www.cnnic.net.cn/hlwfzyj/hlwxzbg/201201/P020120709345264469680.pdf"),
     "中国互联网络信息中心. 第29次中国互联网络发展现状统计报告[R/OL]. (2012-01-16)[2013-03-26]. "
     "http://www.cnnic.net.cn/hlwfzyj/hlwxzbg/201201/P020120709345264469680.pdf."),
    (Reference("M", "Origins and concepts of digital literacy", ["BAWDEN D"],
               container_authors=["LANKSHEAR C", "KNOBEL M"],
               container_title="Digital literacies: concepts, policies and practices", place="New York",
               publisher="Peter Lang", year="2008", pages="17-32"),
     "BAWDEN D. Origins and concepts of digital literacy[M]//LANKSHEAR C, KNOBEL M. Digital literacies: concepts, "
     "policies and practices. New York: Peter Lang, 2008: 17-32."),
]


@pytest.mark.parametrize("ref, printed", STANDARD_EXAMPLES, ids=[p[:12] for _, p in STANDARD_EXAMPLES])
def test_the_standards_examples(ref, printed):
    assert gbt7714(ref) == printed


def test_more_than_three_latin_authors_end_with_et_al():
    ref = Reference("J", "A title", ["SMITH A", "JONES B", "BROWN C", "WHITE D"], serial="Nature", year="2020")
    assert gbt7714(ref).startswith("SMITH A, JONES B, BROWN C, et al. A title[J]. Nature, 2020.")


def test_an_unknown_place_of_publication_is_said_so_not_guessed():
    ref = Reference("M", "某书", ["某人"], publisher="某出版社", year="2010")
    assert gbt7714(ref) == "某人. 某书[M]. [出版地不详]: 某出版社, 2010."


# --- the bundled sources ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def conn(built_db):
    with sqlite3.connect(built_db) as c:
        c.row_factory = None
        yield c


def case(conn, case_id):
    cursor = conn.execute("select * from cases where id = ?", [case_id])
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone()))


def test_a_book_case_is_a_contribution_to_the_book(conn):
    # the form the issue asks for: …[M]//陆卫其. 太仓“政社互动”100例. 苏州: 苏州大学出版社, 2014: 页.
    c = case(conn, "taicang100-001")
    assert gbt7714(case_reference(conn, c)) == (
        f"{c['title']}[M]//陆卫其. 太仓“政社互动”100例. 苏州: 苏州大学出版社, 2014: {c['page']}.")
    preface = gbt7714(case_reference(conn, case(conn, "taicang100-preface1")))
    assert preface == "蒋昆生. 序一[M]//陆卫其. 太仓“政社互动”100例. 苏州: 苏州大学出版社, 2014."


def test_journal_newspaper_web_page_and_other_sources(conn):
    assert gbt7714(case_reference(conn, case(conn, "taicang-decade"))) == \
        "太仓政社互动十年 迎来“能动善治”3.0时期[N]. 中国社会报, 2018."
    web = gbt7714(case_reference(conn, case(conn, "zjg-award"), accessed="2024-05-01"))
    assert web.startswith("法治政府网. 张家港市—社区协商") and "[EB/OL]. (2016-12-14)[2024-05-01]." in web


def test_a_web_page_with_a_url_cites_it_with_the_access_date():
    source = {"id": "x", "kind": "cases", "title": "基层治理案例两则", "publisher": "某市民政局", "date": "2021-06-18",
              "url": "https://example.org/cases.html"}
    assert gbt7714(source_reference(source, accessed="2024-05-01")) == \
        "某市民政局. 基层治理案例两则[EB/OL]. (2021-06-18)[2024-05-01]. https://example.org/cases.html."


def test_bibtex_and_ris_carry_the_same_reference(conn):
    ref = case_reference(conn, case(conn, "taicang100-001"))
    bib = bibtex(ref)
    assert bib.startswith("@incollection{taicang100-001,")
    for field in ("booktitle = {太仓“政社互动”100例}", "editor = {陆卫其}", "publisher = {苏州大学出版社}",
                  "address = {苏州}", "year = {2014}"):
        assert field in bib
    lines = ris(ref).split("\r\n")
    assert lines[0] == "TY  - CHAP" and "T2  - 太仓“政社互动”100例" in lines and "CY  - 苏州" in lines
    assert lines[-2] == "ER  - "
    journal = ris(case_reference(conn, case(conn, "mca2015-03-2"))).split("\r\n")
    assert journal[0] == "TY  - JOUR" and "T2  - 中国民政" in journal and "IS  - 3" in journal
    assert "{有\\textbraceleft{}花括号\\textbraceright{}的书}" in bibtex(Reference("M", "有{花括号}的书"))


# --- each reference names its case (issue 22) and cannot break out of its record (issue 21 item 5) --------------

JOURNAL_TRIO = ("mca2015-03-2", "mca2015-03-4", "mca2015-03-1")


def test_a_case_of_a_journal_feature_is_cited_by_its_own_title_then_the_feature(conn):
    c = case(conn, "mca2015-03-2")
    printed = gbt7714(case_reference(conn, c))
    assert printed == f"{c['title']}[J]//本刊编辑部. 社区治理的地方创新. 中国民政, 2015(3)."
    refs = [case_reference(conn, case(conn, cid)) for cid in JOURNAL_TRIO]
    assert len({gbt7714(r) for r in refs}) == 3
    for cid, ref in zip(JOURNAL_TRIO, refs):
        title = case(conn, cid)["title"]
        assert title in gbt7714(ref) and f"TI  - {title}\r\n" in ris(ref) and f"title = {{{title}}}" in bibtex(ref)


def test_a_case_with_the_sources_own_title_is_cited_as_the_source(conn):
    assert "//" not in gbt7714(case_reference(conn, case(conn, "taicang-decade")))


FORGED = "真标题\r\nER  - \r\nTY  - JOUR\nTI  - 伪造的记录\u2028AU  - 某人"


def test_a_title_with_newlines_cannot_forge_a_second_ris_record():
    text = ris(Reference("J", FORGED, ["作者\n甲"], serial="中国民政", key="a\nb"))
    lines = text.split("\r\n")
    assert [line[:6] for line in lines].count("TY  - ") == 1 and [line[:6] for line in lines].count("ER  - ") == 1
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines[:-1]) and lines[-1] == ""
    assert not re.search(r"[\n\u2028\u2029\x85\x0b\x0c]", text.replace("\r\n", ""))
    assert "真标题 ER  -  TY  - JOUR TI  - 伪造的记录 AU  - 某人" in text  # every character kept, on one line


def _brace_depths(text: str) -> list[int]:
    depth, depths = 0, []
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        depths.append(depth)
    return depths


@pytest.mark.parametrize("title", ["未闭合{花括号", "多余}右括号", "}{倒置", "反斜杠\\{", "}\n@misc{forged, title={x}"])
def test_bibtex_braces_stay_balanced_whatever_the_title(title):
    entry = bibtex(Reference("M", title, ["某}人"], publisher="出版{社", key="k"))
    depths = _brace_depths(entry)
    assert min(depths) >= 0 and depths[-1] == 0  # BibTeX counts braces, backslash or not
    assert entry.count("\n@") == 0 and entry.startswith("@book{k,")
    assert all(line.startswith(("  ", "}")) for line in entry.splitlines()[1:])  # one field a line
