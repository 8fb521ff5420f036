"""Format readers (ingest.formats): what each makes of a document, and the clear error for each bad one."""
import importlib.util

import pytest

from documents import (
    CASES,
    ENCRYPTED_PDF,
    NANJING,
    SITE_RESIDUE,
    TAICANG,
    case_lines,
    cjk_font,
    paragraphs,
    printed_pdf,
    text_image,
    web_page,
    word_cases,
)
from ingest import IngestError
from ingest.formats import ocr, read_document
from ingest.formats.layout import Line, Page, paragraphs as layout_paragraphs
from ingest.formats.markdown import parse
from ingest.formats.radicals import RADICALS, fold_radicals
from kbcore.text import to_simplified

HAS_OCR = importlib.util.find_spec("rapidocr") is not None
needs_ocr = pytest.mark.skipif(not HAS_OCR, reason="OCR extra not installed: pip install -e '.[ocr]'")


def texts(doc, level=None):
    return [t for l, t in doc.blocks if l == level]


def assert_no_radicals(text):
    assert not [c for c in text if ord(c) in RADICALS]


@pytest.fixture(scope="module")
def pdf_path(tmp_path_factory):
    path = printed_pdf(tmp_path_factory.mktemp("pdf"))
    if path is None:
        pytest.skip("/usr/bin/chromium not installed (scripts/install-browser prints the test PDF)")
    return path


def test_radical_table_is_unicode_equivalents():
    kangxi = [cp for cp in RADICALS if 0x2F00 <= cp <= 0x2FD5]
    supplement = [cp for cp in RADICALS if 0x2E80 <= cp <= 0x2EF3]
    assert (len(kangxi), len(supplement)) == (214, 114)
    assert 0x2E80 not in RADICALS and 0x2E9A not in RADICALS  # no equivalent / unassigned
    assert fold_radicals("⼗个村的⺠主协商，⻓江⾯貌") == "十个村的民主协商，长江面貌"


def test_word_headings_tables_and_title(tmp_path):
    doc = read_document(word_cases(tmp_path / "cases.docx"))
    assert doc.format == "docx" and doc.title == "基层治理案例选编"
    assert texts(doc, 1) == [TAICANG["title"], NANJING["title"]]
    assert texts(doc, 2) == ["主要做法", "工作成效"] * 2
    body = texts(doc)
    assert "事项 | 数量；" in body and "清单事项 | 28项。" in body
    assert body[0] == TAICANG["first"] and "点评：这一做法值得推广。" in body


