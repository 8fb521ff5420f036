"""Course pack as a Word document (python-docx), for trainers who edit before handing out."""
import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

CJK_FONT = "宋体"
HEADING_FONT = "黑体"
WIDE_TABLE = 8  # more case columns than this: the table gets a landscape page
GREY = RGBColor(0x77, 0x77, 0x77)
AMBER = RGBColor(0xA1, 0x5C, 0x00)


def render_docx(pack: dict) -> bytes:
    doc = Document()
    _fonts(doc)
    doc.core_properties.title = pack["title"]
    doc.core_properties.subject = pack["selection"] or "基层治理案例"
    doc.core_properties.keywords = "casekb"
    _cover(doc, pack)
    for case in pack["cases"]:
        doc.add_page_break()
        _case(doc, case)
    _comparison(doc, pack)
    doc.add_heading("来源文献", level=1)
    for n, s in enumerate(pack["sources"], 1):  # numbered in text: Word's list numbering runs on across lists
        doc.add_paragraph(f"{n}. {s['entry']}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _fonts(doc):
    """Word picks East Asian glyphs from w:eastAsia; without it Chinese falls back per machine.

    A w:eastAsiaTheme attribute (the template has one on the defaults and headings) would win
    over w:eastAsia, so it is removed from the styles the pack uses.
    """
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    for fonts in defaults.iter(qn("w:rFonts")):
        fonts.attrib.pop(qn("w:eastAsiaTheme"), None)
    for lang in defaults.iter(qn("w:lang")):  # Chinese line breaking and proofing
        lang.set(qn("w:eastAsia"), "zh-CN")
    for name, font in (("Normal", CJK_FONT), ("Title", HEADING_FONT), ("Heading 1", HEADING_FONT),
                       ("Heading 2", HEADING_FONT), ("Heading 3", HEADING_FONT)):
        fonts = doc.styles[name].element.get_or_add_rPr().get_or_add_rFonts()
        fonts.attrib.pop(qn("w:eastAsiaTheme"), None)
        fonts.set(qn("w:eastAsia"), font)
    doc.styles["Normal"].font.size = Pt(11)


def _cover(doc, pack):
    doc.add_heading(pack["title"], level=0)
    doc.add_paragraph(pack["dateline"])
    doc.add_paragraph(pack["summary"])
    doc.add_heading("案例目录", level=1)
    for c in pack["cases"]:
        doc.add_paragraph(f"{c['n']}. {c['title']}（{c['place']}）")


def _case(doc, case):
    doc.add_heading(f"{case['n']}. {case['title']}", level=1)
    for label, value in case["meta"]:
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        p.add_run(f"{label}：").bold = True
        p.add_run(value)
    if case["missing_note"]:
        run = doc.add_paragraph().add_run(f"注：{case['missing_note']}")
        run.italic, run.font.color.rgb = True, AMBER
    section = None
    for p in case["body_passages"]:
        if p["section"] and p["section"] != section:
            section = p["section"]
            doc.add_heading(section, level=2)
        para = doc.add_paragraph(p["text"] + " ")
        ref = para.add_run(f"〔{p['id']}〕")
        ref.font.size, ref.font.color.rgb = Pt(8), GREY
    if case["comment"]:
        doc.add_heading("专家点评", level=2)
        doc.add_paragraph(case["comment"])


def _comparison(doc, pack):
    columns = pack["matrix_cases"]
    if len(columns) > WIDE_TABLE:
        section = doc.add_section()
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    else:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading("机制对照表", level=1)
    if pack["matrix"]:
        _matrix_table(doc, pack)
    doc.add_paragraph(pack["matrix_note"])


def _matrix_table(doc, pack):
    columns = pack["matrix_cases"]
    table = doc.add_table(rows=1, cols=len(columns) + 1)
    table.style = "Table Grid"
    header = table.rows[0].cells
    header[0].text = "机制"
    for cell, c in zip(header[1:], columns):
        cell.text = f"{c['n']}. {c['place']}"
    for row in pack["matrix"]:
        cells = table.add_row().cells
        cells[0].text = row["id"]
        for cell, evidence in zip(cells[1:], row["cells"]):
            cell.text = "✓" if evidence else ""
