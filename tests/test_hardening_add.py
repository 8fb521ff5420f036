"""Issue 21, `casekb add`: one document from outside cannot exhaust the curator's machine, every
refusal is one line naming the file, legacy East-Asian encodings are told apart, the build's limits
are checked by add, two adds at once lose nothing, and no name or id carries control characters."""
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from casekb.cli import main
from documents import TAICANG, page_pdf, paragraphs, word_cases
from ingest.formats import guards
from ingest.manifest import load_manifest
from kbcore.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_INFLATED_MEMBER_BYTES,
    MAX_OCR_PAGES,
    MAX_PDF_PAGES,
    MAX_SOURCE_BYTES,
    MAX_WEB_PAGE_BYTES,
)

ROOT = Path(__file__).resolve().parents[1]
TRADITIONAL = ["太倉市：政社互動的兩份清單", "2008年起，太倉市開始探索政府行政管理與基層群眾自治有效銜接的路徑。",
               "各鎮村按照清單履行職責，定期向居民公開辦理結果，並由村民代表會議對照清單逐項評議。",
               "兩份清單讓村居委會從繁重的行政事務中解脫出來，社區工作者因此有更多時間走訪居民。"]
JAPANESE = ["太倉市の政社連携", "太倉市は2008年から、政府の行政管理と住民自治をつなぐ方法を探ってきました。",
            "地域の住民はこの取り組みに参加し、二つのリストで役割を分けています。"]
KOREAN = ["타이창시의 정사 상호작용",
          "타이창시는 2008년부터 정부 행정 관리와 주민 자치를 연결하는 방법을 모색해 왔습니다.",
          "주민들은 이 활동에 참여하고 있으며 두 개의 목록으로 역할을 나누었습니다."]


def add(corpus, *args):
    return CliRunner().invoke(main, ["add", "--corpus", str(corpus), *map(str, args)])


def refused(corpus, path, *args, needle: str) -> str:
    """The add failed with one line naming the file, and sources.yml is as it was."""
    manifest = (corpus / "sources.yml").read_bytes()
    result = add(corpus, path, *args)
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output and needle in result.output, result.output
    first = result.output.splitlines()[0]
    assert str(path) in first or needle in first, result.output
    assert (corpus / "sources.yml").read_bytes() == manifest
    return result.output


# --- 8. bounds: size before reading, inflated size, pages, page area, time, memory -------------------

def test_a_file_over_the_size_limit_is_refused_before_it_is_read(corpus_copy, tmp_path, monkeypatch):
    big = tmp_path / "巨大.pdf"
    with big.open("wb") as f:
        f.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: nothing is written
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read") if self.parent == tmp_path
                        else read_bytes(self))
    refused(corpus_copy, big, needle="over the limit")
    page = tmp_path / "page.html"
    with page.open("wb") as f:
        f.truncate(MAX_WEB_PAGE_BYTES + 1)
    refused(corpus_copy, page, needle="over the limit")