def test_a_docx_that_is_not_a_word_file(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_text("只是文本", encoding="utf-8")
    with pytest.raises(IngestError, match=f"{path}: not a Word document"):
        read_document(path)


def test_web_page_main_text_without_site_furniture(tmp_path):
    doc = read_document(web_page(tmp_path / "page.html"))
    assert (doc.title, doc.date, doc.encoding) == ("基层治理案例两则", "2021-06-18", "UTF-8")
    assert texts(doc, 2) == [f"案例一：{TAICANG['title']}", f"案例二：{NANJING['title']}"]
    assert texts(doc) == paragraphs(TAICANG) + paragraphs(NANJING)
    assert not [r for r in SITE_RESIDUE if any(r in t for _, t in doc.blocks)]


def test_web_page_without_main_text(tmp_path):
    path = tmp_path / "nav.html"
    path.write_text("<html><body><nav><a href='/'>首页</a> <a>新闻</a></nav><footer>版权所有</footer></body></html>",
                    encoding="utf-8")
    with pytest.raises(IngestError, match=f"{path}: no main text"):
        read_document(path)


def test_printed_pdf_paragraphs_headings_and_no_running_heads(pdf_path):
    doc = read_document(pdf_path)
    assert doc.format == "pdf" and doc.pages >= 3 and not doc.ocr_pages
    assert doc.title == "基层治理案例汇编"
    assert texts(doc, 2) == [f"案例一：{TAICANG['title']}", f"案例二：{NANJING['title']}"]
    body = texts(doc)
    assert body[0] == TAICANG["first"] and body[-1] == NANJING["last"]
    assert TAICANG["last"] in body and NANJING["first"] in body  # paragraphs whole across page breaks
    assert len(body) == sum(len(paragraphs(c, 12)) for c in CASES)
    everything = "".join(t for _, t in doc.blocks)
    assert "内部资料" not in everything and "编印" not in everything and "—" not in everything
    assert_no_radicals(everything)


def test_encrypted_and_corrupt_pdfs(tmp_path):
    locked, broken = tmp_path / "locked.pdf", tmp_path / "broken.pdf"
    locked.write_bytes(ENCRYPTED_PDF)
    broken.write_bytes(b"%PDF-1.4\nnot really a pdf")
    with pytest.raises(IngestError, match=f"{locked}: the PDF is encrypted"):
        read_document(locked)
    with pytest.raises(IngestError, match=f"{broken}: not a readable PDF"):
        read_document(broken)


def test_scanned_pdf_without_the_ocr_extra_says_how_to_install_it(tmp_path, monkeypatch):
    pytest.importorskip("PIL")
    font = cjk_font() or pytest.skip("no Noto CJK font (fonts-noto-cjk)")
    path = tmp_path / "scan.pdf"
    text_image(case_lines(), font).save(path)

    def missing():
        raise ImportError("No module named 'rapidocr'")
    monkeypatch.setattr(ocr, "_engine", missing)
    with pytest.raises(IngestError, match=rf"{path}: page\(s\) 1 have no text layer .*pip install -e '\.\[ocr\]'"):
        read_document(path)


def test_markdown_structure_and_radicals(tmp_path):
    path = tmp_path / "cases.md"
    path.write_text("# 汇编\n\n## 案例一：⼗个村\n\n第一段**加粗**，[链接](http://x)，\\*星号\\*，\n软换行。\n\n"
                    "- 列表项\n1. 编号项\n\n| 事项 | 数量 |\n|---|---|\n| 清单 | 28项 |\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "汇编"
    assert doc.blocks == [(2, "案例一：十个村"), (None, "第一段加粗，链接，*星号*，软换行。"), (None, "列表项"),
                          (None, "1. 编号项"), (None, "事项 | 数量；"), (None, "清单 | 28项。")]


def test_text_reports_its_encoding(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("政社互动的两份清单\r\n".encode("gbk") + TAICANG["first"].encode("gbk"))
    doc = read_document(path)
    assert doc.encoding == "GB18030" and texts(doc) == [TAICANG["first"]]
    assert doc.title == "政社互动的两份清单"  # a first line that reads as a title is the title


def test_unknown_extension(tmp_path):
    path = tmp_path / "cases.xyz"
    path.write_text("案例", encoding="utf-8")
    with pytest.raises(IngestError, match=rf"{path}: unknown file type '\.xyz'; casekb add reads .*\.docx"):
        read_document(path)


def test_layout_drops_furniture_and_rebuilds_paragraphs():
    """Two pages: a running head and page numbers; a paragraph crossing the page break; an
    indented paragraph start; a heading in larger type."""
    def line(page, x0, x1, top, text, size=10):
        return Line(page, x0, x1, top, top + size, text)
    full = "全" * 40  # a full line: 40 characters of 10 units
    pages = [
        Page(1, 500, 800, [line(1, 50, 450, 20, "某市案例汇编"), line(1, 50, 230, 100, "案例一：标题", size=15),
                           line(1, 70, 450, 130, full), line(1, 50, 450, 145, full), line(1, 50, 450, 160, full),
                           line(1, 245, 255, 770, "1")]),
        Page(2, 500, 800, [line(2, 50, 450, 20, "某市案例汇编"), line(2, 50, 250, 100, "续完。"),
                           line(2, 70, 450, 115, full), line(2, 50, 150, 130, "末句。"),
                           line(2, 240, 260, 770, "- 2 -")]),
    ]
    assert layout_paragraphs(pages) == [(1, "案例一：标题"), (None, full * 3 + "续完。"), (None, full + "末句。")]


@needs_ocr
@pytest.mark.slow  # OCR
def test_image_is_read_by_ocr_with_its_confidence(tmp_path):
    font = cjk_font() or pytest.skip("no Noto CJK font (fonts-noto-cjk)")
    path = tmp_path / "scan.png"
    text_image(case_lines(), font).save(path)
    doc = read_document(path)
    assert doc.format == "png" and doc.ocr_pages == [1] and doc.ocr_confidence > 0.9
    # OCR may read a Simplified character as its Traditional form (減 for 减); the build folds both
    everything = to_simplified("".join(t for _, t in doc.blocks))
    for case in CASES:
        assert case["title"] in everything and case["first"] in everything and case["last"] in everything


@needs_ocr
@pytest.mark.slow  # OCR
def test_pdf_with_a_scanned_page_lists_the_ocrd_page(pdf_path, tmp_path):
    """Text-layer pages are read from the text layer; only the scanned page goes to OCR, and it is named."""
    import pypdfium2 as pdfium
    font = cjk_font() or pytest.skip("no Noto CJK font (fonts-noto-cjk)")
    scan = tmp_path / "scan.pdf"
    lines = [("附：补充材料", 34), ("社区议事会每月召开一次，居民可以提出议题。", 26)]
    text_image(lines, font).save(scan, resolution=150)
    mixed = pdfium.PdfDocument(str(pdf_path))
    pages = len(mixed)
    mixed.import_pages(pdfium.PdfDocument(str(scan)))
    mixed.save(tmp_path / "mixed.pdf")
    doc = read_document(tmp_path / "mixed.pdf")
    assert doc.pages == pages + 1 and doc.ocr_pages == [pages + 1] and doc.ocr_confidence > 0.9
    assert texts(doc)[-1] == "社区议事会每月召开一次，居民可以提出议题。" and NANJING["last"] in texts(doc)


@needs_ocr
@pytest.mark.slow  # OCR
def test_image_without_text(tmp_path):
    from PIL import Image
    path = tmp_path / "blank.png"
    Image.new("L", (600, 400), 255).save(path)
    with pytest.raises(IngestError, match=f"{path}: no Chinese text found by OCR"):
        read_document(path)


def test_markdown_parse_keeps_table_rows_and_drops_rules():
    assert parse("a\n\n---\n\n| x | y |\n|:--|--:|\n| 1 | 2 |\nb") == [
        (None, "a"), (None, "x | y；"), (None, "1 | 2。"), (None, "b")]
