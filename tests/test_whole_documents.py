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
                      ((STACKED[1], STACKED[2]), PROSE[2]), (STACKED[3], None)]


def test_markdown_news_report_keeps_its_headline_opening_and_stacked_subheadings(corpus_copy, tmp_path):
    md = tmp_path / "news.md"
    body = [HEADLINE, "", OPENING, "", *[f"**{h}**\n" for h in STACKED[:2]], PROSE[0], "",
            *[f"**{h}**\n" for h in STACKED[2:]], PROSE[1], "",
            "### 一网格一支部", "", "#### 强化数智赋能", "", PROSE[2]]
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
    second = "二、坚持党建引领，推动网格党支部全覆盖，打通联系服务群众的最后一公里"
    for heading, text in ((REPORT_HEADING, PROSE[0]), (second, PROSE[1])):
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


COLUMN = "每周一学（2022年6月13日——6月19日）"


def server_page(path, headline_html: str, head: str = "") -> None:
    path.write_text(f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{COLUMN}</title>{head}</head><body>
<div class="nav"><a href="/">首页</a> <a href="/xx">学习园地</a></div>
<div class="content">{headline_html}<p>{OPENING}</p>{''.join(f'<p>{p}</p>' for p in PROSE)}</div>
<div class="footer">版权所有 某某学校</div></body></html>""", encoding="utf-8")


@pytest.mark.parametrize("headline_html, head", [
    (f"<h1>{HEADLINE}</h1>", ""),
    (f"<p>{HEADLINE}</p>", ""),
    (f"<p><strong>{HEADLINE}</strong></p>", ""),
    ("", f'<meta property="og:title" content="{HEADLINE}">'),
])
def test_an_aspx_page_is_titled_by_its_headline_not_its_column(corpus_copy, tmp_path, headline_html, head):
    server_page(tmp_path / "Article.aspx", headline_html, head)
    entry, _ = add(corpus_copy, tmp_path / "Article.aspx")
    assert entry["format"] == "html" and entry["title"] == HEADLINE
    (case,), _ = rows_of(corpus_copy, entry["id"])
    assert case["title"] == HEADLINE and HEADLINE not in case["body"]
    assert case["body"].split("\n") == [OPENING, *PROSE]
    assert COLUMN not in case["citation"] and HEADLINE in case["citation"]


def test_a_page_saved_as_php_that_is_not_html_is_refused(corpus_copy, tmp_path):
    (tmp_path / "x.php").write_text("<?php echo 1; ?>", encoding="utf-8")
    result = CliRunner().invoke(main, ["add", "--corpus", str(corpus_copy), str(tmp_path / "x.php")])
    assert result.exit_code != 0 and "unknown file type '.php'" in result.output


def test_a_txt_file_is_titled_by_its_first_line_never_its_file_name(corpus_copy, tmp_path):
    path = tmp_path / "04_qianwei_sixiao_gongzuofa.txt"
    path.write_bytes("\r\n".join([HEADLINE, OPENING, *PROSE]).encode("gb18030"))
    entry, _ = add(corpus_copy, path)
    assert entry["title"] == HEADLINE
    (case,), _ = rows_of(corpus_copy, entry["id"])
    assert case["title"] == HEADLINE and "qianwei" not in case["citation"]
    assert case["body"].split("\n") == [OPENING, *PROSE]


def compilation_docx(path, styled: bool = True):
    """A Word compilation of cases from different cities, their titles as Heading 1 (unnumbered)."""
    import docx
    document = docx.Document()
    document.add_paragraph("基层治理优秀案例选编", style="Title")
    for title, text in CITY_CASES:
        if styled:
            document.add_heading(title, level=1)
        else:
            document.add_paragraph(title)
        document.add_heading("主要做法", level=2)
        document.add_paragraph(text)
        document.add_paragraph(PROSE[0])
    document.save(path)
    return path


CITY_CASES = [
    ("陕西咸阳：“街长制”让老街区焕发新活力",
     "咸阳市秦都区在老旧街区推行“街长制”，由街道干部担任街长，统筹街面秩序、环境卫生和商户服务。"),
    ("山东滕州：“三官一律”进网格化解矛盾纠纷",
     "滕州市组织法官、检察官、警官和律师下沉网格，在家门口化解邻里纠纷和各类矛盾。"),
    ("广西钦州：“海岛县”里的渔民议事会", "钦州市在沿海渔村设立渔民议事会，渔民自己商量渔港管理和休渔期补助等大事。"),
]
SOFFICE = __import__("shutil").which("soffice")


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice (scripts/install-office) is not installed")
@pytest.mark.parametrize("suffix", [".doc", ".wps"])
def test_a_word_97_doc_and_a_wps_file_are_read_through_libreoffice(corpus_copy, tmp_path, suffix):
    import subprocess
    source = compilation_docx(tmp_path / "source.docx")
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "doc", "--outdir", str(tmp_path / "doc"), str(source)],
                   check=True, capture_output=True, timeout=180)
    legacy = (tmp_path / "doc" / "source.doc").rename(tmp_path / f"选编{suffix}")
    assert legacy.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE compound file, as Word 97 writes
    entry, _ = add(corpus_copy, legacy)
    assert entry["format"] == suffix[1:] and entry["kind"] == "cases" and entry["title"] == "基层治理优秀案例选编"
    cases, passages = rows_of(corpus_copy, entry["id"])
    assert [c["title"] for c in cases] == [t for t, _ in CITY_CASES]
    for case, (_, text) in zip(cases, CITY_CASES):
        assert text in case["body"].split("\n") and PROSE[0] in case["body"]


def test_without_libreoffice_the_error_names_it_and_how_to_install(corpus_copy, tmp_path, monkeypatch):
    import ingest.formats.office as office
    monkeypatch.setattr(office.shutil, "which", lambda name: None)
    (tmp_path / "a.doc").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600)
    result = CliRunner().invoke(main, ["add", "--corpus", str(corpus_copy), str(tmp_path / "a.doc")])
    assert result.exit_code != 0
    assert "LibreOffice (soffice)" in result.output and "libreoffice-writer-nogui" in result.output


def ofd_file(path, pages: list[list[tuple[float, float, str]]], title: str | None = None):
    """An OFD package (GB/T 33190): OFD.xml, a Document.xml and one Content.xml per page, each text
    object a (type size, baseline y, text) line at the left margin, in millimetres."""
    import zipfile
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    doc_info = f"<ofd:DocInfo><ofd:Title>{title}</ofd:Title></ofd:DocInfo>" if title else ""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" DocType="OFD">'
                              f"<ofd:DocBody>{doc_info}<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        page_list = "".join(f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>'
                            for i in range(len(pages)))
        z.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}><ofd:CommonData>'
                   "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>"
                   f"<ofd:Pages>{page_list}</ofd:Pages></ofd:Document>")
        for i, lines in enumerate(pages):
            objects = "".join(
                f'<ofd:TextObject ID="{100 + k}" Boundary="25 {y - size} 160 {size * 1.4}" Font="1" Size="{size}">'
                f'<ofd:TextCode X="0" Y="{size}">{text}</ofd:TextCode></ofd:TextObject>'
                for k, (size, y, text) in enumerate(reversed(lines)))  # stored out of reading order
            z.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}>'
                       f'<ofd:Content><ofd:Layer ID="2">{objects}</ofd:Layer></ofd:Content></ofd:Page>')
    return path


def test_an_ofd_document_is_read_in_reading_order_with_its_headings(corpus_copy, tmp_path):
    width = 160 / 4.2  # characters of 4.2 mm on a full line of the 160 mm text block
    wrapped = [PROSE[1][:int(width)], PROSE[1][int(width):]]
    page1 = [(7.0, 40, HEADLINE[:22]), (7.0, 50, HEADLINE[22:]), (4.2, 70, OPENING[:int(width)]),
             (4.2, 77, OPENING[int(width):]), (5.5, 95, STACKED[0]), (4.2, 110, PROSE[0][:int(width)]),
             (4.2, 117, PROSE[0][int(width):])]
    page2 = [(5.5, 40, STACKED[1]), (4.2, 55, wrapped[0]), (4.2, 62, wrapped[1])]
    entry, _ = add(corpus_copy, ofd_file(tmp_path / "通报.ofd", [page1, page2]))
    assert entry["format"] == "ofd" and entry["title"] == HEADLINE
    (case,), passages = rows_of(corpus_copy, entry["id"])
    assert case["body"].split("\n") == [OPENING, STACKED[0], PROSE[0], STACKED[1], PROSE[1]]
    assert [p["section"] for p in passages] == [None, STACKED[0], STACKED[1]]


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "not a zip package"),
    (None, "OFD.xml is missing"),
])
def test_a_damaged_ofd_file_is_refused_by_name(tmp_path, content, message):
    import zipfile

    from ingest.formats import read_document
    path = tmp_path / "bad.ofd"
    if content is None:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("Doc_0/Document.xml", "<x/>")
    else:
        path.write_bytes(content)
    with pytest.raises(IngestError, match=rf"bad\.ofd: .*{message}"):
        read_document(path)


def test_an_ofd_file_with_an_external_entity_does_not_read_it(tmp_path):
    import zipfile

    from ingest.formats import read_document
    secret = tmp_path / "secret.txt"
    secret.write_text("机密内容" * 20, encoding="utf-8")
    plain = ofd_file(tmp_path / "plain.ofd", [[(4.2, 40, PROSE[0])]])
    path = tmp_path / "x.ofd"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as z:
        for name in source.namelist():
            if name != "OFD.xml":
                z.writestr(name, source.read(name))
        z.writestr("OFD.xml", f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "{secret.as_uri()}">]>'
                              '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocInfo>'
                              '<ofd:Title>&e;</ofd:Title></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>'
                              '</ofd:DocBody></ofd:OFD>')
    doc = read_document(path)
    assert "机密" not in (doc.title or "") and all("机密" not in t for _, t in doc.blocks)


def test_a_compilation_with_unnumbered_headings_cites_each_case_by_its_own_heading(corpus_copy, tmp_path):
    entry, output = add(corpus_copy, compilation_docx(tmp_path / "选编.docx"))
    assert entry["kind"] == "cases" and entry["case_titles"] == [t for t, _ in CITY_CASES]
    text = (corpus_copy / entry["file"]).read_text(encoding="utf-8")
    assert "案例1" not in text and all(f"# {t}" in text.split("\n") for t, _ in CITY_CASES)  # as Heading 1
    cases, _ = rows_of(corpus_copy, entry["id"])
    assert [c["title"] for c in cases] == [t for t, _ in CITY_CASES]
    for case, (title, _) in zip(cases, CITY_CASES):
        assert case["citation"] == f"《基层治理优秀案例选编》，{title}"


def test_a_report_without_cases_is_proposed_as_a_document_with_the_reason(corpus_copy, tmp_path):
    import docx
    document = docx.Document()
    document.add_paragraph("中国共产党某省第十五次代表大会报告", style="Title")
    for heading, text in ((REPORT_HEADING, PROSE[0]), ("二、全面加强党的建设，推动全面从严治党向纵深发展", PROSE[1])):
        document.add_paragraph(heading)
        document.add_paragraph(text)
    document.save(tmp_path / "报告.docx")
    entry, output = add(corpus_copy, tmp_path / "报告.docx", "--dry-run")
    assert "kind:     document" in output and "report, speech or policy document (报告)" in output
    assert "cases:    0" in output
    result = CliRunner().invoke(main, ["add", "--corpus", str(corpus_copy), str(tmp_path / "报告.docx"),
                                       "--kind", "article", "--dry-run"])
    assert "kind:     article" in result.output and "cases:    1" in result.output
    entry, output = add(corpus_copy, tmp_path / "报告.docx")
    assert entry["kind"] == "document" and entry["expected_cases"] == 0
    cases, _ = rows_of(corpus_copy, entry["id"])
    assert [c["kind"] for c in cases] == ["document"] and REPORT_HEADING in cases[0]["body"].split("\n")


def test_each_case_of_a_compilation_takes_its_place_from_its_own_title(corpus_copy, tmp_path):
    entry, _ = add(corpus_copy, compilation_docx(tmp_path / "选编.docx"))
    cases, _ = rows_of(corpus_copy, entry["id"])
    assert [(c["region"], c["province"]) for c in cases] == [
        ("咸阳市", "陕西省"), ("滕州市", "山东省"), ("钦州市", "广西壮族自治区")]


def test_region_given_for_the_whole_file_overrides_the_titles(corpus_copy, tmp_path):
    entry, _ = add(corpus_copy, compilation_docx(tmp_path / "选编.docx"), "--region", "全国")
    cases, _ = rows_of(corpus_copy, entry["id"])
    assert {c["region"] for c in cases} == {"全国"}


def test_a_case_names_its_region_in_its_opening_when_its_title_does_not():
    from ingest.keywords import case_region
    assert case_region(["“街长制”让老街区焕发新活力", "天津市和平区在老旧街区推行街长制。"]) == ("天津市", "天津市")
    assert case_region(["天津和平区的做法"]) == ("天津市", "天津市")
    assert case_region(["各乡镇要建立协调机制", "在全省推广经验。"]) == (None, None)


def test_places_keep_road_named_communities_whole_and_skip_generic_words():
    from collections import Counter as C

    from ingest.keywords import case_place_rows, case_terms, places_by_stem
    terms = case_terms(["北京市石景山区八角南路社区推行议事厅，各乡镇要建立都市区、海岛县和大湾区的协调机制，"
                        "天津的做法也值得学习。"])
    rows = case_place_rows("c", terms.places, terms.bare, places_by_stem(C(terms.places)), C(terms.places))
    places = {r["place"] for r in rows}
    assert "八角南路社区" in places and "南路社区" not in places and "天津市" in places
    assert not places & {"各乡镇", "都市区", "海岛县", "大湾区"}


def test_headings_the_layout_marks_are_headings_whatever_their_length_and_nest_by_level(corpus_copy, tmp_path):
    import docx
    document = docx.Document()
    document.add_paragraph("某县基层治理工作情况", style="Title")
    long_heading = "以党建引领为核心，推动网格、支部、服务三位一体，打通联系服务群众的最后一公里"
    document.add_heading(long_heading, level=1)
    document.add_paragraph(OPENING)
    document.add_heading("（一）强化数智赋能", level=2)
    document.add_paragraph(PROSE[0])
    document.add_heading("（二）一网格一支部", level=2)
    document.add_paragraph(PROSE[1])
    document.save(tmp_path / "情况.docx")
    entry, _ = add(corpus_copy, tmp_path / "情况.docx", "--kind", "article")
    (case,), passages = rows_of(corpus_copy, entry["id"])
    assert case["body"].split("\n") == [long_heading, OPENING, "（一）强化数智赋能", PROSE[0],
                                        "（二）一网格一支部", PROSE[1]]
    assert [p["heading_path"] for p in passages] == [
        long_heading, f"{long_heading} > （一）强化数智赋能", f"{long_heading} > （二）一网格一支部"]
    assert [p["section"] for p in passages] == [long_heading, "（一）强化数智赋能", "（二）一网格一支部"]


def test_bold_only_word_paragraphs_are_run_in_headings_never_cases(corpus_copy, tmp_path):
    import docx
    document = docx.Document()
    document.add_paragraph("某县网格治理的做法", style="Title")
    document.add_paragraph(OPENING)
    for heading, text in zip(STACKED, PROSE):
        document.add_paragraph().add_run(heading).bold = True
        document.add_paragraph(text)
    bold_sentence = document.add_paragraph()
    bold_sentence.add_run("这是一句加粗的话。").bold = True
    document.save(tmp_path / "做法.docx")
    from ingest.formats import read_document
    from ingest.formats.record import EMPHASIS
    doc = read_document(tmp_path / "做法.docx")
    assert [t for level, t in doc.blocks if level == EMPHASIS] == STACKED[:3]
    entry, _ = add(corpus_copy, tmp_path / "做法.docx")
    assert entry["kind"] == "article"
    (case,), passages = rows_of(corpus_copy, entry["id"])
    assert [p["section"] for p in passages][:4] == [None, *STACKED[:3]]
    assert "这是一句加粗的话。" in case["body"].split("\n")


def test_a_web_pages_subheadings_and_dateline_are_kept_in_place(corpus_copy, tmp_path):
    """trafilatura drops short h2/h3 headings of a page's main text (一网格一支部, 强化数智赋能): they are put
    back before the paragraph they head, at their level; a date line under the headline is text, not a heading."""
    sections = ["一网格一支部", "强化数智赋能"]
    body = "".join(f"<h2>{h}</h2><p>{p}</p>" for h, p in zip(sections, PROSE[1:]))
    server_page(tmp_path / "news.aspx", f'<h1>{HEADLINE}</h1><p class="date">2022-06-13</p>')
    page = (tmp_path / "news.aspx").read_text(encoding="utf-8")
    page = page.replace("".join(f"<p>{p}</p>" for p in PROSE), f"<p>{PROSE[0]}</p>{body}")
    page = page.replace('class="content"', 'class="article"')  # trafilatura's article path drops the h2s
    (tmp_path / "news.aspx").write_text(page.replace("学习园地</a>", "学习园地</a><h3>导航</h3>"), encoding="utf-8")
    entry, _ = add(corpus_copy, tmp_path / "news.aspx")
    (case,), passages = rows_of(corpus_copy, entry["id"])
    assert case["title"] == HEADLINE
    for heading, paragraph in zip(sections, PROSE[1:]):
        assert [p["heading_path"] for p in passages if p["text"] == paragraph] == [heading]
    assert "2022-06-13" not in [p["heading_path"] for p in passages]
    assert "导航" not in case["body"] + "".join(p["heading_path"] or "" for p in passages)  # outside the main text