def test_a_docx_zip_bomb_is_refused_before_it_is_inflated(corpus_copy, tmp_path):
    bomb = word_cases(tmp_path / "bomb.docx")
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as z, \
            z.open("word/padding.xml", "w", force_zip64=True) as f:
        for _ in range(MAX_INFLATED_MEMBER_BYTES // 2**20 + 1):
            f.write(b" " * 2**20)
    assert bomb.stat().st_size < 2 * 2**20
    refused(corpus_copy, bomb, needle="inflates to")


def test_many_parts_that_inflate_past_the_total_are_refused(corpus_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(guards, "MAX_INFLATED_BYTES", 40_000)  # the rule, on a small archive
    docx = word_cases(tmp_path / "parts.docx")
    with zipfile.ZipFile(docx, "a", compression=zipfile.ZIP_DEFLATED) as z:
        for i in range(10):
            z.writestr(f"customXml/padding{i}.xml", b" " * 5000)
    refused(corpus_copy, docx, needle="parts inflate to")


@pytest.mark.parametrize("side", [14_400, 1_000_000])
def test_a_huge_scanned_page_is_refused_before_it_is_rendered(corpus_copy, tmp_path, side):
    path = tmp_path / "huge.pdf"
    path.write_bytes(page_pdf([(side, side)]))
    assert path.stat().st_size < 2000
    refused(corpus_copy, path, needle="million pixels")


@pytest.mark.skipif(importlib.util.find_spec("rapidocr") is None, reason="OCR extra not installed")
def test_a_huge_image_is_refused_before_it_is_decoded(corpus_copy, tmp_path):
    from PIL import Image
    path = tmp_path / "huge.png"
    Image.new("L", (8000, 6000), 255).save(path)  # 48 million pixels, a few KB as PNG
    refused(corpus_copy, path, needle="million pixels")


def test_too_many_pages_and_too_many_scans(corpus_copy, tmp_path):
    path = tmp_path / "many.pdf"
    path.write_bytes(page_pdf([(100, 100)] * (MAX_PDF_PAGES + 1), scanned=False))
    refused(corpus_copy, path, needle=f"over the limit of {MAX_PDF_PAGES:,}")
    path = tmp_path / "scans.pdf"
    path.write_bytes(page_pdf([(100, 100)] * (MAX_OCR_PAGES + 1)))
    refused(corpus_copy, path, needle="scanned pages")


def test_a_pdf_with_a_missing_page_is_one_line(corpus_copy, tmp_path):
    path = tmp_path / "damaged.pdf"
    path.write_bytes(page_pdf([(200, 200)], scanned=False, missing_page=True))
    refused(corpus_copy, path, needle="damaged PDF")


def test_running_out_of_memory_is_one_line(corpus_copy, tmp_path, monkeypatch):
    from ingest import formats

    def exhausted(path):
        raise MemoryError()
    monkeypatch.setitem(formats.READERS, ".docx", exhausted)
    refused(corpus_copy, word_cases(tmp_path / "a.docx"), needle="memory")


def test_reading_is_bounded_in_time(corpus_copy, tmp_path, monkeypatch):
    from ingest import formats

    def endless(path):
        while True:
            pass
    monkeypatch.setitem(formats.READERS, ".docx", endless)
    monkeypatch.setattr(guards, "MAX_READ_SECONDS", 0.5)
    refused(corpus_copy, word_cases(tmp_path / "a.docx"), needle="took longer than 0.5 s")


# --- 9. legacy East-Asian encodings -------------------------------------------------------------

def test_big5_text_is_decoded_not_taken_for_gb18030(corpus_copy, tmp_path):
    path = tmp_path / "big5.txt"
    path.write_bytes("\r\n".join(TRADITIONAL).encode("big5"))
    result = add(corpus_copy, path, "--id", "big5-text")
    assert result.exit_code == 0, result.output
    entry = load_manifest(corpus_copy)[-1]
    assert entry["script"] == "Traditional" and "Big5" in result.output
    text = (corpus_copy / entry["file"]).read_text(encoding="utf-8")
    assert all(line in text for line in TRADITIONAL[1:])


def test_gbk_text_still_reads_as_gb18030(corpus_copy, tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("\r\n".join(["政社互动的两份清单", *paragraphs(TAICANG)]).encode("gbk"))
    result = add(corpus_copy, path, "--id", "gbk-text")
    assert result.exit_code == 0 and "GB18030" in result.output, result.output
    assert load_manifest(corpus_copy)[-1]["script"] == "Simplified"


@pytest.mark.parametrize("lines, codec, needle", [(JAPANESE, "shift_jis", "Japanese text in Shift-JIS"),
                                                  (KOREAN, "euc_kr", "Korean text in EUC-KR")])
def test_japanese_and_korean_text_is_refused_by_name(corpus_copy, tmp_path, lines, codec, needle):
    path = tmp_path / f"{codec}.txt"
    path.write_bytes("\r\n".join(lines).encode(codec))
    refused(corpus_copy, path, needle=needle)


# --- 10. the build's limits, checked by add ------------------------------------------------------------

def test_a_docx_whose_text_is_over_the_builds_limit_is_refused(corpus_copy, tmp_path):
    """A Word file whose text comes to 21 MB: before, add accepted it and every later build failed."""
    paragraph = "政社互动" * 250  # 3,000 bytes of text
    count = MAX_SOURCE_BYTES // len(paragraph.encode()) + 400
    body = "".join(f"<w:p><w:r><w:t>{paragraph}</w:t></w:r></w:p>" for _ in range(count))
    path = word_cases(tmp_path / "long.docx")
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts["word/document.xml"].decode()
    parts["word/document.xml"] = xml.replace("<w:body>", "<w:body>" + body, 1).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert path.stat().st_size < MAX_SOURCE_BYTES
    refused(corpus_copy, path, needle="over the build's limit")


# --- 11. two adds at once ----------------------------------------------------------------------------

def test_two_adds_at_once_both_land(corpus_copy, tmp_path):
    for round_ in range(2):
        paths = []
        for who in ("a", "b"):
            path = tmp_path / f"{who}{round_}.txt"
            path.write_text("\n".join([f"{who}{round_}号文档", *paragraphs(TAICANG), f"第{round_}轮，{who}。"]),
                            encoding="utf-8")
            paths.append(path)
        procs = [subprocess.Popen([sys.executable, "-c", "from casekb.cli import main; main()", "add", "--corpus",
                                   str(corpus_copy), str(p), "--id", p.stem], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for p in paths]
        outputs = [p.communicate(timeout=300)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        ids = {e["id"] for e in load_manifest(corpus_copy)}
        assert {p.stem for p in paths} <= ids, outputs
    assert len(yaml.safe_load((corpus_copy / "sources.yml").read_text(encoding="utf-8"))["sources"]) == 5 + 4


def test_a_second_add_waits_for_the_lock(corpus_copy, tmp_path):
    from casekb.corpus_lock import corpus_lock
    path = tmp_path / "waiting.txt"
    path.write_text("\n".join(["等待的文档", *paragraphs(TAICANG)]), encoding="utf-8")
    with corpus_lock(corpus_copy):
        proc = subprocess.Popen([sys.executable, "-c", "from casekb.cli import main; main()", "add", "--corpus",
                                 str(corpus_copy), str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        said = proc.stderr.readline()  # it says it waits, and cannot go on while the lock is held
        assert "waiting for it to finish" in said and proc.poll() is None, said
    output, errors = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "added source" in output, output + errors
    assert load_manifest(corpus_copy)[-1]["id"] == "waiting"


# --- 12. names and ids ------------------------------------------------------------------------------

def test_an_id_with_a_final_newline_is_refused(corpus_copy, tmp_path):
    page = tmp_path / "a.txt"
    page.write_text("\n".join(["标题", *paragraphs(TAICANG)]), encoding="utf-8")
    refused(corpus_copy, page, "--id", "abc\n", needle="--id")


@pytest.mark.parametrize("name", ["换行\n标题.txt", "abc\u202etxt.exe.txt", "制表\t符.txt"])
def test_file_names_with_control_or_bidi_characters_are_refused(corpus_copy, tmp_path, name):
    path = tmp_path / name
    path.write_text("\n".join(["标题", *paragraphs(TAICANG)]), encoding="utf-8")
    refused(corpus_copy, path, needle="control or bidi")


@pytest.mark.parametrize("option", ["--title", "--region", "--publisher"])
def test_options_with_control_or_bidi_characters_are_refused(corpus_copy, tmp_path, option):
    path = tmp_path / "a.txt"
    path.write_text("\n".join(["标题", *paragraphs(TAICANG)]), encoding="utf-8")
    for value in ["第一行\n第二行", "太仓\u202e市"]:
        refused(corpus_copy, path, option, value, needle="control or bidi")


def test_a_word_title_with_a_line_break_becomes_one_line(corpus_copy, tmp_path):
    import docx
    path = word_cases(tmp_path / "title.docx")
    document = docx.Document(str(path))
    document.paragraphs[0].text = ""
    document.paragraphs[0].style = document.styles["Normal"]
    document.core_properties.title = "基层治理\n案例选编"
    document.save(str(path))
    result = add(corpus_copy, path)
    assert result.exit_code == 0, result.output
    assert load_manifest(corpus_copy)[-1]["title"] == "基层治理 案例选编"
