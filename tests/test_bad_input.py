"""Bad input: a clear error naming the file (and line), non-zero exit, last good database kept."""
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from casekb.build import build
from casekb.cli import main
from ingest import IngestError
from ingest.read import read_text


def run_build(corpus, db):
    return CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--db", str(db), "--quiet"])


@pytest.fixture
def good_db(built_db, tmp_path):
    """A last good build in place: a copy of the session's real build (these builds fail during ingest)."""
    out = tmp_path / "out"
    out.mkdir()
    for f in built_db.parent.glob(built_db.name + "*"):
        shutil.copy(f, out / f.name)
    return out / built_db.name


def cases_in(db):
    return sqlite3.connect(db).execute("select count(*) from cases").fetchone()[0]


def assert_failed_but_kept(corpus, db, *needles):
    before = cases_in(db)
    result = run_build(corpus, db)
    assert result.exit_code != 0
    for needle in needles:
        assert needle in result.output, result.output
    assert "left unchanged" in result.output
    assert cases_in(db) == before  # the last good database is still there, whole
    assert not list(db.parent.glob(".*building*"))  # no temporary leftovers


def test_missing_file(corpus_copy, good_db):
    (corpus_copy / "003_6f11e2d1cae9dd3c.txt").unlink()
    assert_failed_but_kept(corpus_copy, good_db, "sources.yml:", "003_6f11e2d1cae9dd3c.txt", "not found")


def test_empty_file(corpus_copy, good_db):
    (corpus_copy / "001_a55191d4b931181c.txt").write_bytes(b"\n \r\n")
    assert_failed_but_kept(corpus_copy, good_db, "001_a55191d4b931181c.txt", "empty")


def test_unknown_kind_names_manifest_line(corpus_copy, good_db):
    manifest = corpus_copy / "sources.yml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("kind: award_page", "kind: podcast"), encoding="utf-8")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "id: zjg-award" in l)
    assert_failed_but_kept(corpus_copy, good_db, f"sources.yml:{line}", "unknown kind 'podcast'")


def test_duplicate_case_number_in_book_names_file_and_line(corpus_copy, good_db):
    book = corpus_copy / "000_5a04c31d60d8c188.txt"
    lines = book.read_text(encoding="utf-8").split("\n")
    at = next(i for i, l in enumerate(lines) if l.startswith("- 7 "))
    lines.insert(at + 1, "- 7 重复编号的案例 / 16")
    book.write_text("\n".join(lines), encoding="utf-8")
    assert_failed_but_kept(corpus_copy, good_db, f"000_5a04c31d60d8c188.txt:{at + 2}",
                           "duplicate case number 7", f"first at line {at + 1}")


def test_gbk_file_is_detected_and_decoded(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("太仓市政社互动\r\n两份清单，一份协议。\r\n".encode("gbk"))
    assert read_text(path) == "太仓市政社互动\n两份清单，一份协议。\n"


def test_utf8_bom_and_crlf(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "社区减负\r\n增效\r".encode("utf-8"))
    assert read_text(path) == "社区减负\n增效\n"


def test_undecodable_file_is_refused_with_its_name_and_line(tmp_path):
    path = tmp_path / "binary.txt"
    path.write_bytes("第一行\n".encode("utf-8") + bytes([0xff, 0xfe, 0x00, 0x81, 0x30, 0x01]) * 20)
    with pytest.raises(IngestError, match=r"binary\.txt:2: .*UTF-8"):
        read_text(path)


def test_failed_build_without_previous_database_leaves_nothing(corpus_copy, tmp_path):
    (corpus_copy / "sources.yml").write_text("sources: [oops", encoding="utf-8")
    db = tmp_path / "new" / "casekb.db"
    with pytest.raises(IngestError, match="sources.yml"):
        build(corpus_copy, db, progress=False)
    assert not db.exists() and not list(db.parent.glob("*"))
