"""Course pack as a Word document (python-docx), for trainers who edit before handing out."""
import dataclasses
import io
import re

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .pack import CoursePack

CJK_FONT = "宋体"
HEADING_FONT = "黑体"
WIDE_TABLE = 8  # more case columns than this: the table gets a landscape page
GREY = RGBColor(0x77, 0x77, 0x77)
AMBER = RGBColor(0xA1, 0x5C, 0x00)


# What XML 1.0 cannot hold (C0 controls but tab and newlines, lone surrogates, U+FFFE/U+FFFF):
# python-docx refuses such text with a ValueError, e.g. a NUL in a title typed into a URL.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value):
    """The value with every character XML 1.0 cannot hold removed, in strings nested in dicts,
    lists, tuples and dataclasses too: every text python-docx receives passes through here."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, dict):
        return {k: xml_text(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # the pack record and its parts
        return dataclasses.replace(value, **{f.name: xml_text(getattr(value, f.name))
                                             for f in dataclasses.fields(value)})
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
        return type(value)(*(xml_text(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(xml_text(v) for v in value)
    return value


def render_docx(pack: CoursePack) -> bytes:
    pack = xml_text(pack)
    doc = Document()
    _fonts(doc)
    _page_setup(doc, pack)
    doc.core_properties.title = pack.title
    doc.core_properties.subject = pack.selection or "基层治理案例"
    doc.core_properties.keywords = "casekb"
    _cover(doc, pack)
    for case in pack.case_pages:
        doc.add_page_break()
        _case(doc, case)
    if pack.title_only_list:
        doc.add_page_break()
        doc.add_heading(pack.title_only_heading, level=1)
        doc.add_paragraph(pack.title_only_intro)
        for c in pack.title_only_list:
            p = doc.add_paragraph()
            p.add_run(f"{c['n']}. {c['title']}（{c['place']}）").bold = True
            p.add_run(f"：{c['list_line']}")
    _comparison(doc, pack)
    doc.add_heading("来源文献", level=1)
    for n, s in enumerate(pack.sources, 1):  # numbered in text: Word's list numbering runs on across lists
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


def _page_setup(doc, pack):
    """A4 (210 x 297 mm) with 25 mm margins, the pack's title as a running header and the page
    number (a PAGE field, which Word and LibreOffice fill in) centred in the footer. Later sections
    (the landscape table) inherit the header and footer."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    header = section.header.paragraphs[0]
    header.text = pack.title
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for run in header.runs:
        run.font.size, run.font.color.rgb = Pt(9), GREY
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    _field(footer.add_run(), "PAGE", "1")
    footer.add_run(" 页，共 ")
    _field(footer.add_run(), "NUMPAGES", "1")
    footer.add_run(" 页")


def _field(run, instruction: str, placeholder: str):
    """A Word field (PAGE, NUMPAGES) in the run: begin, instruction, separate, cached text, end."""
    def char(kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    cached = OxmlElement("w:t")
    cached.text = placeholder
    for el in (char("begin"), text, char("separate"), cached, char("end")):
        run._r.append(el)


def _cover(doc, pack):
    doc.add_heading(pack.title, level=0)
    doc.add_paragraph(pack.dateline)
    doc.add_paragraph(pack.summary)
    doc.add_heading("案例目录", level=1)
    for c in pack.cases:
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
        doc.add_paragraph(p["text"])
    if case["comment"]:
        doc.add_heading("专家点评", level=2)
        doc.add_paragraph(case["comment"])


def _comparison(doc, pack):
    columns = pack.matrix_cases
    if len(columns) > WIDE_TABLE:
        section = doc.add_section()
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    else:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading("机制对照表", level=1)
    if pack.matrix:
        _matrix_table(doc, pack)
    doc.add_paragraph(pack.matrix_note)


def _matrix_table(doc, pack):
    columns = pack.matrix_cases
    table = doc.add_table(rows=1, cols=len(columns) + 1)
    table.style = "Table Grid"
    header = table.rows[0].cells
    header[0].text = "机制"
    for cell, c in zip(header[1:], columns):
        cell.text = f"{c['n']}. {c['place']}"
    for row in pack.matrix:
        cells = table.add_row().cells
        cells[0].text = row["id"]
        for cell, evidence in zip(cells[1:], row["cells"]):
            cell.text = "✓" if evidence else ""
