"""Hardening of the corpus side of a build (issue 11): what sources.yml may point at, how big a
corpus file may be, what a `date` may say, and control characters inside a corpus file.

Every refusal names the file (and line) or sources.yml:LINE, exits non-zero without a traceback,
and leaves the last good database as it was.
"""
import shutil
import sqlite3
import unicodedata

import pytest
from click.testing import CliRunner

from casekb.cli import main
from ingest.manifest import load_manifest
from ingest.read import read_text
from kbcore.limits import MAX_SOURCE_BYTES

SECRET = "绝密：这一行不在语料库里"  # the content of a file outside the corpus folder


def run_build(corpus, db, *extra):
    return CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--db", str(db), "--quiet", *extra])


@pytest.fixture
def good_db(built_db, tmp_path):
    """A last good build in place: a copy of the session's real build."""
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(built_db, out / built_db.name)
    return out / built_db.name


@pytest.fixture
def outside(tmp_path):
    """A file outside the corpus folder whose content must never be published."""
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text(f"{SECRET}\n{SECRET}，{SECRET}。\n", encoding="utf-8")
    return path


def dump(db) -> bytes:
    return db.read_bytes()


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def set_field(corpus, source_file: str, field: str, value: str) -> int:
    """Rewrite `field:` of the entry whose file is source_file; returns the line of that field."""
    manifest = corpus / "sources.yml"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if f"file: {source_file}" in line)
    start = max(i for i in range(start + 1) if lines[i].lstrip().startswith("- id:"))
    at = next(i for i in range(start, len(lines)) if lines[i].strip().startswith(f"{field}:"))
    indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
    lines[at] = f"{indent}{field}: {value}"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


def assert_refused(corpus, db, *needles):
    before = dump(db)
    result = run_build(corpus, db)
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output
    assert "left unchanged" in result.output
    assert dump(db) == before  # the last good database, byte for byte
    assert not list(db.parent.glob(".*building*"))
    return result


# 1. `file:` may only name a file inside the corpus folder

@pytest.mark.parametrize("value", ["../../../../../../../../etc/passwd", "/etc/passwd", "OUTSIDE_ABSOLUTE",
                                   "../outside/secret.txt"])
def test_file_outside_the_corpus_is_refused_naming_the_manifest_line(corpus_copy, good_db, outside, value):
    value = value.replace("OUTSIDE_ABSOLUTE", str(outside))
    line = set_field(corpus_copy, "001_a55191d4b931181c.txt", "file", value)
    assert_refused(corpus_copy, good_db, f"sources.yml:{line}", value, "outside the corpus folder")


def test_symlink_out_of_the_corpus_is_refused(corpus_copy, good_db, outside):
    (corpus_copy / "link.txt").symlink_to(outside)
    line = set_field(corpus_copy, "001_a55191d4b931181c.txt", "file", "link.txt")
    assert_refused(corpus_copy, good_db, f"sources.yml:{line}", "link.txt", "outside the corpus folder")


def test_symlinked_folder_out_of_the_corpus_is_refused(corpus_copy, good_db, outside):
    (corpus_copy / "sub").symlink_to(outside.parent, target_is_directory=True)
    line = set_field(corpus_copy, "001_a55191d4b931181c.txt", "file", "sub/secret.txt")
    assert_refused(corpus_copy, good_db, f"sources.yml:{line}", "outside the corpus folder")


def test_a_folder_is_not_a_corpus_file(corpus_copy, good_db):
    (corpus_copy / "folder").mkdir()
    line = set_field(corpus_copy, "001_a55191d4b931181c.txt", "file", "folder")
    assert_refused(corpus_copy, good_db, f"sources.yml:{line}", "not a regular file")


def test_symlink_and_subfolder_inside_the_corpus_are_fine(corpus_copy):
    (corpus_copy / "texts").mkdir()
    shutil.move(corpus_copy / "001_a55191d4b931181c.txt", corpus_copy / "texts" / "001.txt")
    (corpus_copy / "002.txt").symlink_to(corpus_copy / "002_aba977f0fe6ab8c4.txt")
    set_field(corpus_copy, "001_a55191d4b931181c.txt", "file", "texts/001.txt")
    set_field(corpus_copy, "002_aba977f0fe6ab8c4.txt", "file", "002.txt")
    files = {e["id"]: e["path"] for e in load_manifest(corpus_copy)}
    assert files["taicang-practice"].read_text(encoding="utf-8").startswith("政社互动")
    assert files["taicang-decade"].name == "002.txt"


# 2. a size limit for corpus files; `date` must be a date

