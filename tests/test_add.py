"""`casekb add` end to end: each kind of document is added to a copy of the corpus, built, and
every case is found whole, clean and correctly decoded; bad documents leave sources.yml as it was."""
import importlib.util
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from casekb.build import build
from casekb.cli import main
from conftest import CORPUS
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
    word_book_cases,
    word_cases,
)
from ingest import IngestError
from ingest.clean import clean
from ingest.formats.radicals import RADICALS
from ingest.manifest import load_manifest
from ingest.segment import SOURCE_KINDS
from kbcore.text import to_simplified

HAS_OCR = importlib.util.find_spec("rapidocr") is not None


def add(corpus, *args):
    return CliRunner().invoke(main, ["add", "--corpus", str(corpus), *map(str, args)])


def added(corpus, *args) -> dict:
    """Add, check the command succeeded, and return the new manifest entry."""
    result = add(corpus, *args)
    assert result.exit_code == 0, result.output
    return load_manifest(corpus)[-1]


def built_cases(corpus, tmp_path, source_id) -> dict[str, dict]:
    db = tmp_path / "casekb.db"
    build(corpus, db, progress=False)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return {r["id"]: dict(r) for r in conn.execute("select * from cases where source_id = ?", (source_id,))}


def assert_whole_and_clean(case: dict, expected: dict, other: dict, fold=lambda t: t):
    """Title, first and last sentence present; nothing of the other case, the site or a radical."""
    body = fold(case["body"])
    lines = body.split("\n")  # paragraphs, and section headings on their own lines
    assert fold(case["title"]) == expected["title"]
    assert any(line.startswith(expected["first"]) for line in lines[:2]) and body.endswith(expected["last"])
    assert other["first"] not in body and other["last"] not in body and other["title"] not in body
    assert not [r for r in SITE_RESIDUE if r in body]
    assert not [c for c in case["body_original"] if ord(c) in RADICALS]


@pytest.mark.slow
def test_word_file_with_two_cases(corpus_copy, tmp_path):
    entry = added(corpus_copy, word_cases(tmp_path / "选编.docx"), "--region", "太仓市", "--date", "2020")
    assert (entry["kind"], entry["format"], entry["script"], entry["expected_cases"]) == (
        "cases", "docx", "Simplified", 2)
    assert entry["title"] == "基层治理案例选编" and entry["original"].startswith("originals/")
    assert (corpus_copy / entry["original"]).read_bytes() == (tmp_path / "选编.docx").read_bytes()
    cases = built_cases(corpus_copy, tmp_path, entry["id"])
    first, second = cases[f"{entry['id']}-1"], cases[f"{entry['id']}-2"]
    assert_whole_and_clean(first, TAICANG, NANJING)
    assert_whole_and_clean(second, NANJING, TAICANG)
    assert "事项 | 数量；\n清单事项 | 28项。" in first["body"] and first["comment"] == "这一做法值得推广。"
    # Word styles alone mark these cases: cited by their own heading, never an invented 案例1 (issue 20)
    assert first["region"] == "太仓市" and first["citation"].endswith("，太仓市：政社互动的两份清单")
    assert "案例1" not in first["citation"] and "案例1" not in (corpus_copy / entry["file"]).read_text(encoding="utf-8")


@pytest.mark.slow
def test_web_page_main_text_only(corpus_copy, tmp_path):
    entry = added(corpus_copy, web_page(tmp_path / "page.html"), "--url", "https://example.org/cases.html")
    assert (entry["kind"], entry["title"], entry["date"]) == ("cases", "基层治理案例两则", "2021-06-18")
    cases = built_cases(corpus_copy, tmp_path, entry["id"])
    assert_whole_and_clean(cases[f"{entry['id']}-1"], TAICANG, NANJING)
    assert_whole_and_clean(cases[f"{entry['id']}-2"], NANJING, TAICANG)
    assert cases[f"{entry['id']}-2"]["body"].endswith(NANJING["last"])


