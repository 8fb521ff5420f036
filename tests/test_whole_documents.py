"""Real documents in, whole (issue 20): no paragraph lost, headings by layout and shape, stacked
headings kept, and the build refusing to drop a line. Each test makes its own small document."""
from collections import Counter

import pytest
from click.testing import CliRunner

from casekb.cli import main
from ingest import IngestError
from ingest.clean import clean
from ingest.group import segment
from ingest.manifest import load_manifest
from ingest.pipeline import ingest_tables
from ingest.segment import SOURCE_KINDS, SourceKind
from ingest.segment.documents import sectioned

HEADLINE = "践行“八八战略”，打造“重要窗口”：浙江省某县以网格党建推动基层治理现代化的实践与探索"
OPENING = "近年来，某县坚持和发展新时代“枫桥经验”，把党支部建在网格上，走出了一条基层治理的新路子。"
STACKED = ["服务在前解民忧", "教育在前树新风", "扶助在前暖桑榆", "关爱在前促成长"]
REPORT_HEADING = "一、坚持以人民为中心的发展思想，持续推进基层治理体系和治理能力现代化建设"
PROSE = ["网格员每天走访群众，收集诉求，能当场解决的当场解决，不能解决的按程序上报并限时办结。",
         "各村社区建立议事会，群众的事由群众商量着办，村务公开做到了常态化、制度化和规范化。",
         "县里把服务事项下沉到网格，群众办事不出村，一年来累计办结各类事项三千余件，满意率持续提升。"]


def add(corpus, *args):
    result = CliRunner().invoke(main, ["add", "--corpus", str(corpus), *map(str, args)])
    assert result.exit_code == 0, result.output
    return load_manifest(corpus)[-1], result.output


def rows_of(corpus, source_id):
    tables, _ = ingest_tables(corpus)
    cases = [c for c in tables["cases"] if c["source_id"] == source_id]
    ids = {c["id"] for c in cases}
    return cases, [p for p in tables["passages"] if p["case_id"] in ids]


def test_a_numbered_heading_and_the_first_line_never_run_on_into_prose():
    text = "\n".join([HEADLINE, OPENING, REPORT_HEADING, PROSE[0], "县里的做法，", PROSE[1]])
    lines, removed = clean(text, "t.txt")
    assert [t for _, t in lines] == [HEADLINE, OPENING, REPORT_HEADING, PROSE[0], "县里的做法，" + PROSE[1]]
    assert removed["layout_break_joined"] == 1


def test_stacked_headings_are_all_kept_as_a_path():
    blocks = sectioned([(1, "二、主要做法"), (2, STACKED[0]), (3, PROSE[0]), (4, STACKED[1]), (5, STACKED[2]),
                        (6, PROSE[1]), (7, PROSE[2]), (8, STACKED[3])])
    assert blocks == [(("二、主要做法", STACKED[0]), PROSE[0]), ((STACKED[1], STACKED[2]), PROSE[1]),
                      ((STACKED[1], STACKED[2]), PROSE[2]), ((STACKED[3],), None)]


def test_markdown_news_report_keeps_its_headline_opening_and_stacked_subheadings(corpus_copy, tmp_path):
    md = tmp_path / "news.md"
    body = [HEADLINE, "", OPENING, "", *[f"**{h}**\n" for h in STACKED[:2]], PROSE[0], "",
            *[f"**{h}**\n" for h in STACKED[2:]], PROSE[1], "", "### 一网格一支部", "", "#### 强化数智赋能", "", PROSE[2]]
    md.write_text("\n".join(body), encoding="utf-8")
    entry, _ = add(corpus_copy, md)
    assert entry["title"] == HEADLINE and entry["kind"] == "article"
    cases, passages = rows_of(corpus_copy, entry["id"])
    (case,) = cases
    assert case["title"] == HEADLINE and HEADLINE not in case["body"]
    for text in [OPENING, *PROSE, *STACKED, "一网格一支部", "强化数智赋能"]:
        assert text in case["body"].split("\n"), text
    assert case["body"].split("\n")[0] == OPENING
    paths = {p["heading_path"] for p in passages}
    assert " > ".join(STACKED[:2]) in paths and " > ".join(STACKED[2:]) in paths
    assert "一网格一支部 > 强化数智赋能" in paths


def test_a_long_numbered_heading_of_a_report_stays_a_heading(corpus_copy, tmp_path):
    import docx
    document = docx.Document()
    document.add_paragraph("在全县基层治理工作会议上的报告")
    for heading, text in ((REPORT_HEADING, PROSE[0]), ("二、坚持党建引领，推动网格党支部全覆盖，打通联系服务群众的最后一公里", PROSE[1])):
        document.add_paragraph(heading)
        document.add_paragraph(text)
    document.save(tmp_path / "报告.docx")
    entry, _ = add(corpus_copy, tmp_path / "报告.docx", "--kind", "article")
    (case,), passages = rows_of(corpus_copy, entry["id"])
    lines = case["body"].split("\n")
    assert REPORT_HEADING in lines and PROSE[0] in lines and PROSE[1] in lines
    assert [p["section"] for p in passages][:1] == [REPORT_HEADING]


def test_the_build_refuses_to_drop_a_line_and_names_it(tmp_path, monkeypatch):
    def careless(entry, lines):  # a segmenter that forgets the last paragraph
        return SOURCE_KINDS["article"].segment(entry, lines[:-1])
    monkeypatch.setitem(SOURCE_KINDS, "careless", SourceKind("careless", careless))
    lines, removed = clean("\n".join([HEADLINE, OPENING, PROSE[0], "", PROSE[1]]), "x.txt")
    with pytest.raises(IngestError, match=r"x\.txt:5: this line would be dropped.*各村社区建立议事会"):
        segment({"kind": "careless", "path": "corpus/x.txt"}, lines, Counter())


def test_lines_a_segmenter_sets_aside_are_counted_by_their_rule():
    lines = [(1, "信息来源：法治政府网 发布日期：2016-12-14"), (2, "【一】张家港市—社区协商：基层法治化的新探索"),
             (3, "项目主要内容"), (4, PROSE[0])]
    removed = Counter()
    docs = segment({"kind": "award_page", "path": "a.txt", "title": "t"}, lines, removed)
    assert removed == Counter({"award_page_metadata": 1}) and docs[0]["title"].startswith("张家港市")