def test_file_over_the_size_limit_is_refused_with_its_size(corpus_copy, good_db):
    big = corpus_copy / "001_a55191d4b931181c.txt"
    with big.open("r+b") as f:
        f.truncate(MAX_SOURCE_BYTES + 1)  # sparse: nothing is written to disk
    result = assert_refused(corpus_copy, good_db, "001_a55191d4b931181c.txt", "limit")
    assert f"{MAX_SOURCE_BYTES + 1:,} bytes" in result.output
    assert f"{MAX_SOURCE_BYTES // 2**20} MB" in result.output


def test_file_at_the_size_limit_is_read(tmp_path):
    path = tmp_path / "edge.txt"
    path.write_bytes(("社区" * (MAX_SOURCE_BYTES // 6)).encode("utf-8").ljust(MAX_SOURCE_BYTES, b"\n"))
    assert path.stat().st_size == MAX_SOURCE_BYTES
    assert read_text(path).startswith("社区社区")


@pytest.mark.parametrize("value", ["yesterday", "2014-13", "2015-02-30", "15-03", "2014/07", "2014-7",
                                   "'2016-12-14T10:00'", "[2014]", "true"])
def test_bad_date_is_refused_naming_the_manifest_line(corpus_copy, good_db, value):
    line = set_field(corpus_copy, "003_6f11e2d1cae9dd3c.txt", "date", value)
    assert_refused(corpus_copy, good_db, f"sources.yml:{line}", "date", "YYYY, YYYY-MM or YYYY-MM-DD")


@pytest.mark.parametrize("value,stored", [("2014", "2014"), ("2014-07", "2014-07"), ("2016-12-14", "2016-12-14"),
                                          ("'2015-03'", "2015-03"), ("", "")])
def test_good_dates_are_kept_as_written(corpus_copy, value, stored):
    set_field(corpus_copy, "003_6f11e2d1cae9dd3c.txt", "date", value)
    dates = {e["id"]: e["date"] for e in load_manifest(corpus_copy)}
    assert dates["zjg-award"] == stored


def test_bundled_manifest_dates(built_db):
    dates = dict(sqlite3.connect(built_db).execute("select id, date from sources"))
    assert dates == {"taicang100": "2014-07", "taicang-practice": "2011", "taicang-decade": "2018",
                     "zjg-award": "2016-12-14", "mca2015-03": "2015-03"}


# 3. control characters in a corpus file

def text_columns(db):
    conn = sqlite3.connect(db)
    for (table,) in conn.execute("select name from sqlite_master where type = 'table' and name not like '%fts%'"):
        for column in conn.execute(f'pragma table_info("{table}")'):
            if column[2].upper() == "TEXT":
                for (value,) in conn.execute(f'select "{column[1]}" from "{table}" where "{column[1]}" is not null'):
                    yield table, column[1], value


@pytest.mark.slow
def test_control_characters_are_removed_counted_and_every_passage_kept(corpus_copy, built_db, good_db):
    path = corpus_copy / "001_a55191d4b931181c.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[2] = lines[2][:10] + "\x00" + lines[2][10:]        # NUL inside the first paragraph
    lines[6] = lines[6][:5] + "\x01\x00\x01" + lines[6][5:]  # more, inside another
    lines[8] = lines[8] + "\x7f\x1b"                         # DEL and ESC at a paragraph's end
    path.write_text("\n".join(lines), encoding="utf-8")
    db = good_db  # rebuilt over the last good build, whose vectors it reuses
    result = run_build(corpus_copy, db, "--model", "usem3")
    assert result.exit_code == 0, result.output
    assert "control_characters 6" in result.output  # the build summary counts them for the source

    conn, good = sqlite3.connect(db), sqlite3.connect(built_db)
    passages = "select id, text, length(text), chars from passages order by id"
    assert conn.execute(passages).fetchall() == good.execute(passages).fetchall()  # every passage, whole
    for table, column, value in text_columns(db):
        bad = [c for c in value if unicodedata.category(c) == "Cc" and c not in "\n\t"]
        assert not bad, f"{table}.{column} holds {bad!r}"
    segmented = "select id, text_seg from passages order by id"  # what the keyword index holds
    assert conn.execute(segmented).fetchall() == good.execute(segmented).fetchall()


def test_control_characters_do_not_move_error_lines(tmp_path):
    from ingest.clean import clean
    lines, removed = clean("第一行\x00\n\x0c\n第三行\x01", "x.txt")
    assert lines == [(1, "第一行"), (3, "第三行")]
    assert removed["control_characters"] == 3