@pytest.mark.slow
def test_printed_pdf(corpus_copy, tmp_path):
    pdf = printed_pdf(tmp_path) or pytest.skip("/usr/bin/chromium not installed (scripts/install-browser)")
    result = add(corpus_copy, pdf)
    assert result.exit_code == 0, result.output
    assert "format:   pdf" in result.output and "cases:    2" in result.output
    assert f"1. {TAICANG['title']}" in result.output and f"2. {NANJING['title']}" in result.output
    entry = load_manifest(corpus_copy)[-1]
    cases = built_cases(corpus_copy, tmp_path, entry["id"])
    assert_whole_and_clean(cases[f"{entry['id']}-1"], TAICANG, NANJING)
    assert_whole_and_clean(cases[f"{entry['id']}-2"], NANJING, TAICANG)
    for n, case in enumerate(CASES, 1):
        body = cases[f"{entry['id']}-{n}"]["body"]
        assert "内部资料" not in body and "编印" not in body and "—" not in body  # running head, foot, page number
        assert body.split("\n") == paragraphs(case, 12)  # every paragraph whole, across page breaks


@pytest.mark.slow
@pytest.mark.skipif(not HAS_OCR, reason="OCR extra not installed: pip install -e '.[ocr]'")
def test_scanned_image_is_ocrd_and_marked(corpus_copy, tmp_path):
    font = cjk_font() or pytest.skip("no Noto CJK font (fonts-noto-cjk)")
    path = tmp_path / "scan.png"
    text_image(case_lines(), font).save(path)
    result = add(corpus_copy, path, "--title", "扫描的案例")
    assert result.exit_code == 0, result.output
    assert "read by OCR, mean confidence" in result.output
    entry = load_manifest(corpus_copy)[-1]
    assert entry["format"] == "png" and entry["ocr_pages"] == [1] and entry["ocr_confidence"] > 0.9
    cases = built_cases(corpus_copy, tmp_path, entry["id"])
    # OCR may read 减 as 減; the indexed columns are folded to Simplified, as here
    assert_whole_and_clean(cases[f"{entry['id']}-1"], TAICANG, NANJING, fold=to_simplified)
    assert_whole_and_clean(cases[f"{entry['id']}-2"], NANJING, TAICANG, fold=to_simplified)


@pytest.mark.slow
def test_the_books_missing_case_text_is_proposed_as_book_cases(corpus_copy, tmp_path):
    titles = ["动迁安置工作的“放手还权”", "浏河镇313路公交线路的开通"]
    result = add(corpus_copy, word_book_cases(tmp_path / "补.docx", titles))
    assert result.exit_code == 0, result.output
    entry = load_manifest(corpus_copy)[-1]
    assert (entry["kind"], entry["part_of"]) == ("book_cases", "taicang100")
    cases = built_cases(corpus_copy, tmp_path, "taicang100")
    for cid, k in (("taicang100-001", 1), ("taicang100-009", 2)):
        assert cases[cid]["status"] == "full_text"
        assert cases[cid]["body"] == f"这是第{k}个补入案例的正文，记录了镇村协商的经过和结果。"
        assert cases[cid]["comment"] == f"第{k}个补入案例的点评。"
    assert cases["taicang100-009"]["page"] == 21  # still the book's case, with its contents entry


@pytest.mark.slow
def test_traditional_gbk_text_keeps_its_original(corpus_copy, tmp_path):
    path = tmp_path / "cases.txt"
    text = ("社區治理兩則\n案例1：南京市大力推動社區減負增效\n南京市把社區承擔的工作事項由78項減少到28項。\n"
            "案例2：廈門市的社區協商\n廈門市組織居民議事，共同商量社區的事情。\n")
    path.write_bytes(text.encode("gbk"))
    entry = added(corpus_copy, path)
    assert (entry["kind"], entry["script"], entry["format"]) == ("cases", "Traditional", "txt")
    assert (corpus_copy / entry["file"]).read_text(encoding="utf-8") == text
    assert (corpus_copy / entry["original"]).read_bytes() == path.read_bytes()  # the GBK file as received
    case = built_cases(corpus_copy, tmp_path, entry["id"])[f"{entry['id']}-1"]
    assert (case["title"], case["title_original"]) == ("南京市大力推动社区减负增效", "南京市大力推動社區減負增效")


