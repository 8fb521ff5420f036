"""OFD (GB/T 33190, the national format for electronic documents): a zip of XML files. The text
objects of each page are read in reading order, with their position and type size, and rebuilt
into paragraphs and headings by the same layout rules as a PDF's text layer.

The XML is parsed without entities, DTDs or network access, and each part is read only up to the
size limit of a corpus file, so a hostile package can neither reach out nor blow up.
"""
import posixpath
import zipfile
from pathlib import Path

from lxml import etree

from kbcore.limits import MAX_SOURCE_BYTES

from .. import IngestError
from .layout import Line, Page, paragraphs
from .record import Extracted

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
DEFAULT_PAGE = (210.0, 297.0)  # A4 in millimetres, OFD's unit, when a page states no size


def read(path: Path) -> Extracted:
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise IngestError(f"{path}: not an OFD file that can be read (not a zip package: {e})") from None
    with package:
        root = _xml(package, "OFD.xml", path)
        doc_root = _text(_first(root, "DocRoot"))
        if not doc_root:
            raise IngestError(f"{path}: not an OFD file that can be read (OFD.xml names no DocRoot)")
        document = _xml(package, doc_root, path)
        base = posixpath.dirname(doc_root)
        default_box = _box(_first(_first(document, "PageArea"), "PhysicalBox")) or (0, 0, *DEFAULT_PAGE)
        pages = []
        for number, page in enumerate(_all(_first(document, "Pages"), "Page"), 1):
            content = _xml(package, posixpath.join(base, page.get("BaseLoc", "")), path)
            box = _box(_first(_first(content, "Area"), "PhysicalBox")) or default_box
            pages.append(Page(number, box[2], box[3], _lines(content, number)))
        title = _text(_first(_first(root, "DocInfo"), "Title")) or None
    return Extracted("ofd", paragraphs(pages), title=title, pages=len(pages))


def _xml(package: zipfile.ZipFile, name: str, path: Path):
    name = name.lstrip("/")
    try:
        with package.open(name) as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except KeyError:
        raise IngestError(f"{path}: not an OFD file that can be read ({name} is missing)") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise IngestError(f"{path}: {name} is over {MAX_SOURCE_BYTES // 2**20} MB (kbcore/limits.py MAX_SOURCE_BYTES)")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as e:
        raise IngestError(f"{path}: {name} is not well-formed XML ({e})") from None


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _first(element, name: str):
    if element is None:
        return None
    return next((e for e in element.iter() if _local(e) == name), None)


def _all(element, name: str) -> list:
    return [] if element is None else [e for e in element.iter() if _local(e) == name]


def _text(element) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _numbers(value: str | None) -> list[float]:
    try:
        return [float(v) for v in (value or "").split()]
    except ValueError:
        return []


def _box(element) -> tuple[float, float, float, float] | None:
    values = _numbers(_text(element))
    return tuple(values) if len(values) == 4 else None


def _lines(content, number: int) -> list[Line]:
    """The page's text objects as lines: text codes on one baseline (within half a type size) join
    left to right; lines are read top to bottom."""
    codes = []
    for obj in _all(content, "TextObject"):
        box = _numbers(obj.get("Boundary")) or [0, 0, 0, 0]
        size = (_numbers(obj.get("Size")) or [box[3] or 3.5])[0]
        for code in _all(obj, "TextCode"):
            text = code.text or ""
            if not text.strip():
                continue
            x = box[0] + (_numbers(code.get("X")) or [0])[0]
            baseline = box[1] + (_numbers(code.get("Y")) or [size])[0]
            width = sum(_numbers(code.get("DeltaX"))) + size if code.get("DeltaX") else size * len(text)
            codes.append(Line(number, x, x + width, baseline - size, baseline, text))
    lines: list[Line] = []
    for code in sorted(codes, key=lambda c: (c.bottom, c.x0)):
        last = lines[-1] if lines else None
        if last and abs(code.bottom - last.bottom) < code.height / 2:
            last.text, last.x1 = last.text + code.text, max(last.x1, code.x1)
        else:
            lines.append(code)
    return lines
