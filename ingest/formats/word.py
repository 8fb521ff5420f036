"""Word documents (.docx): headings by their style's outline level, bold-only paragraphs as run-in
headings, paragraphs, tables as text."""
import re
import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from lxml.etree import XMLSyntaxError

from kbcore.textrules import title_shape

from .. import IngestError
from .record import EMPHASIS, Extracted, table_lines

TITLE_STYLE = re.compile(r"^(?:title|标题)$", re.I)
HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)


def read(path: Path) -> Extracted:
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as e:
        raise IngestError(f"{path}: not a Word document (.docx) that can be read ({e}); "
                          "a .doc or .wps file must be saved as .docx first") from None
    title, blocks = None, []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend((None, row) for row in table_lines(_rows(item)))
            continue
        text = item.text.strip()
        style = item.style.name if item.style is not None else ""
        if TITLE_STYLE.match(style) and title is None:
            title = text
        elif text:
            blocks.append((_heading_level(item, style) or (EMPHASIS if _bold_only(item, text) else None), text))
    return Extracted("docx", blocks, title=title or (document.core_properties.title or "").strip() or None)


def _heading_level(paragraph, style: str) -> int | None:
    """Heading N styles, or any style or paragraph with a Word outline level (custom headings)."""
    if m := HEADING_STYLE.match(style):
        return int(m.group(1))
    for element in (paragraph._p, *(s.element for s in _style_chain(paragraph.style))):
        level = element.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
        if level is not None:
            value = int(level.get(qn("w:val")))
            return value + 1 if value < 9 else None  # 9 is Word's "body text"
    return None


def _bold_only(paragraph, text: str) -> bool:
    """A paragraph set in bold and nothing else, that reads as a title (not a bold sentence): a run-in heading."""
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and title_shape(text) and all(
        r.bold or (r.bold is None and r.style is not None and r.style.font.bold)
        or (r.bold is None and any(s.font.bold for s in _style_chain(paragraph.style))) for r in runs)


def _style_chain(style):
    while style is not None:
        yield style
        style = style.base_style


def _rows(table: Table) -> list[list[str]]:
    """The text of each row's cells (a merged cell is read once)."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if cell._tc not in seen:
                seen.add(cell._tc)
                cells.append(" ".join(p.text.strip() for p in cell.paragraphs if p.text.strip()))
        rows.append(cells)
    return rows