def test_utf8_text_in_the_corpus_layout_is_not_kept_twice(corpus_copy, tmp_path):
    path = tmp_path / "article.txt"
    path.write_text("一篇文章\n" + TAICANG["first"] + "\n" + TAICANG["last"] + "\n", encoding="utf-8")
    entry = added(corpus_copy, path, "--id", "one-article")
    assert (entry["kind"], entry["expected_cases"]) == ("article", 1) and "original" not in entry
    assert not (corpus_copy / "originals").exists()


def test_dry_run_writes_nothing(corpus_copy, tmp_path):
    before = sorted(p.name for p in corpus_copy.rglob("*"))
    manifest = (corpus_copy / "sources.yml").read_bytes()
    result = add(corpus_copy, web_page(tmp_path / "page.html"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would add" in result.output and "cases:    2" in result.output and "Dry run" in result.output
    assert (corpus_copy / "sources.yml").read_bytes() == manifest
    assert sorted(p.name for p in corpus_copy.rglob("*")) == before


def test_manifest_keeps_its_comments_and_gains_a_valid_entry(corpus_copy, tmp_path):
    before = (corpus_copy / "sources.yml").read_text(encoding="utf-8")
    added(corpus_copy, web_page(tmp_path / "page.html"), "--id", "web-cases", "--region", "某某市")
    after = (corpus_copy / "sources.yml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")) and "# Fields" in after
    appended = yaml.safe_load(after[len(before.rstrip("\n")):].replace("\n  ", "\n"))
    assert appended[0]["id"] == "web-cases" and appended[0]["region"] == "某某市"


def bad_docx(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_text("这不是Word文件", encoding="utf-8")
    return path, "not a Word document"


def empty_page(tmp_path):
    path = tmp_path / "nav.html"
    path.write_text("<html><body><nav><a href='/'>首页</a></nav><footer>版权所有</footer></body></html>",
                    encoding="utf-8")
    return path, "no main text"


def encrypted_pdf(tmp_path):
    path = tmp_path / "locked.pdf"
    path.write_bytes(ENCRYPTED_PDF)
    return path, "encrypted"


def corrupt_pdf(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n% cut short")
    return path, "not a readable PDF"


def already_there(tmp_path):
    path = tmp_path / "copy.txt"
    path.write_bytes((CORPUS / "001_a55191d4b931181c.txt").read_bytes())
    return path, "already in the corpus as"


def unknown_extension(tmp_path):
    path = tmp_path / "cases.odt"
    path.write_bytes(b"PK\x03\x04")
    return path, "unknown file type '.odt'"


def blank_image(tmp_path):
    if not HAS_OCR:
        pytest.skip("OCR extra not installed: pip install -e '.[ocr]'")
    from PIL import Image
    path = tmp_path / "blank.png"
    Image.new("L", (600, 300), 255).save(path)
    return path, "no Chinese text found by OCR"


@pytest.mark.parametrize("make", [bad_docx, empty_page, encrypted_pdf, corrupt_pdf, already_there,
                                  unknown_extension, blank_image])
def test_bad_documents_name_the_file_and_change_nothing(corpus_copy, tmp_path, make):
    path, message = make(tmp_path)
    good = web_page(tmp_path / "good.html")  # added in the same command: all or nothing
    manifest = (corpus_copy / "sources.yml").read_bytes()
    files = sorted(p.name for p in corpus_copy.rglob("*"))
    result = add(corpus_copy, good, path)
    assert result.exit_code != 0
    assert str(path) in result.output and message in result.output, result.output
    assert "Nothing was added" in result.output and "Traceback" not in result.output
    assert (corpus_copy / "sources.yml").read_bytes() == manifest
    assert sorted(p.name for p in corpus_copy.rglob("*")) == files


def test_a_failure_while_writing_removes_what_was_written(corpus_copy, tmp_path, monkeypatch):
    import casekb.add as add_module
    manifest = (corpus_copy / "sources.yml").read_bytes()
    files = sorted(p.name for p in corpus_copy.rglob("*"))

    def refuse(*args):
        raise OSError("simulated failure after the files were written")
    monkeypatch.setattr(add_module.os, "replace", refuse)
    result = add(corpus_copy, web_page(tmp_path / "page.html"))
    assert result.exit_code != 0 and "simulated failure" in result.output
    assert (corpus_copy / "sources.yml").read_bytes() == manifest
    assert sorted(p.name for p in corpus_copy.rglob("*")) == files


def test_one_document_options_with_several_files(corpus_copy, tmp_path):
    result = add(corpus_copy, web_page(tmp_path / "a.html"), word_cases(tmp_path / "b.docx"), "--id", "x")
    assert result.exit_code != 0 and "add the files one at a time" in result.output


def test_a_kind_the_manifest_refuses_is_refused_before_writing(corpus_copy, tmp_path):
    manifest = (corpus_copy / "sources.yml").read_bytes()
    for args, message in ((["--kind", "journal_feature"], "kind journal_feature needs case_regions"),
                          (["--kind", "podcast"], "--kind 'podcast': expected one of"),
                          (["--part-of", "taicang-practice"], "part_of 'taicang-practice' is not a book")):
        for dry_run in ([], ["--dry-run"]):
            result = add(corpus_copy, web_page(tmp_path / "page.html"), *args, *dry_run)
            assert result.exit_code != 0 and message in result.output, result.output
            assert (corpus_copy / "sources.yml").read_bytes() == manifest


@pytest.mark.parametrize("text, expected", [
    ("汇编\n案例1：甲地的做法\n正文一。\n案例2：乙地的做法\n正文二。", [(1, "甲地的做法"), (2, "乙地的做法")]),
    ("汇编\n案例一\n甲地的做法\n正文一。\n第二个案例：乙地的做法\n正文二。", [(1, "甲地的做法"), (2, "乙地的做法")]),
    ("汇编\n一、甲地的做法\n（一）背景\n正文一。\n二、乙地的做法\n正文二。", [(1, "甲地的做法"), (2, "乙地的做法")]),
    ("汇编\n1．甲地的做法\n正文一。\n2．乙地的做法\n正文二。", [(1, "甲地的做法"), (2, "乙地的做法")]),
    # "一、" counting 1, 2, 1, 2 is a list inside each case, not the cases
    ("汇编\n案例1：甲地\n一、背景\n正文一。\n二、做法\n正文。\n案例2：乙地\n一、背景\n正文二。\n二、做法\n正文。",
     [(1, "甲地"), (2, "乙地")]),
])
def test_cases_segmenter_heading_families(text, expected):
    lines, _ = clean(text, "cases.txt")
    docs = SOURCE_KINDS["cases"].segment({"path": Path("cases.txt"), "case_regions": {}}, lines)
    assert [(d["number"], d["title"]) for d in docs if d["kind"] == "collection_case"] == expected
    assert all(d["blocks"] for d in docs)


@pytest.mark.parametrize("text, message", [
    ("汇编\n案例1：甲\n正文。\n案例1：乙\n正文。", "cases.txt:4: duplicate case number 1 (first at line 2)"),
    ("只有一段正文，没有任何案例标题。", "cases.txt: no case headings found"),
])
def test_cases_segmenter_errors_name_file_and_line(text, message):
    lines, _ = clean(text, "cases.txt")
    with pytest.raises(IngestError, match=re.escape(message)):
        SOURCE_KINDS["cases"].segment({"path": Path("cases.txt"), "case_regions": {}}, lines)
